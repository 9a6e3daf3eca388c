from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "sanshi.notices"
    label = "notices"
    verbose_name = "张榜公示"
