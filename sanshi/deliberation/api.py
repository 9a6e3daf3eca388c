"""Deliberation's API: convene a meeting of one of the bodies (三会), with the cases on its agenda."""

from datetime import datetime

from django.utils.translation import gettext
from ninja import Field, Router, Schema, Status

from sanshi.accounts.idempotency import idempotent
from sanshi.cases.actions import get_case_or_404
from sanshi.core.errors import ValidationFailed
from sanshi.core.schemas import router_errors
from sanshi.registry.models import OrgNode

from .services import ParticipantInput, meeting_schedule

router = Router(tags=["meetings"])


class ParticipantIn(Schema):
    role: str
    name: str = ""
    user: str = Field("", description="参会人员的账号（有账号者：其可查看本次会议议程中的事项）")
    person: int | None = Field(None, description="参会居民在居民名册中的编号（按户统计参与率）")


class MeetingIn(Schema):
    org: str = Field(..., description="召开议事会的组织节点编码")
    body: str
    title: str
    form: str = "meeting"
    scheduled_at: datetime
    place: str = ""
    participants: list[ParticipantIn]
    cases: list[int] = []


class MeetingOut(Schema):
    id: int
    body: str
    org: str
    title: str
    form: str
    scheduled_at: datetime
    cases: list[int]


@router.post("/meetings", response={201: MeetingOut, **router_errors(403, 404, 409)},
             summary="召集议事会（可同时带入多个事项）")
@idempotent
def create_meeting(request, payload: MeetingIn):
    org = OrgNode.objects.filter(code=payload.org).first()
    if org is None:
        raise ValidationFailed(gettext("组织节点不存在"),
                               errors={"org": gettext("组织节点“%(code)s”不存在") % {"code": payload.org}})
    cases = [get_case_or_404(request.auth, cid) for cid in payload.cases]
    meeting = meeting_schedule(
        actor=request.auth, org=org, body=payload.body, title=payload.title, form=payload.form,
        scheduled_at=payload.scheduled_at, place=payload.place,
        participants=[ParticipantInput(p.role, p.name, p.user, p.person) for p in payload.participants], cases=cases)
    return Status(201, {"id": meeting.pk, "body": meeting.body, "org": org.code, "title": meeting.title,
                        "form": meeting.form, "scheduled_at": meeting.scheduled_at,
                        "cases": list(meeting.items.values_list("case_id", flat=True))})
