import secrets

from django.db import migrations, models


def fill_pubsub_tokens(apps, schema_editor):
    AccessToken = apps.get_model("accounts", "AccessToken")
    for token in AccessToken.objects.filter(user__isnull=False, pubsub_token__isnull=True):
        token.pubsub_token = secrets.token_urlsafe(24)
        token.save(update_fields=["pubsub_token"])


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_i10_account_country")]

    operations = [
        migrations.AddField(
            model_name="user",
            name="message_signature",
            field=models.TextField(blank=True, default="", verbose_name="message signature"),
        ),
        migrations.AddField(
            model_name="user",
            name="ui_settings",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="accesstoken",
            name="pubsub_token",
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.RunPython(fill_pubsub_tokens, migrations.RunPython.noop),
    ]
