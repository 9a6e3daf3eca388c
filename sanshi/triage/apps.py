from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "sanshi.triage"
    label = "triage"
    verbose_name = "智能分拣"

    def ready(self):
        from sanshi.core.jobs import sweep

        from . import training  # registers the triage.retrain job handler

        # the nightly retraining rule, looked at once a minute by the worker's slow-jobs thread
        sweep("triage-retrain", slow=True, every_seconds=training.RETRAIN_CHECK_SECONDS)(
            lambda: int(training.triage_retrain_schedule() is not None))
