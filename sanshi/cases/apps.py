from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "sanshi.cases"
    label = "cases"
    verbose_name = "事项办理"
