from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "sanshi.intake"
    label = "intake"
    verbose_name = "诉求受理"

    def ready(self) -> None:
        from sanshi.cases.filters import register_search

        from . import hooks, jobs  # noqa: F401  (registers the moves' hooks and the worker's jobs)
        from .selectors import cases_by_tracking_code

        hooks.register()
        register_search(cases_by_tracking_code)  # a code read out on the phone finds its case in the lists
