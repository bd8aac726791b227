from django.apps import AppConfig


class StaffingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "motcua.staffing"
    verbose_name = "Bố trí nhân sự"
