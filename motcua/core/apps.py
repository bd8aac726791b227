from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "motcua.core"
    label = "core"
    verbose_name = "Nền tảng"

    def ready(self) -> None:
        # Registers the deploy checks and the failed-login log receiver.
        from . import checks, login_guard  # noqa: F401
