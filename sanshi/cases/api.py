"""The cases' API: the user's list, one case with its timeline, and the transitions endpoint (the
same `case_act` as the case page). Thin: parse, call the services, render."""

from datetime import datetime

from ninja import Field, Query, Router, Schema

from sanshi.accounts.idempotency import idempotent
from sanshi.core.personal import mask_personal_text
from sanshi.core.schemas import router_errors

from . import scope
from .actions import case_act, get_case_or_404
from .hooks import detail_parts
from .models import Case
from .selectors import case_list
from .transitions import offered_actions

router = Router(tags=["cases"])


class EventOut(Schema):
    action: str
    from_: str = Field(..., alias="from")
    to: str
    actor: str
    at: datetime
    note: str
    public_note: str = ""


class WhistleOut(Schema):
    department: str
    department_name: str
    called_at: datetime
    reported_at: datetime | None
    report: str


class ClockOut(Schema):
    name: str = Field(..., description="dispatch | arrive | result | reinforce（突发快响）| deadline（办理期限）")
    due_at: datetime
    done_at: datetime | None
    breached: bool


class CaseOut(Schema):
    id: int
    number: str | None
    title: str
    status: str
    kind: str | None
    catalogue_code: str | None
    catalogue_version: int | None
    level: str | None
    body: str | None
    org: str | None
    org_name: str | None
    grid: str | None
    urgent: bool
    escalations: int
    resolution: str
    result: str
    notice: str
    allowed_actions: list[str] = Field(..., description="what this user may do on the case now")
    whistle_calls: list[WhistleOut]
    events: list[EventOut]
    clocks: list[ClockOut] = []


class CaseSummary(Schema):
    id: int
    number: str | None
    title: str
    status: str
    kind: str | None
    body: str | None
    org: str | None


class TransitionIn(Schema):
    action: str = Field(..., description="triage | settle | consult | give_opinion | record_progress | deliberate | resolve | whistle | department_report | "
                                         "publicise | request_evaluation | evaluate | merge | dispatch")
    kind: str = ""
    catalogue_code: str = ""
    grid: str = ""
    reason: str = ""
    urgent: bool = False
    department: str = Field("", description="triage: the district department code the matter concerns")
    team: str = Field("", description="triage of an urgent event, dispatch: a team id, or auto")
    police: bool | None = None
    meeting: int | None = None
    resolution: str = ""
    votes_for: int | None = Field(None, ge=0)
    votes_against: int | None = Field(None, ge=0)
    departments: list[str] = []
    report: str = ""
    result: str = ""
    notice: str = ""
    rating: str = ""
    comment: str = ""
    note: str = Field("", description="settle: what the grid did (家事网格自办); record_progress: what the "
                                      "supervision committee checked")
    grids: list[str] = Field([], description="consult: the codes of the community's grids asked for an opinion")
    opinion: str = Field("", description="give_opinion: the grid neighbour meeting's opinion (with meeting)")
    into: int | None = Field(None, description="merge: the open case this request repeats")


def case_out(user, case: Case) -> dict:
    """A case in the API; phone and ID numbers typed into its texts masked unless `user` handles it."""
    item = case.catalogue_item
    text = (lambda value: value) if scope.is_handler(user, case) else mask_personal_text
    return {
        "id": case.pk, "number": case.number, "title": case.title, "status": case.status,
        "kind": case.kind or None, "catalogue_code": item.code if item else None,
        "catalogue_version": item.version.number if item else None,
        "level": case.level or None, "body": case.body or None,
        "org": case.org.code if case.org else None, "org_name": case.org.name if case.org else None,
        "grid": case.grid.code if case.grid else None, "urgent": case.urgent, "escalations": case.escalations,
        "resolution": text(case.resolution), "result": text(case.result), "notice": text(case.notice),
        "allowed_actions": scope.actions(user, case, offered_actions(case.status, case.kind)),
        "whistle_calls": [{"department": w.department.code, "department_name": w.department.name,
                           "called_at": w.called_at, "reported_at": w.reported_at, "report": text(w.report)}
                          for w in case.whistle_calls.all()],
        "events": [{"action": e.action, "from": e.from_status, "to": e.to_status,
                    "actor": e.actor.username if e.actor else e.actor_label, "at": e.at, "note": text(e.note),
                    "public_note": text(e.public_note)} for e in case.events.all()],
        **detail_parts(case),
    }


@router.get("/cases", response={200: list[CaseSummary], **router_errors()}, summary="本人可见的事项列表")
def list_cases(request, status: str = "", body: str = "", kind: str = "", limit: int = Query(50, ge=1, le=200),
               offset: int = Query(0, ge=0, le=10_000_000)):
    qs = case_list(request.auth, status=status or None, body=body or None, kind=kind or None)
    return [{"id": c.pk, "number": c.number, "title": c.title, "status": c.status, "kind": c.kind or None,
             "body": c.body or None, "org": c.org.code if c.org else None}
            for c in qs.order_by("-created_at", "-id")[offset:offset + limit]]


@router.get("/cases/{case_id}", response={200: CaseOut, **router_errors(404)}, summary="事项详情与时间线")
def get_case(request, case_id: int):
    return case_out(request.auth, get_case_or_404(request.auth, case_id))


@router.post("/cases/{case_id}/transitions", response={200: CaseOut, **router_errors(403, 404, 409)},
             summary="推进事项（分拣、议事、吹哨、公示、评价…）")
@idempotent
def case_transition(request, case_id: int, payload: TransitionIn):
    case = get_case_or_404(request.auth, case_id)
    case = case_act(actor=request.auth, case=case, action=payload.action, data=payload.dict())
    return case_out(request.auth, get_case_or_404(request.auth, case.pk))
