from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "sanshi.web"
    label = "web"
    verbose_name = "页面"
