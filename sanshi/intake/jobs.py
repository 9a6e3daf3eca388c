"""Job handlers run by `sanshi worker` after the intake transaction has committed."""

import logging

from django.urls import reverse
from django.utils import timezone

from sanshi.core.jobs import job_handler, recurring
from sanshi.core.models import Notification
from sanshi.core.notify import sms_to_reporter, webhook_event

from .hooks import FEEDBACK_JOB
from .models import Request
from .services import ANONYMISE_JOB, requests_anonymise_closed

log = logging.getLogger("sanshi.intake")


@job_handler(FEEDBACK_JOB)
def feedback_reporter(payload: dict) -> None:
    """Feed the result back to the original channel and reporter (分层反馈). The tracking code goes
    only to the reporter (their SMS); a webhook carries the case number."""
    request = Request.objects.select_related("case", "submitted_by").get(pk=payload["request"])
    Notification.objects.create(
        request=request, recipient=request.submitted_by, channel=request.sub_channel, kind="case_feedback",
        link=reverse("case", args=[request.case_id]), subject=f"办结反馈：{request.case.number}", body=request.feedback)
    sms_to_reporter(request=request, kind="case_feedback",
                    text=f"{request.feedback}（查询码 {request.tracking_code}）")  # when an SMS gateway is set
    log.debug("feedback recorded for request %s via %s", request.pk, request.sub_channel)
    webhook_event("case_closed", {"case": request.case.number, "channel": request.sub_channel})


@recurring(ANONYMISE_JOB, every_seconds=3600)
def anonymise_closed(payload: dict) -> None:
    """Erase reporters' contacts on long-closed cases (hourly)."""
    requests_anonymise_closed(now=timezone.now())
