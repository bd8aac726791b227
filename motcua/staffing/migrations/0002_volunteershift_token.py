"""S7 volunteers: the shift's recording link token, stored as its SHA-256 only (additive)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("staffing", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="volunteershift",
            name="token_hash",
            field=models.CharField(blank=True, db_index=True, max_length=64),
        ),
        migrations.AddField(
            model_name="volunteershift",
            name="token_issued_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
