from django.apps import AppConfig


class NoticesConfig(AppConfig):
    name = "sanshi.notices"
    label = "notices"
    verbose_name = "张榜公示"

    def ready(self) -> None:
        from . import hooks  # noqa: F401  (posts notices on the case's moves, guards the request for evaluation)
        from .services import notice_periods

        notice_periods()  # a malformed SANSHI_NOTICE_PERIOD_DAYS stops the process at start, not at the first notice
