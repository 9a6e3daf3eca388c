from django.apps import AppConfig


class RapidConfig(AppConfig):
    name = "sanshi.rapid"
    label = "rapid"
    verbose_name = "突发快响"

    def ready(self) -> None:
        from . import hooks, jobs  # noqa: F401  (registers the moves' hooks, the clock sweep and the job handler)

        hooks.register()
