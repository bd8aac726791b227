"""FX2 alerts: DetectionMark, the per-commune throttle of detection on read shared by every web
worker (additive: a new table)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("geo", "0002_commune_one_commune_per_agency_code"),
        ("staffing", "0002_volunteershift_token"),
    ]

    operations = [
        migrations.CreateModel(
            name="DetectionMark",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("last_at", models.DateTimeField()),
                (
                    "commune",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="geo.commune"
                    ),
                ),
            ],
        ),
    ]
