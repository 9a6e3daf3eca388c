"""Job handlers run by `sanshi worker` after the case transaction has committed."""

import json
import logging
import urllib.request

from django.conf import settings

from sanshi.core.jobs import job_handler
from sanshi.core.models import Notification
from sanshi.registry.models import Role, StaffRole

log = logging.getLogger("sanshi.cases")


def _webhook(event: str, payload: dict) -> None:
    url = settings.SANSHI_WEBHOOK_URL
    if not url:
        return
    body = json.dumps({"event": event, **payload}, ensure_ascii=False).encode()
    req = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})  # noqa: S310
    with urllib.request.urlopen(req, timeout=10) as response:  # noqa: S310 — admin-configured URL
        if response.status >= 400:
            raise RuntimeError(f"webhook answered {response.status}")


@job_handler("notify_department")
def notify_department(payload: dict) -> None:
    from .models import WhistleCall

    call = WhistleCall.objects.select_related("case", "department").get(pk=payload["whistle_call"])
    liaisons = StaffRole.objects.filter(role=Role.DEPARTMENT_LIAISON, department=call.department, active=True)
    for role in liaisons.select_related("user"):
        Notification.objects.create(
            recipient=role.user, subject=f"吹哨报到：{call.case.number}",
            body=f"街道就「{call.case.title}」吹哨，请{call.department.name}到场并在系统中反馈办理情况。")
    _webhook("whistle_call", {"case": call.case.number, "department": call.department.code})


@job_handler("feedback_reporter")
def feedback_reporter(payload: dict) -> None:
    """Feed the result back to the original channel and reporter (分层反馈)."""
    from sanshi.intake.models import Request

    request = Request.objects.select_related("case", "submitted_by").get(pk=payload["request"])
    Notification.objects.create(
        request=request, recipient=request.submitted_by, channel=request.sub_channel,
        subject=f"办结反馈：{request.case.number}", body=request.feedback)
    log.debug("feedback recorded for request %s via %s", request.pk, request.sub_channel)
    _webhook("case_closed", {"case": request.case.number, "tracking_code": request.tracking_code,
                             "channel": request.sub_channel})
