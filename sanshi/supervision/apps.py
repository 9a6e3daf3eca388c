from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "sanshi.supervision"
    label = "supervision"
    verbose_name = "期限与督办"

    def ready(self) -> None:
        from . import handover, hooks, jobs  # noqa: F401  (registers the moves' hooks, the sweep and the job handler)

        handover.register_providers()  # what a revoked role leaves open: claimed ledger entries, visits
