"""Every period read of a commune's dossiers (the 766 index, the dashboards, the officers'
numbers) filters on (commune, first_received_at): docs/performance.md, "Dashboards with a year of
data (issue 10)"."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("dossiers", "0003_dossier_notify_contact"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="dossier",
            index=models.Index(fields=["commune", "first_received_at"], name="dossier_commune_received_idx"),
        ),
    ]
