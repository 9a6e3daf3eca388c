from django.apps import AppConfig


class ImportsConfig(AppConfig):
    name = "sanshi.imports"
    label = "imports"
    verbose_name = "Excel 导入"
