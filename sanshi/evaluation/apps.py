from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "sanshi.evaluation"
    label = "evaluation"
    verbose_name = "评价监督"
