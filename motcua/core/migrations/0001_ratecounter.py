from django.db import migrations, models


def _unlogged(apps, schema_editor):  # type: ignore[no-untyped-def]
    """PostgreSQL: counters need no WAL (no flush per counted request; a crash forgets them)."""
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE core_ratecounter SET UNLOGGED")


class Migration(migrations.Migration):
    initial = True

    dependencies: list[tuple[str, str]] = []

    operations = [
        migrations.CreateModel(
            name="RateCounter",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("key", models.CharField(max_length=200, unique=True)),
                ("count", models.PositiveIntegerField(default=0)),
                ("expires_at", models.BigIntegerField(db_index=True)),
            ],
            options={"verbose_name": "bộ đếm giới hạn truy cập"},
        ),
        migrations.RunPython(_unlogged, migrations.RunPython.noop),
    ]
