# A failed status that overtook its send keeps the provider's own words (code, title, details)
# until it is applied to the message (content_attributes.provider_error).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0009_i12_conversation_tally"),
    ]

    operations = [
        migrations.AddField(
            model_name="earlystatus",
            name="error_detail",
            field=models.JSONField(blank=True, default=dict),
        ),
    ]
