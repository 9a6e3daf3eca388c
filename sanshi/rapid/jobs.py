"""Job handlers for clocks, run by `sanshi worker` after the sweep (or a late completion) has
committed the breach."""

from django.urls import reverse
from django.utils import timezone

from sanshi.cases.models import CaseEvent, Status
from sanshi.cases.services import record_event
from sanshi.cases.transitions import TimelineEvent
from sanshi.core.jobs import job_handler
from sanshi.core.notify import notify
from sanshi.registry.models import Role, StaffRole

from .models import RAPID_CLOCKS, Clock
from .services import CLOCK_BREACH_JOB, case_street


@job_handler(CLOCK_BREACH_JOB)
def notify_clock_breach(payload: dict) -> None:
    """Tell the operators of the case's street (its command centre) that a limit ran out, and — for
    the urgent limits — write the breach into the case's timeline (action `clock_breach`, by the
    system). A retried job does not write the event twice."""
    clock = Clock.objects.select_related("case__grid", "case__org").get(pk=payload["clock"])
    case = clock.case
    street = case_street(case)
    due = timezone.localtime(clock.due_at)
    late = "已超时完成" if clock.done_at else "尚未完成"
    if clock.name in RAPID_CLOCKS and case.status != Status.CLOSED and not CaseEvent.objects.filter(
            case=case, action=TimelineEvent.CLOCK_BREACH, data__clock=clock.pk).exists():
        record_event(case=case, event=TimelineEvent.CLOCK_BREACH, actor=None, actor_label="系统",
                     public_note=f"{clock.get_name_display()}超时（时限 {due:%H:%M}）",
                     data={"clock": clock.pk, "name": clock.name, "due_at": clock.due_at.isoformat(),
                           "breached_at": clock.breached_at.isoformat() if clock.breached_at else None})
    if street is None:
        return
    operators = [r.user for r in StaffRole.objects.filter(role=Role.OPERATOR, node=street, active=True,
                                                          user__is_active=True).select_related("user")]
    notify(recipients=operators, subject=f"快响超时：{case.number}·{clock.get_name_display()}",
           body=f"「{case.title}」的{clock.get_name_display()}时限已于{due:%H:%M}到期，{late}。",
           kind="clock_breach", link=reverse("case", args=[case.pk]))
