from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "sanshi.evaluation"
    label = "evaluation"
    verbose_name = "评价监督"

    def ready(self) -> None:
        from . import hooks  # noqa: F401  (registers the evaluate action)
