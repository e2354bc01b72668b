# Received media still to be downloaded, for the WhatsApp channel's periodic re-queue
# (whatsapp.requeue_media): a partial index holding only those rows.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0010_i10_early_status_error_detail"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="attachment",
            index=models.Index(
                condition=models.Q(
                    ("file", ""),
                    ("meta__has_key", "media_id"),
                    models.Q(("meta__has_key", "error"), _negated=True),
                ),
                fields=["created_at"],
                name="attachment_media_pending",
            ),
        ),
    ]
