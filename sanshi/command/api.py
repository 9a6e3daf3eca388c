"""The board and the 1-5-10 compliance figures over the API (/api/v1/command/…): the same selectors
as the pages, for a wall screen or another system. Mounted by sanshi/api/api.py with the bearer auth."""

from datetime import datetime

from django.utils.translation import gettext_lazy
from ninja import Field, Query, Router, Schema

from sanshi.audit.services import audit_denied
from sanshi.core.errors import NotPermitted, ValidationFailed
from sanshi.core.schemas import router_errors

from . import selectors
from .selectors import STEP_NAMES, PeriodError

router = Router(tags=["command"])


def _errors(*codes: int) -> dict:
    return router_errors(403, *codes)  # the board is for the command centre: 403 for other roles


class ClockOut(Schema):
    name: str
    due_at: datetime
    done_at: datetime | None
    breached: bool
    state: str = Field(description="pending | done | breached | done_late")


class DispatchOut(Schema):
    team_id: int
    team: str
    reinforcement: bool
    dispatched_at: datetime
    accepted_at: datetime | None
    arrived_at: datetime | None
    result_at: datetime | None
    reinforcement_requested_at: datetime | None
    withdrawn: bool = Field(description="撤回派单：队伍已被撤下（另派其他队伍）")


class TeamRef(Schema):
    id: int
    name: str


class UrgentOut(Schema):
    id: int
    number: str | None
    title: str
    status: str
    zone: str
    grid: str | None
    clocks: list[ClockOut]
    dispatches: list[DispatchOut]
    needs_team: bool = Field(description="待派单或待派增援")
    suggested_team: TeamRef | None
    suggestion_reason: str


class UnassignedOut(Schema):
    id: int
    number: str | None
    title: str
    received_at: datetime | None
    grid: str | None
    zone: str
    urgent_suggested: bool
    suggested_kind: str | None
    suggested_code: str | None
    suggested_team: TeamRef | None = Field(description="只对建议按紧急处理的诉求给出")
    suggestion_reason: str


class OverdueOut(Schema):
    kind: str = Field(description="clock | ledger | visit")
    case_id: int
    title: str
    name: str = Field(description="时限名称（clock），或 ledger / visit")
    due_at: datetime
    breached: bool


class ZoneOut(Schema):
    street: str
    zone: str
    open: int
    urgent: int
    received: int
    overdue: int


class TeamOut(Schema):
    id: int
    name: str
    kind: str
    street: str
    zones: list[str]
    on_duty: bool
    members: int
    open_dispatches: int


class BoardOut(Schema):
    now: datetime
    urgent: list[UrgentOut]
    unassigned: list[UnassignedOut]
    unassigned_total: int
    overdue: list[OverdueOut]
    overdue_total: int
    zones: list[ZoneOut]
    teams: list[TeamOut]


class StepOut(Schema):
    met: int
    breached: int
    pending: int
    rate: float | None = Field(description="met / (met + breached); null when nothing is judged yet")


class GroupOut(Schema):
    group: str
    steps: dict[str, StepOut]


class BucketOut(Schema):
    from_seconds: int
    to_seconds: int | None
    count: int


class DistributionOut(Schema):
    count: int
    not_dispatched: int
    p50: float | None
    p90: float | None
    p99: float | None
    buckets: list[BucketOut]


class ComplianceOut(Schema):
    period_from: str
    period_to: str
    overall: dict[str, StepOut]
    streets: list[GroupOut]
    zones: list[GroupOut]
    teams: list[GroupOut]
    dispatch: DistributionOut


def _suggestion(case) -> dict:
    team = getattr(case.team_suggestion, "team", None)
    return {"suggested_team": {"id": team.pk, "name": team.name} if team else None,
            "suggestion_reason": getattr(case.team_suggestion, "reason", "") or ""}


def _scope(request) -> selectors.BoardScope:
    scope = selectors.board_scope(request.auth)
    if scope is None:
        audit_denied(request, "command_board", "")
        raise NotPermitted(gettext_lazy("指挥中心接口只对指挥中心接线员和街道干部开放"))
    return scope


@router.get("/board", response={200: BoardOut, **_errors()}, summary="指挥中心实时看板（紧急事件、待分拣、超时、负荷）")
def board(request):
    data = selectors.board(_scope(request))
    overdue = [{"kind": "clock", "case_id": c.case_id, "title": c.case.title, "name": c.name, "due_at": c.due_at,
                "breached": True} for c in data["overdue"]]
    overdue += [{"kind": "ledger", "case_id": e.case_id, "title": e.case.title, "name": "ledger",
                 "due_at": e.deadline_at, "breached": True} for e in data["ledger"]]
    overdue += [{"kind": "visit", "case_id": v.case_id, "title": v.case.title, "name": "visit",
                 "due_at": v.due_at, "breached": True} for v in data["visits"]]
    return {
        "now": data["now"],
        "urgent": [{
            "id": c.pk, "number": c.number, "title": c.title, "status": c.status, "zone": c.board_zone,
            "grid": c.grid.code if c.grid else None,
            "clocks": [{"name": k.name, "due_at": k.due_at, "done_at": k.done_at,
                        "breached": bool(k.breached_at) or (k.done_at or data["now"]) > k.due_at,
                        "state": k.state} for k in c.board_clocks],
            "dispatches": [{"team_id": d.team_id, "team": d.team.name, "reinforcement": bool(d.reinforcement_for_id),
                            "dispatched_at": d.dispatched_at, "accepted_at": d.accepted_at,
                            "arrived_at": d.arrived_at, "result_at": d.result_at,
                            "reinforcement_requested_at": d.reinforcement_requested_at,
                            "withdrawn": d.withdrawn_at is not None}
                           for d in c.board_dispatches],
            "needs_team": c.needs_team, **_suggestion(c),
        } for c in data["urgent"]],
        "unassigned": [{
            "id": c.pk, "number": c.number, "title": c.title, "received_at": c.received_at,
            "grid": c.grid.code if c.grid else None, "zone": c.board_zone, "urgent_suggested": c.urgent_suggested,
            "suggested_kind": c.suggested_kind or None, "suggested_code": c.suggested_code or None,
            **_suggestion(c),
        } for c in data["unassigned"]],
        "unassigned_total": data["unassigned_total"],
        "overdue": overdue,
        "overdue_total": data["overdue_total"] + data["ledger_total"] + data["visits_total"],
        "zones": [{k: z[k] for k in ("street", "zone", "open", "urgent", "received", "overdue")}
                  for z in data["zones"]],
        "teams": [{"id": t.pk, "name": t.name, "kind": t.kind, "street": t.street.name, "zones": list(t.zones or []),
                   "on_duty": t.on_duty, "members": t.member_count, "open_dispatches": t.open_dispatches}
                  for t in data["teams"]],
    }


def _groups(groups: dict) -> list[dict]:
    return [{"group": name, "steps": {s: steps[s].as_dict() for s in STEP_NAMES}} for name, steps in groups.items()]


@router.get("/compliance", response={200: ComplianceOut, **_errors()},
            summary="1-5-10 达标情况与派单用时分布（from/to：年-月-日，含首尾；默认最近30天）")
def compliance(request, date_from: str = Query("", alias="from", max_length=40),
               date_to: str = Query("", alias="to", max_length=40)):
    scope = _scope(request)
    try:
        period = selectors.parse_period(date_from, date_to)
    except PeriodError as exc:
        raise ValidationFailed(gettext_lazy("统计时段有误"), errors=exc.errors) from None
    figures = selectors.compliance(scope, period)
    d = figures["dispatch"]
    return {
        "period_from": period.start.isoformat(), "period_to": period.end.isoformat(),
        "overall": {s: figures["overall"][s].as_dict() for s in STEP_NAMES},
        "streets": _groups(figures["streets"]), "zones": _groups(figures["zones"]), "teams": _groups(figures["teams"]),
        "dispatch": {"count": d["count"], "not_dispatched": d["not_dispatched"], "p50": d["p50"], "p90": d["p90"],
                     "p99": d["p99"], "buckets": [{"from_seconds": b["from"], "to_seconds": b["to"], "count": b["count"]}
                                                  for b in d["buckets"]]},
    }
