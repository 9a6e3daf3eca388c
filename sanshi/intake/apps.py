from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "sanshi.intake"
    label = "intake"
    verbose_name = "诉求受理"
