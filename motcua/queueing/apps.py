from django.apps import AppConfig


class QueueingConfig(AppConfig):
    name = "motcua.queueing"
    label = "queueing"
    verbose_name = "Xếp hàng lấy số"

    def ready(self) -> None:
        from . import signals  # noqa: F401  (connects the receivers)
