from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "sanshi.intake"
    label = "intake"
    verbose_name = "诉求受理"

    def ready(self) -> None:
        from . import hooks, jobs  # noqa: F401  (registers the moves' hooks and the worker's jobs)

        hooks.register()
