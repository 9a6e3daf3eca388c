from django.apps import AppConfig


class RapidConfig(AppConfig):
    name = "sanshi.rapid"
    label = "rapid"
    verbose_name = "突发快响"

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the clock_breach job handler)
