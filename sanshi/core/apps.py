from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sanshi.core"
    label = "core"
    verbose_name = "核心"

    def ready(self) -> None:
        from . import notify  # noqa: F401  (the notify.deliver job handler)
