import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="CatalogueImport",
            fields=[
                (
                    "id",
                    models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False),
                ),
                (
                    "status",
                    models.CharField(
                        choices=[("PREVIEWED", "Chờ áp dụng"), ("APPLIED", "Đã áp dụng")],
                        default="PREVIEWED",
                        max_length=12,
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        choices=[("WEB", "Màn hình quản trị"), ("API", "API"), ("COMMAND_LINE", "Dòng lệnh")],
                        max_length=14,
                    ),
                ),
                ("actor_label", models.CharField(max_length=200)),
                ("filename", models.CharField(blank=True, max_length=255)),
                ("file_sha256", models.CharField(max_length=64)),
                ("rows", models.JSONField()),
                ("base_fingerprint", models.CharField(max_length=64)),
                ("previewed_at", models.DateTimeField()),
                ("applied_at", models.DateTimeField(blank=True, null=True)),
                ("added_count", models.PositiveIntegerField(default=0)),
                ("changed_count", models.PositiveIntegerField(default=0)),
                ("unchanged_count", models.PositiveIntegerField(default=0)),
                ("missing_count", models.PositiveIntegerField(default=0)),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={"ordering": ["-previewed_at"]},
        ),
        migrations.CreateModel(
            name="CatalogueChange",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("procedure_code", models.CharField(max_length=40)),
                ("procedure_name", models.CharField(max_length=400)),
                (
                    "kind",
                    models.CharField(choices=[("ADDED", "Thêm mới"), ("CHANGED", "Thay đổi")], max_length=8),
                ),
                ("fields", models.JSONField()),
                (
                    "catalogue_import",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="changes",
                        to="catalog.catalogueimport",
                    ),
                ),
            ],
            options={"ordering": ["catalogue_import_id", "kind", "procedure_code"]},
        ),
    ]
