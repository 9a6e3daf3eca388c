"""Job handlers of deadlines, run by `sanshi worker` after the sweep has committed."""

from django.utils import timezone

from sanshi.cases.models import Status
from sanshi.core.jobs import job_handler
from sanshi.core.notify import notify
from sanshi.rapid.models import Clock

from .services import DEADLINE_BREACH_JOB, case_handlers


@job_handler(DEADLINE_BREACH_JOB)
def notify_deadline_breach(payload: dict) -> None:
    """A SHARED or HOUSEHOLD case ran past its deadline: tell its handlers (the handling roles at
    its responsible node). Nothing is sent when the case closed in the meantime."""
    clock = Clock.objects.select_related("case").filter(pk=payload["clock"]).first()
    if clock is None or clock.done_at is not None or clock.case.status == Status.CLOSED:
        return
    case = clock.case
    notify(recipients=case_handlers(case), subject=f"办理超期：{case.number}",
           body=f"「{case.title}」的办理时限（{timezone.localtime(clock.due_at):%Y-%m-%d}）已到，尚未办结，请抓紧办理。",
           kind="deadline_breach", link=f"/staff/cases/{case.pk}/")
