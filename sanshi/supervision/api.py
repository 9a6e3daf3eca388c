"""Deadlines and supervision in the API (mounted by sanshi.api.api under /api/v1, bearer token): the
street's ledger (台账) and its claim / deadline / progress, follow-up visits (回访), the holiday
calendar. The same services as the pages: 400 with field errors, 403 for a role without the right,
404 outside scope, 409 for a move the entry's state refuses (already claimed, already closed)."""

from datetime import date, datetime

from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from ninja import Field, Query, Router, Schema, Status

from sanshi.accounts.idempotency import idempotent
from sanshi.core.errors import ValidationFailed
from sanshi.core.schemas import router_errors as errors

from . import services
from .export import STATE_LABELS
from .models import CalendarDay, FollowUpVisit, LedgerEntry
from .selectors import LEDGER_FILTERS, entry_for, ledger_for, visit_for, visits_for

router = Router(tags=["supervision"])


class ProgressOut(Schema):
    at: datetime
    percent: int | None
    note: str
    author: str


class LedgerEntryOut(Schema):
    id: int
    case: int
    case_number: str | None
    case_title: str
    case_status: str
    street: str
    street_name: str
    state: str = Field(..., description="unclaimed | claimed | reminded | warned | notified | closed")
    state_label: str
    stage: int = Field(..., description="0 未超期, 1 已提醒承办人, 2 已警示街道领导, 3 已通报指挥中心")
    claimed_by: str | None
    claimed_at: datetime | None
    deadline_at: datetime
    deadline_reason: str
    overdue_days: int
    progress_percent: int
    reminded_at: datetime | None
    warned_at: datetime | None
    notified_at: datetime | None
    opened_at: datetime
    closed_at: datetime | None
    progress: list[ProgressOut] = []


class DeadlineIn(Schema):
    deadline: date = Field(..., description="完成日期（工作日），YYYY-MM-DD")
    reason: str = Field("", description="与清单默认时限不同时必填")


class ProgressIn(Schema):
    note: str = Field(..., description="进展情况")
    percent: int | None = Field(None, description="完成百分比 0–100")


class VisitOut(Schema):
    id: int
    case: int
    case_number: str | None
    case_title: str
    grid: str
    grid_name: str
    created_at: datetime
    due_at: datetime
    reminded_at: datetime | None
    done_at: datetime | None
    satisfaction: str
    contact_method: str
    note: str


class VisitIn(Schema):
    satisfaction: str = Field(..., description="satisfied 满意 | basically 基本满意 | unsatisfied 不满意")
    contact_method: str = Field(..., description="phone 电话 | door 上门 | wechat 微信 | other 其他")
    note: str = Field("", description="回访记录；不满意时必填")


class CalendarDayOut(Schema):
    date: date
    is_workday: bool
    name: str


class CalendarDayIn(Schema):
    date: date
    is_workday: bool = Field(False, description="true: 调休上班；false: 放假")
    name: str


def _entry_out(entry: LedgerEntry, *, with_progress: bool = False, exceptions=None) -> dict:
    now = timezone.now()
    overdue = (services.days_between(entry.deadline_at, now, exceptions) if entry.is_open and now > entry.deadline_at
               else 0)
    case = entry.case
    out = {
        "id": entry.pk, "case": case.pk, "case_number": case.number, "case_title": case.title,
        "case_status": case.status, "street": entry.street.code, "street_name": entry.street.name,
        "state": entry.state, "state_label": str(STATE_LABELS[entry.state]), "stage": entry.stage,
        "claimed_by": str(entry.claimed_by) if entry.claimed_by_id else None, "claimed_at": entry.claimed_at,
        "deadline_at": entry.deadline_at, "deadline_reason": entry.deadline_reason, "overdue_days": overdue,
        "progress_percent": entry.progress_percent, "reminded_at": entry.reminded_at, "warned_at": entry.warned_at,
        "notified_at": entry.notified_at, "opened_at": entry.opened_at, "closed_at": entry.closed_at,
    }
    if with_progress:
        out["progress"] = [{"at": p.at, "percent": p.percent, "note": p.note, "author": str(p.author or "")}
                           for p in entry.progress.select_related("author")]
    return out


def _visit_out(visit: FollowUpVisit) -> dict:
    return {"id": visit.pk, "case": visit.case_id, "case_number": visit.case.number, "case_title": visit.case.title,
            "grid": visit.grid.code, "grid_name": visit.grid.name, "created_at": visit.created_at,
            "due_at": visit.due_at, "reminded_at": visit.reminded_at, "done_at": visit.done_at,
            "satisfaction": visit.satisfaction, "contact_method": visit.contact_method, "note": visit.note}


@router.get("/ledger", response={200: list[LedgerEntryOut], **errors()}, summary="公事台账（本辖区街道）")
def ledger_list(request, show: str = Query("open", description="open | unclaimed | overdue | closed | all"),
                limit: int = Query(100, ge=1, le=500), offset: int = Query(0, ge=0, le=1_000_000)):
    if show not in LEDGER_FILTERS:
        raise ValidationFailed(_("筛选条件有误"), errors={"show": format_lazy(_("只能是 {choices}"),
                                                                 choices=" | ".join(LEDGER_FILTERS))})
    exceptions = services.calendar_exceptions()
    return [_entry_out(e, exceptions=exceptions) for e in ledger_for(request.auth, show=show)[offset:offset + limit]]


@router.get("/ledger/{entry_id}", response={200: LedgerEntryOut, **errors(404)}, summary="台账事项详情与进展")
def ledger_detail(request, entry_id: int):
    return _entry_out(entry_for(request.auth, entry_id), with_progress=True)


@router.post("/ledger/{entry_id}/claim", response={200: LedgerEntryOut, **errors(403, 404, 409)},
             summary="街道领导认领台账事项")
@idempotent
def ledger_claim(request, entry_id: int):
    entry = services.ledger_claim(actor=request.auth, entry=entry_for(request.auth, entry_id))
    return _entry_out(entry, with_progress=True)


@router.post("/ledger/{entry_id}/deadline", response={200: LedgerEntryOut, **errors(403, 404, 409)},
             summary="承办领导设定完成时限")
@idempotent
def ledger_deadline(request, entry_id: int, payload: DeadlineIn):
    entry = services.ledger_set_deadline(actor=request.auth, entry=entry_for(request.auth, entry_id),
                                         deadline=payload.deadline, reason=payload.reason)
    return _entry_out(entry, with_progress=True)


@router.post("/ledger/{entry_id}/progress", response={200: LedgerEntryOut, **errors(403, 404, 409)},
             summary="承办领导报告办理进展")
@idempotent
def ledger_progress(request, entry_id: int, payload: ProgressIn):
    entry = entry_for(request.auth, entry_id)
    services.ledger_report_progress(actor=request.auth, entry=entry, note=payload.note, percent=payload.percent)
    return _entry_out(entry, with_progress=True)


@router.get("/visits", response={200: list[VisitOut], **errors()}, summary="家事回访任务（本辖区）")
def visit_list(request, done: bool = Query(False, description="true: 已回访的；false: 待回访的")):
    return [_visit_out(v) for v in visits_for(request.auth, open_only=not done)[:500]]


@router.post("/visits/{visit_id}", response={200: VisitOut, **errors(403, 404, 409)}, summary="网格长登记回访结果")
@idempotent
def visit_record(request, visit_id: int, payload: VisitIn):
    visit = services.follow_up_record(actor=request.auth, visit=visit_for(request.auth, visit_id),
                                      satisfaction=payload.satisfaction, contact_method=payload.contact_method,
                                      note=payload.note)
    return _visit_out(visit)


@router.get("/calendar", response={200: list[CalendarDayOut], **errors()}, summary="节假日与调休安排")
def calendar_list(request, year: int | None = Query(None, ge=2000, le=2100)):
    qs = CalendarDay.objects.all()
    if year:
        qs = qs.filter(date__year=year)
    return [{"date": d.date, "is_workday": d.is_workday, "name": d.name} for d in qs]


@router.post("/calendar", response={201: CalendarDayOut, **errors(403)}, summary="添加或修改一天（街道干部、系统管理员）")
@idempotent
def calendar_set(request, payload: CalendarDayIn):
    row = services.calendar_day_set(actor=request.auth, day=payload.date, is_workday=payload.is_workday,
                                    name=payload.name)
    return Status(201, {"date": row.date, "is_workday": row.is_workday, "name": row.name})


@router.delete("/calendar/{day}", response={204: None, **errors(403)}, summary="删除一天的安排")
def calendar_remove(request, day: date):
    services.calendar_day_remove(actor=request.auth, day=day)
    return Status(204, None)
