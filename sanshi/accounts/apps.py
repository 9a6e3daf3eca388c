from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "sanshi.accounts"
    label = "accounts"
    verbose_name = "账号"
