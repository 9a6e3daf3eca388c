from django.apps import AppConfig


class VotesConfig(AppConfig):
    name = "sanshi.votes"
    label = "votes"
    verbose_name = "业主共同决定"

    def ready(self) -> None:
        from . import jobs  # noqa: F401  (registers the job that sends owners' one-time codes)
