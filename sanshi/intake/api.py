"""Intake's API: submit a request (a resident without an account, or a hotline system with its
intake_client token) and follow it by tracking code. Thin: parse, call the services, render."""

from datetime import datetime

from django.contrib.auth.models import AnonymousUser
from ninja import Field, Router, Schema, Status

from sanshi.accounts.auth import BearerOrResident
from sanshi.accounts.idempotency import idempotent
from sanshi.cases.selectors import public_timeline
from sanshi.core.personal import mask_personal_text
from sanshi.core.schemas import public_errors

from .selectors import case_for_tracking, normalise_code
from .services import RequestInput, is_staff_submission, request_submit

router = Router(tags=["public"])


class RequestIn(Schema):
    text: str = Field(..., description="诉求内容，必填，最多4000字")
    title: str = ""
    channel: str = Field("web", description="来源渠道编码：居民 web、qr_door_plate、wechat_group；"
                                            "热线系统（接入令牌）hotline、superior；工作人员其余渠道")
    grid: str = Field("", description="网格编码")
    address: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""


class SuggestionOut(Schema):
    kind: str | None
    catalogue_code: str | None
    confidence: float
    evidence: list[str] = []
    method: str = "keywords"
    manual: bool = False
    reason: str = ""


class RequestCreated(Schema):
    id: int
    tracking_code: str | None = Field(None, description="查询码：给居民和热线系统；工作人员代登记时为空（短信或回执单交给居民）")
    status: str
    suggestion: SuggestionOut


class PublicEvent(Schema):
    action: str
    at: datetime
    to: str
    by: str
    note: str


class TrackOut(Schema):
    tracking_code: str
    case_number: str | None
    status: str
    status_label: str
    kind: str | None
    body: str | None
    body_label: str | None
    timeline: list[PublicEvent]
    feedback: str = ""
    can_rate: bool = False


@router.post("/requests", response={201: RequestCreated, **public_errors(401)}, auth=BearerOrResident(),
             summary="提交诉求（居民无需登录；热线/12345系统用接入令牌提交交办工单）")
@idempotent
def create_request(request, payload: RequestIn):
    actor = request.auth if getattr(request.auth, "is_authenticated", False) else AnonymousUser()
    created = request_submit(actor=actor, data=RequestInput(
        text=payload.text, title=payload.title, sub_channel=payload.channel, grid_code=payload.grid,
        address=payload.address, reporter_name=payload.reporter_name, reporter_phone=payload.reporter_phone))
    # the tracking code is the resident's credential: to the resident and to the hotline system that
    # passes it on, never to staff (who get it to the resident by SMS or a printed slip)
    code = None if is_staff_submission(actor) else created.tracking_code
    return Status(201, {"id": created.pk, "tracking_code": code, "status": created.case.status,
                        "suggestion": created.suggestion})


@router.get("/track/{tracking_code}", response={200: TrackOut, **public_errors(404)}, auth=None,
            summary="按查询码查看办理进度")
def track(request, tracking_code: str):
    case = case_for_tracking(tracking_code)
    req = case.requests.filter(tracking_code=normalise_code(tracking_code)).first()
    return {
        "tracking_code": req.tracking_code, "case_number": case.number, "status": case.status,
        "status_label": case.get_status_display(), "kind": case.kind or None, "body": case.body or None,
        "body_label": case.get_body_display() if case.body else None, "timeline": public_timeline(case),
        "feedback": mask_personal_text(req.feedback), "can_rate": case.kind == "HOUSEHOLD" and case.status == "evaluating",
    }
