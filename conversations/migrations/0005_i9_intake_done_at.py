"""Intake becomes a durable state of the conversation (issue 9). Conversations that exist
already had their intake, so they are backfilled as done; `assigned_at` starts empty."""

from django.db import migrations, models
from django.db.models import F


def backfill(apps, schema_editor):
    Conversation = apps.get_model("conversations", "Conversation")
    Conversation.objects.filter(intake_done_at__isnull=True).update(
        intake_done_at=F("created_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0004_message_queued_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="intake_done_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="conversation",
            name="assigned_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                condition=models.Q(("intake_done_at__isnull", True)),
                fields=["created_at"],
                name="conv_intake_pending",
            ),
        ),
    ]
