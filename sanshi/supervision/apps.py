from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "sanshi.supervision"
    label = "supervision"
    verbose_name = "期限与督办"
