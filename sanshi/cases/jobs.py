"""Job handlers run by `sanshi worker` after the case transaction has committed."""

import logging

from django.urls import reverse

from sanshi.core.jobs import job_handler
from sanshi.core.models import Notification
from sanshi.core.notify import notify, sms_to_reporter, webhook_event
from sanshi.registry.models import Role, StaffRole

log = logging.getLogger("sanshi.cases")


@job_handler("notify_department")
def notify_department(payload: dict) -> None:
    from .models import WhistleCall

    call = WhistleCall.objects.select_related("case", "department").get(pk=payload["whistle_call"])
    liaisons = StaffRole.objects.filter(role=Role.DEPARTMENT_LIAISON, department=call.department, active=True)
    notify(recipients=[role.user for role in liaisons.select_related("user")], subject=f"吹哨报到：{call.case.number}",
           body=f"街道就「{call.case.title}」吹哨，请{call.department.name}到场并在系统中反馈办理情况。",
           kind="whistle_call", link=reverse("case", args=[call.case_id]),
           data={"case": call.case.number, "department": call.department.code})


@job_handler("feedback_reporter")
def feedback_reporter(payload: dict) -> None:
    """Feed the result back to the original channel and reporter (分层反馈)."""
    from sanshi.intake.models import Request

    request = Request.objects.select_related("case", "submitted_by").get(pk=payload["request"])
    Notification.objects.create(
        request=request, recipient=request.submitted_by, channel=request.sub_channel, kind="case_feedback",
        link=reverse("case", args=[request.case_id]), subject=f"办结反馈：{request.case.number}", body=request.feedback)
    sms_to_reporter(request=request, kind="case_feedback",
                    text=f"{request.feedback}（查询码 {request.tracking_code}）")  # when an SMS gateway is set
    log.debug("feedback recorded for request %s via %s", request.pk, request.sub_channel)
    webhook_event("case_closed", {"case": request.case.number, "tracking_code": request.tracking_code,
                                  "channel": request.sub_channel})
