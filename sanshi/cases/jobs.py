"""Job handlers run by `sanshi worker` after the case transaction has committed."""

import logging

from django.urls import reverse

from sanshi.core.jobs import job_handler
from sanshi.core.notify import notify
from sanshi.registry.models import Role, StaffRole

from .models import WhistleCall

log = logging.getLogger("sanshi.cases")


@job_handler("notify_department")
def notify_department(payload: dict) -> None:
    call = WhistleCall.objects.select_related("case", "department").get(pk=payload["whistle_call"])
    liaisons = StaffRole.objects.filter(role=Role.DEPARTMENT_LIAISON, department=call.department, active=True)
    notify(recipients=[role.user for role in liaisons.select_related("user")], subject=f"吹哨报到：{call.case.number}",
           body=f"街道就「{call.case.title}」吹哨，请{call.department.name}到场并在系统中反馈办理情况。",
           kind="whistle_call", link=reverse("case", args=[call.case_id]),
           data={"case": call.case.number, "department": call.department.code})
