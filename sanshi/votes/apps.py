from django.apps import AppConfig


class VotesConfig(AppConfig):
    name = "sanshi.votes"
    label = "votes"
    verbose_name = "业主共同决定"
