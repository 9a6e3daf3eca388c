from django.apps import AppConfig


class TriageConfig(AppConfig):
    name = "sanshi.triage"
    label = "triage"
    verbose_name = "智能分拣"
