from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "sanshi.cases"
    label = "cases"
    verbose_name = "事项办理"

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the worker's job handlers)
