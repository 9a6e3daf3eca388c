"""The urgent flow in the API (mounted by sanshi.api.api under /api/v1, bearer token): dispatch a
team (or withdraw it before it is on site), a responder's dispatches and their one-tap steps, teams
and their duty switch. The same services as the pages; 400 with field errors, 403/404 as for
cases, 409 for a step out of turn."""

from datetime import datetime

from django.db.models import prefetch_related_objects
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from sanshi.accounts.idempotency import idempotent
from sanshi.cases import scope
from sanshi.cases.actions import get_case_or_404
from sanshi.core.errors import NotFound
from sanshi.core.files import private_file
from sanshi.core.schemas import router_errors as errors

from . import services
from .models import Dispatch, ResponseTeam
from .selectors import dispatches_for_member, teams_for_user

router = Router(tags=["rapid"])


class ClockOut(Schema):
    name: str
    due_at: datetime
    done_at: datetime | None
    breached: bool


class DispatchOut(Schema):
    id: int
    case: int
    case_number: str | None
    case_title: str
    team: int
    team_name: str
    team_kind: str
    police: bool
    reinforcement_for: int | None
    step: str = Field(..., description="accept | arrive | result | done | withdrawn")
    dispatched_at: datetime
    accepted_at: datetime | None
    arrived_at: datetime | None
    result_at: datetime | None
    result: str
    photo: str | None = Field(..., description="the site photo: a staff page, signed-in and scope-checked; "
                                               "with a bearer token: GET /api/v1/dispatches/{id}/photo")
    reinforcement_requested_at: datetime | None
    reinforcement_note: str
    withdrawn_at: datetime | None = Field(None, description="withdrawn by the command centre (撤回派单)")
    withdraw_reason: str = Field("", description="why it was withdrawn (staff only)")
    clocks: list[ClockOut]


class DispatchIn(Schema):
    team: int | None = Field(None, description="the team's id; empty: the suggested on-duty team")
    police: bool | None = Field(None, description="a police matter; empty: suggested from the request's words")


class ReinforcementIn(Schema):
    note: str = Field("", description="what the scene needs")


class WithdrawIn(Schema):
    reason: str = Field("", description="why the team is withdrawn (kept for staff, not shown to the public)")


class TeamOut(Schema):
    id: int
    street: str
    name: str
    kind: str
    zones: list[str]
    on_duty: bool
    open_dispatches: int


class DutyIn(Schema):
    on_duty: bool


def _dispatch_out(d: Dispatch) -> dict:
    prefetch_related_objects([d.case], "clocks")
    return {
        "id": d.pk, "case": d.case_id, "case_number": d.case.number, "case_title": d.case.title, "team": d.team_id,
        "team_name": d.team.name, "team_kind": d.team.kind, "police": d.police,
        "reinforcement_for": d.reinforcement_for_id, "step": d.step, "dispatched_at": d.dispatched_at,
        "accepted_at": d.accepted_at, "arrived_at": d.arrived_at, "result_at": d.result_at, "result": d.result,
        "photo": reverse("dispatch-photo", args=[d.pk]) if d.photo else None, "reinforcement_requested_at": d.reinforcement_requested_at,
        "reinforcement_note": d.reinforcement_note, "withdrawn_at": d.withdrawn_at,
        "withdraw_reason": d.withdraw_reason,
        "clocks": [{"name": c.name, "due_at": c.due_at, "done_at": c.done_at, "breached": c.breached}
                   for c in d.case.clocks.all()],
    }


def _dispatch(dispatch_id: int) -> Dispatch:
    d = Dispatch.objects.select_related("case", "team").filter(pk=dispatch_id).first()
    if d is None:
        raise NotFound(_("派单不存在"))
    return d


@router.post("/cases/{case_id}/dispatch", response={201: DispatchOut, **errors(403, 404, 409)},
             summary="突发快响：派应急处置队伍（首次派单或增援）")
@idempotent
def dispatch_case(request, case_id: int, payload: DispatchIn):
    case = get_case_or_404(request.auth, case_id)
    team = services.team_choice(case=case, value=payload.team, police=payload.police)
    d = services.case_dispatch(actor=request.auth, case=case, team=team, police=payload.police)
    return Status(201, _dispatch_out(_dispatch(d.pk)))


@router.get("/cases/{case_id}/dispatch-suggestion", response={200: dict, **errors(404)},
            summary="突发快响：建议派出的在岗队伍及理由")
def suggest(request, case_id: int, police: bool | None = None):
    case = get_case_or_404(request.auth, case_id)
    s = services.dispatch_suggest(case, police=police, exclude=case.dispatches.values_list("team_id", flat=True))
    return {"team": s.team.pk if s.team else None, "team_name": s.team.name if s.team else None,
            "police": s.police, "reason": s.reason, "keywords": list(s.keywords)}


@router.get("/dispatches", response={200: list[DispatchOut], **errors()}, summary="我的派单（所在队伍的）")
def my_dispatches(request, open: bool = True):  # noqa: A002 — the query parameter's name
    return [_dispatch_out(d) for d in dispatches_for_member(request.auth, open_only=open)[:100]]


@router.post("/dispatches/{dispatch_id}/accept", response={200: DispatchOut, **errors(403, 404, 409)},
             summary="接单")
@idempotent
def accept(request, dispatch_id: int):
    return _dispatch_out(services.dispatch_accept(actor=request.auth, dispatch=_dispatch(dispatch_id)))


@router.post("/dispatches/{dispatch_id}/arrive", response={200: DispatchOut, **errors(403, 404, 409)},
             summary="到场")
@idempotent
def arrive(request, dispatch_id: int):
    return _dispatch_out(services.dispatch_arrive(actor=request.auth, dispatch=_dispatch(dispatch_id)))


@router.post("/dispatches/{dispatch_id}/result", response={200: DispatchOut, **errors(403, 404, 409)},
             summary="反馈处置结果（multipart：result，可选 photo）")
@idempotent
def result(request, dispatch_id: int, result: Form[str] = "", photo: File[UploadedFile] = None):
    return _dispatch_out(services.dispatch_report_result(actor=request.auth, dispatch=_dispatch(dispatch_id),
                                                         result=result, photo=photo))


@router.post("/dispatches/{dispatch_id}/reinforcement", response={200: DispatchOut, **errors(403, 404, 409)},
             summary="请求增援")
@idempotent
def reinforcement(request, dispatch_id: int, payload: ReinforcementIn):
    return _dispatch_out(services.dispatch_request_reinforcement(actor=request.auth, dispatch=_dispatch(dispatch_id),
                                                                 note=payload.note))


@router.post("/dispatches/{dispatch_id}/withdraw", response={200: DispatchOut, **errors(403, 404, 409)},
             summary="撤回派单（队伍到场前；之后可改派其他队伍）")
@idempotent
def withdraw(request, dispatch_id: int, payload: WithdrawIn):
    return _dispatch_out(services.dispatch_withdraw(actor=request.auth, dispatch=_dispatch(dispatch_id),
                                                    reason=payload.reason))


@router.get("/teams", response={200: list[TeamOut], **errors()}, summary="本街道应急处置队伍")
def teams(request):
    return [{"id": t.pk, "street": t.street.code, "name": t.name, "kind": t.kind, "zones": t.zones,
             "on_duty": t.on_duty, "open_dispatches": t.open_dispatches} for t in teams_for_user(request.auth)]


@router.post("/teams/{team_id}/duty", response={200: TeamOut, **errors(403, 404)}, summary="调整队伍在岗状态")
@idempotent
def team_duty(request, team_id: int, payload: DutyIn):
    team = ResponseTeam.objects.select_related("street").filter(pk=team_id).first()
    if team is None:
        raise NotFound(_("队伍不存在"))
    services.team_set_duty(actor=request.auth, team=team, on_duty=payload.on_duty)
    t = teams_for_user(request.auth).get(pk=team.pk)
    return {"id": t.pk, "street": t.street.code, "name": t.name, "kind": t.kind, "zones": t.zones,
            "on_duty": t.on_duty, "open_dispatches": t.open_dispatches}


@router.get("/dispatches/{dispatch_id}/photo", response={**errors(404)}, summary="现场照片（图片文件）",
            openapi_extra={"responses": {"200": {"description": "the image (never cached, never sniffed)",
                                                 "content": {"image/jpeg": {}, "image/png": {}}}}})
def photo(request, dispatch_id: int):
    """The team's site photo, for who sees the dispatch's case (the case page's rule, as the staff page
    /staff/photos/dispatches/<id>/): out of sight answers 404 like a missing photo, and is audited."""
    d = Dispatch.objects.filter(scope.case_q(request.auth, "case__"), pk=dispatch_id).first()
    if d is None or not d.photo:
        raise NotFound(_("照片不存在"))
    return private_file(d.photo)
