import uuid

import django.db.models.deletion
from django.db import migrations, models


def fill_uuids(apps, schema_editor):
    Conversation = apps.get_model("conversations", "Conversation")
    pending = Conversation.objects.filter(uuid__isnull=True).values_list("pk", flat=True)
    for pk in pending.iterator(chunk_size=2000):
        Conversation.objects.filter(pk=pk).update(uuid=uuid.uuid4())


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_i11_profile_pubsub"),
        ("conversations", "0006_i10_whatsapp_window_early_status"),
    ]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="uuid",
            field=models.UUIDField(editable=False, null=True),
        ),
        migrations.RunPython(fill_uuids, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="conversation",
            name="uuid",
            field=models.UUIDField(default=uuid.uuid4, editable=False, unique=True),
        ),
        migrations.CreateModel(
            name="ContactLabel",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "account",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="%(app_label)s_%(class)ss",
                        to="accounts.account",
                    ),
                ),
                (
                    "contact",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="contact_labels",
                        to="conversations.contact",
                    ),
                ),
                (
                    "label",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="conversations.label",
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("contact", "label"), name="contact_label_unique"
                    )
                ]
            },
        ),
    ]
