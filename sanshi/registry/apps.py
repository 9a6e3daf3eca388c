from django.apps import AppConfig


class RegistryConfig(AppConfig):
    name = "sanshi.registry"
    label = "registry"
    verbose_name = "组织与网格"
