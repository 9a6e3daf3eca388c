from django.apps import AppConfig


class DeliberationConfig(AppConfig):
    name = "sanshi.deliberation"
    label = "deliberation"
    verbose_name = "三会议事"

    def ready(self) -> None:
        from . import handover, hooks

        hooks.register()  # the deliberate / resolve actions and the meeting members' view of their cases
        handover.register_providers()  # what a revoked role leaves open: meetings not yet held
