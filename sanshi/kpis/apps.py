from django.apps import AppConfig


class KpisConfig(AppConfig):
    name = "sanshi.kpis"
    label = "kpis"
    verbose_name = "数据看板"

    def ready(self) -> None:
        from . import hooks  # noqa: F401  (the worker's sweep that keeps the figures up to date)
