from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "sanshi.catalog"
    label = "catalog"
    verbose_name = "三事分流责任清单"
