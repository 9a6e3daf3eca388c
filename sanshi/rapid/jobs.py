"""Job handlers for clocks, run by `sanshi worker` after the sweep has committed."""

from django.utils import timezone

from sanshi.core.jobs import job_handler
from sanshi.core.models import Notification
from sanshi.registry.models import Role, StaffRole

from .models import Clock
from .services import CLOCK_BREACH_JOB, case_street


@job_handler(CLOCK_BREACH_JOB)
def notify_clock_breach(payload: dict) -> None:
    """Tell the operators of the case's street (its command centre) that a limit ran out."""
    clock = Clock.objects.select_related("case__grid", "case__org").get(pk=payload["clock"])
    street = case_street(clock.case)
    if street is None:
        return
    operators = (StaffRole.objects.filter(role=Role.OPERATOR, node=street, active=True)
                 .select_related("user"))
    due = timezone.localtime(clock.due_at)
    for role in operators:
        Notification.objects.create(
            recipient=role.user, subject=f"快响超时：{clock.case.number}·{clock.get_name_display()}",
            body=f"「{clock.case.title}」的{clock.get_name_display()}时限已于{due:%H:%M}到期，尚未完成。")
