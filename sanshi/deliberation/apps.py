from django.apps import AppConfig


class DeliberationConfig(AppConfig):
    name = "sanshi.deliberation"
    label = "deliberation"
    verbose_name = "三会议事"
