from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "sanshi.triage"
    label = "triage"
    verbose_name = "智能分拣"

    def ready(self):
        from . import training  # noqa: F401  (registers the triage.retrain job handler)
