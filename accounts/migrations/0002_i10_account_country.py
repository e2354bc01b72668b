from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="account",
            name="country",
            field=models.CharField(default="BR", max_length=2, verbose_name="country"),
        ),
    ]
