"""Every write of deadlines and supervision (STYLE habit 1: keyword-only, actor passed, atomic).

- Calendar: `calendar_day_set`, `calendar_day_remove`, `calendar_seed`; `deadline_after` counts
  working days (or calendar days, SANSHI_DEADLINE_COUNTS) with the calendar's exceptions.
- Case deadline: `deadline_start` (at a non-urgent triage), `deadline_restart` (提级复议),
  `deadline_reroute` (退回重分),
  `supervision_on_close` (acceptance: the clock completes, the ledger entry closes, a HOUSEHOLD
  matter gets its follow-up visit). Registered on the case's moves (triage, escalate, close: hooks.py).
- Ledger (台账): `ledger_claim`, `ledger_set_deadline`, `ledger_report_progress`.
- Follow-up visits (回访): `follow_up_create`, `follow_up_record`.
- The worker's sweeps: `deadlines_sweep` (DEADLINE clocks), `ledger_sweep` (the 挂账督办 ladder),
  `follow_ups_sweep` (overdue visits), all in `supervision_sweep()`. Each claims its rows with
  SELECT … FOR UPDATE SKIP LOCKED on PostgreSQL and records what it fired on the row in the same
  transaction as the case event and the notifications (an outbox), so a restarted or a second
  worker never fires a rung twice.

Lock order: the audit chain's lock first (as `cases.services.transition` does), then rows."""

from datetime import date, datetime

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from sanshi.audit.services import audit_lock, audit_record
from sanshi.cases import scope
from sanshi.cases.models import Case, Status
from sanshi.cases.services import record_event
from sanshi.cases.transitions import Action, TimelineEvent
from sanshi.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from sanshi.core.i18n import stored_in_canonical_language
from sanshi.core.jobs import enqueue_many
from sanshi.core.notify import notify
from sanshi.rapid.models import Clock, ClockName
from sanshi.rapid.services import case_street
from sanshi.registry.models import Level, Role, StaffRole
from sanshi.registry.selectors import security_admin_role_for

from . import calendar as wd
from .holidays import SEEDED
from .models import (
    CalendarDay,
    ContactMethod,
    FollowUpVisit,
    LedgerEntry,
    LedgerProgress,
    LedgerStage,
    Satisfaction,
)
from .permissions import check_calendar_edit, check_ledger_claim, check_ledger_handler, check_visit_record

DEADLINE_BREACH_JOB = "deadline_breach"
SYSTEM_LABEL = "督办系统"
RUNG_ACTIONS = {LedgerStage.REMINDED: "ledger_remind", LedgerStage.WARNED: "ledger_warn",
                LedgerStage.NOTIFIED: "ledger_notify"}
RUNG_FIELDS = {LedgerStage.REMINDED: "reminded_at", LedgerStage.WARNED: "warned_at",
               LedgerStage.NOTIFIED: "notified_at"}


# ---- settings ---------------------------------------------------------------------------------

def counts_working_days() -> bool:
    return getattr(settings, "SANSHI_DEADLINE_COUNTS", "working") != "calendar"


def warn_after_days() -> int:
    return getattr(settings, "SANSHI_LEDGER_WARN_AFTER_DAYS", 1)


def notify_after_days() -> int:
    return getattr(settings, "SANSHI_LEDGER_NOTIFY_AFTER_DAYS", 3)


def follow_up_days() -> int:
    return getattr(settings, "SANSHI_FOLLOW_UP_DAYS", 3)


# ---- calendar ---------------------------------------------------------------------------------

def calendar_exceptions() -> dict[date, bool]:
    """The calendar's exceptions (a few dozen rows a year), for the pure arithmetic."""
    return dict(CalendarDay.objects.values_list("date", "is_workday"))


def deadline_after(start: datetime, days: int, exceptions: dict[date, bool] | None = None) -> datetime:
    """The end of the `days`-th working day (or calendar day) after the local day of `start`."""
    if not counts_working_days():
        return wd.add_calendar_days(start, days)
    return wd.add_working_days(start, days, calendar_exceptions() if exceptions is None else exceptions)


def days_between(start: datetime, end: datetime, exceptions: dict[date, bool] | None = None) -> int:
    if not counts_working_days():
        return (timezone.localtime(end).date() - timezone.localtime(start).date()).days
    return wd.working_days_between(start, end, calendar_exceptions() if exceptions is None else exceptions)


def is_workday(day: date) -> bool:
    return wd.is_workday(day, calendar_exceptions())


def calendar_day_set(*, actor, day: date | None, is_workday: bool, name: str) -> CalendarDay:
    """Add or change one exception: a holiday (放假) or a make-up working day (调休上班)."""
    check_calendar_edit(actor)
    name = (name or "").strip()
    errors = {}
    if day is None:
        errors["date"] = _("请填写日期")
    if not name:
        errors["name"] = _("请填写名称，例如：国庆节、春节调休上班")
    elif len(name) > 40:
        errors["name"] = _("名称最多40个字")
    if errors or day is None:
        raise ValidationFailed(_("节假日信息有误"), errors=errors)
    with transaction.atomic():
        row, _created = CalendarDay.objects.update_or_create(
            date=day, defaults={"is_workday": bool(is_workday), "name": name, "updated_by": actor})
        audit_record(event="calendar.set", actor=actor, obj_type="calendar_day", obj_id=str(row.pk))
        _reschedule_open_entries()
    return row


def calendar_day_remove(*, actor, day: date | None) -> None:
    check_calendar_edit(actor)
    if day is None:
        raise ValidationFailed(_("请填写日期"), errors={"date": _("请填写日期")})
    with transaction.atomic():
        row = CalendarDay.objects.filter(date=day).first()
        if row is None:
            raise ValidationFailed(_("该日期没有设置"), errors={"date": format_lazy(_("{day} 不在节假日安排中"), day=f"{day:%Y-%m-%d}")})
        audit_record(event="calendar.remove", actor=actor, obj_type="calendar_day", obj_id=str(row.pk))
        row.delete()
        _reschedule_open_entries()


def calendar_seed(years: list[int] | None = None) -> int:
    """Load the seeded official schedule (sanshi/supervision/holidays.py); rows already present (also
    edited ones) are left as they are. Returns how many were added."""
    added = 0
    for year, days in SEEDED.items():
        if years and year not in years:
            continue
        for day, is_work, name in days:
            added += CalendarDay.objects.get_or_create(date=day, defaults={"is_workday": is_work, "name": name})[1]
    return added


def _reschedule_open_entries() -> None:
    """A calendar edit moves the ladder's next rung of every open ledger entry (deadlines already
    set stay: they are dates someone chose)."""
    exceptions = calendar_exceptions()
    for entry in LedgerEntry.objects.select_for_update().filter(closed_at__isnull=True):
        nxt = _next_rung_at(entry, exceptions)
        if nxt != entry.next_rung_at:
            entry.next_rung_at = nxt
            entry.save(update_fields=["next_rung_at"])


# ---- the case deadline ------------------------------------------------------------------------

def _deadline_days(case: Case) -> int:
    return case.catalogue_item.deadline_days if case.catalogue_item is not None else 15


def deadline_start(*, case: Case, at: datetime | None = None) -> Clock:
    """At a non-urgent triage: the DEADLINE clock, due at the end of the catalogue item's Nth
    working day after the triage; a PUBLIC matter also goes on its street's ledger."""
    at = at or timezone.now()
    days = _deadline_days(case)
    due = deadline_after(at, days)
    with transaction.atomic():
        clock, _created = Clock.objects.update_or_create(
            case=case, name=ClockName.DEADLINE,
            defaults={"started_at": at, "due_at": due, "done_at": None, "breached_at": None})
        if case.kind == "PUBLIC":
            street = case_street(case) or case.org
            if street is None:  # a triaged case has its place: the ledger needs its street
                raise ValidationFailed(_("事项没有所在街道，不能上台账"), errors={"grid": _("请指定事项所在网格")})
            LedgerEntry.objects.get_or_create(case=case, defaults={
                "street": street, "opened_at": at, "deadline_days": days, "deadline_at": due, "next_rung_at": due})
    return clock


def deadline_restart(*, case: Case, at: datetime | None = None) -> Clock | None:
    """提级复议: the level above takes the case again, so the deadline starts again from the
    escalation (a full catalogue deadline); the ledger entry keeps its claimer and its progress,
    and its ladder starts again from the new deadline."""
    at = at or timezone.now()
    with transaction.atomic():
        clock = Clock.objects.select_for_update().filter(case=case, name=ClockName.DEADLINE).first()
        if clock is None:
            return None
        due = deadline_after(at, _deadline_days(case))
        clock.started_at, clock.due_at, clock.done_at, clock.breached_at = at, due, None, None
        clock.save(update_fields=["started_at", "due_at", "done_at", "breached_at"])
        entry = LedgerEntry.objects.select_for_update().filter(case=case, closed_at__isnull=True).first()
        if entry is not None:
            entry.deadline_at, entry.deadline_reason = due, "提级复议，时限重新起算"
            _reset_ladder(entry)
            entry.save()
    return clock


def deadline_reroute(*, case: Case, at: datetime | None = None) -> Clock:
    """退回重分: the case goes to another body (or grid), whose deadline starts from the re-routing
    with the new catalogue item's days. A matter that is no longer PUBLIC leaves its street's ledger
    (the entry is closed, its claim and progress kept); one that is (again) PUBLIC is on it with the
    new deadline and its ladder from the start."""
    at = at or timezone.now()
    with transaction.atomic():
        clock = deadline_start(case=case, at=at)  # a new PUBLIC matter's ledger entry is made here
        entry = LedgerEntry.objects.select_for_update().filter(case=case).first()
        if entry is not None and case.kind != "PUBLIC" and entry.closed_at is None:
            entry.closed_at, entry.next_rung_at = at, None
            entry.save(update_fields=["closed_at", "next_rung_at"])
        elif entry is not None and case.kind == "PUBLIC" and entry.opened_at != at:
            entry.closed_at, entry.deadline_days = None, _deadline_days(case)
            entry.street = case_street(case) or entry.street  # another grid may lie in another street
            entry.deadline_at, entry.deadline_reason = clock.due_at, "重新分拣，时限重新起算"
            _reset_ladder(entry)
            entry.save()
    return clock


def supervision_on_close(*, case: Case, at: datetime | None = None) -> None:
    """The case is accepted (closed after a good evaluation): the deadline clock completes (late if
    it ran out), the ledger entry is closed (销账), and a HOUSEHOLD matter gets its follow-up visit."""
    at = at or timezone.now()
    with transaction.atomic():
        clock = Clock.objects.select_for_update().filter(case=case, name=ClockName.DEADLINE).first()
        if clock is not None and clock.done_at is None:
            clock.done_at = at
            if clock.breached_at is None and at > clock.due_at:
                clock.breached_at = at
            clock.save(update_fields=["done_at", "breached_at"])
        LedgerEntry.objects.filter(case=case, closed_at__isnull=True).update(closed_at=at, next_rung_at=None)
        if case.kind == "HOUSEHOLD" and case.grid_id:
            follow_up_create(case=case, at=at)


def deadlines_sweep(limit: int = 500) -> int:
    """Breach overdue DEADLINE clocks; for a non-PUBLIC case queue a notification to its handlers
    (a PUBLIC case's handlers hear from the ledger ladder instead). Returns how many were breached."""
    now = timezone.now()
    with transaction.atomic():
        qs = (Clock.objects.filter(name=ClockName.DEADLINE, done_at__isnull=True, breached_at__isnull=True,
                                   due_at__lte=now).order_by("due_at", "id"))
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        rows = list(qs.values_list("id", "case__kind")[:limit])
        if rows:  # one UPDATE and one INSERT for the batch
            Clock.objects.filter(pk__in=[pk for pk, _ in rows]).update(breached_at=now)
            enqueue_many(DEADLINE_BREACH_JOB, [{"clock": pk} for pk, kind in rows if kind != "PUBLIC"])
    return len(rows)


def case_handlers(case: Case) -> list:
    """The staff who handle the case where it now sits (a handling role at its responsible node)."""
    return [r.user for r in scope.handler_roles(case).select_related("user").order_by("id")]


# ---- the ledger (台账 / 挂账督办) -------------------------------------------------------------

def _street_staff(street, role: str) -> list:
    return [r.user for r in StaffRole.objects.filter(node=street, role=role, active=True)
            .select_related("user").order_by("id")]


def _next_rung_at(entry: LedgerEntry, exceptions: dict[date, bool]) -> datetime | None:
    if entry.closed_at is not None:
        return None
    if entry.stage == LedgerStage.NONE:
        return entry.deadline_at
    if entry.stage == LedgerStage.REMINDED:
        return deadline_after(entry.deadline_at, warn_after_days(), exceptions)
    if entry.stage == LedgerStage.WARNED:
        return deadline_after(entry.deadline_at, notify_after_days(), exceptions)
    return None


def _reset_ladder(entry: LedgerEntry) -> None:
    entry.stage = LedgerStage.NONE
    entry.reminded_at = entry.warned_at = entry.notified_at = None
    entry.next_rung_at = entry.deadline_at


def _locked_entry(entry: LedgerEntry) -> LedgerEntry:
    audit_lock()
    locked = LedgerEntry.objects.select_for_update().get(pk=entry.pk)
    if locked.closed_at is not None:
        raise TransitionNotAllowed(_("该事项已验收销账，不能再操作"))
    return locked


def _sync(entry: LedgerEntry, locked: LedgerEntry) -> LedgerEntry:
    for field in locked._meta.concrete_fields:
        setattr(entry, field.attname, getattr(locked, field.attname))
    return entry


def _parse_percent(value) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationFailed(_("进度有误"), errors={"percent": _("进度必须是0到100的整数")}) from None
    if not 0 <= number <= 100:
        raise ValidationFailed(_("进度有误"), errors={"percent": _("进度必须是0到100的整数")})
    return number


def ledger_claim(*, actor, entry: LedgerEntry) -> LedgerEntry:
    """A street leader claims the item (主动认领): they become its handler."""
    role = check_ledger_claim(actor, entry)
    with transaction.atomic():
        locked = _locked_entry(entry)
        if locked.claimed_by_id is not None:
            raise TransitionNotAllowed(_("该事项已由您认领") if locked.claimed_by_id == actor.pk
                                       else _("该事项已由其他领导认领"))
        locked.claimed_by, locked.claimed_at = actor, timezone.now()
        locked.save(update_fields=["claimed_by", "claimed_at"])
        record_event(case=locked.case, event=TimelineEvent.LEDGER_CLAIM, actor=actor,
                     actor_label=role.get_role_display(), public_note="街道领导已认领，挂账督办",
                     data={"ledger_entry": locked.pk}, audit={"role": role.role, "node": role.node.code})
    return _sync(entry, locked)


def ledger_set_deadline(*, actor, entry: LedgerEntry, deadline: date | None, reason: str = "") -> LedgerEntry:
    """The claimer sets the completion date; a date other than the catalogue's default needs a
    reason. A new deadline restarts the ladder (the rungs already fired stay in the timeline)."""
    role = check_ledger_handler(actor, entry)
    reason = (reason or "").strip()
    errors = {}
    today = timezone.localdate()
    default = deadline_after(entry.opened_at, entry.deadline_days)
    if deadline is None:
        errors["deadline"] = _("请选择完成日期")
    elif deadline < today:
        errors["deadline"] = _("完成日期不能早于今天")
    elif counts_working_days() and not is_workday(deadline):
        errors["deadline"] = format_lazy(_("{day} 不是工作日，请另选一天"), day=f"{deadline:%Y-%m-%d}")
    elif wd.end_of_day(deadline) != default and not reason:
        errors["reason"] = format_lazy(_("与清单默认时限（{day}）不同，请填写理由"),
                                        day=f"{timezone.localtime(default):%Y-%m-%d}")
    if len(reason) > 500:
        errors["reason"] = _("理由最多500字")
    if errors or deadline is None:
        raise ValidationFailed(_("完成时限有误"), errors=errors)
    with transaction.atomic():
        locked = _locked_entry(entry)
        if locked.claimed_by_id != actor.pk:
            raise TransitionNotAllowed(_("该事项已由其他领导认领"))
        before = locked.deadline_at
        locked.deadline_at, locked.deadline_reason = wd.end_of_day(deadline), reason
        _reset_ladder(locked)
        locked.save()
        Clock.objects.filter(case_id=locked.case_id, name=ClockName.DEADLINE, done_at__isnull=True).update(
            due_at=locked.deadline_at, breached_at=None)
        record_event(case=locked.case, event=TimelineEvent.LEDGER_DEADLINE, actor=actor,
                     actor_label=role.get_role_display(), note=reason, public_note=f"完成时限定为{deadline:%Y年%m月%d日}",
                     data={"ledger_entry": locked.pk, "from": timezone.localtime(before).date().isoformat(),
                           "to": deadline.isoformat()}, audit={"role": role.role, "node": role.node.code})
    return _sync(entry, locked)


def ledger_report_progress(*, actor, entry: LedgerEntry, note: str, percent=None) -> LedgerProgress:
    """The claimer reports progress: a dated note with an optional percentage."""
    role = check_ledger_handler(actor, entry)
    note = (note or "").strip()
    errors = {}
    try:
        percent = _parse_percent(percent)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if not note:
        errors["note"] = _("请填写进展情况")
    elif len(note) > 2000:
        errors["note"] = _("进展情况最多2000字")
    if errors:
        raise ValidationFailed(_("进展信息有误"), errors=errors)
    with transaction.atomic():
        locked = _locked_entry(entry)
        now = timezone.now()
        progress = LedgerProgress.objects.create(entry=locked, at=now, author=actor, percent=percent, note=note)
        if percent is not None:
            locked.progress_percent = percent
            locked.save(update_fields=["progress_percent"])
        record_event(case=locked.case, event=TimelineEvent.LEDGER_PROGRESS, actor=actor,
                     actor_label=role.get_role_display(), note=note,
                     public_note="更新办理进展" + (f"（{percent}%）" if percent is not None else ""),
                     data={"ledger_entry": locked.pk, "progress": progress.pk, "percent": percent},
                     audit={"role": role.role, "node": role.node.code})
    _sync(entry, locked)
    return progress


def _fire_rung(entry: LedgerEntry, stage: int, now: datetime) -> None:
    case = entry.case
    number, title = case.number, case.title
    due = timezone.localtime(entry.deadline_at)
    link = f"/staff/ledger/{entry.pk}/"
    if stage == LedgerStage.REMINDED:
        recipients = ([entry.claimed_by] if entry.claimed_by is not None
                      else _street_staff(entry.street, Role.STREET_OFFICER))
        subject = f"台账事项到期提醒：{number}"
        body = f"「{title}」的完成时限（{due:%Y-%m-%d}）已到，尚未验收销账。请尽快办结并报告进展。"
        public = "已到完成时限，督办提醒承办领导"
        kind = "ledger_remind"
    elif stage == LedgerStage.WARNED:
        recipients = _street_staff(entry.street, Role.STREET_OFFICER)
        subject = f"台账事项超期警示：{number}"
        body = (f"「{title}」已超过完成时限（{due:%Y-%m-%d}）{warn_after_days()}个工作日仍未办结，"
                "请街道领导督促承办人。")
        public = f"超期{warn_after_days()}个工作日，警示街道领导"
        kind = "ledger_warn"
    else:
        recipients = _street_staff(entry.street, Role.OPERATOR)
        subject = f"台账事项超期通报：{number}"
        body = (f"「{title}」已超过完成时限（{due:%Y-%m-%d}）{notify_after_days()}个工作日仍未办结，"
                "通报街道指挥中心跟踪督办。")
        public = f"超期{notify_after_days()}个工作日，通报街道指挥中心"
        kind = "ledger_notify"
    record_event(case=case, event=RUNG_ACTIONS[LedgerStage(stage)], actor=None, actor_label=SYSTEM_LABEL,
                 public_note=public, data={"ledger_entry": entry.pk, "stage": int(stage),
                                           "deadline": due.date().isoformat(), "recipients": [u.pk for u in recipients]})
    notify(recipients=recipients, subject=subject, body=body, kind=kind, link=link)
    entry.stage = stage
    setattr(entry, RUNG_FIELDS[LedgerStage(stage)], now)


def ledger_sweep(limit: int = 200) -> int:
    """Climb the ladder for open entries whose next rung is due; return how many rungs fired.
    Several rungs due at once (a worker that was down) fire in order, each once."""
    now = timezone.now()
    fired = 0
    if not LedgerEntry.objects.filter(closed_at__isnull=True, next_rung_at__lte=now).exists():
        return 0  # the usual round: nothing due, no lock taken
    with transaction.atomic():
        audit_lock()
        qs = (LedgerEntry.objects.filter(closed_at__isnull=True, next_rung_at__lte=now)
              .select_related("case", "street", "claimed_by").order_by("next_rung_at", "id"))
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        entries = list(qs[:limit])
        exceptions = calendar_exceptions() if entries else {}
        for entry in entries:
            if entry.case.status == Status.CLOSED:  # closed without passing through the hook
                entry.closed_at, entry.next_rung_at = entry.case.closed_at or now, None
                entry.save(update_fields=["closed_at", "next_rung_at"])
                continue
            while entry.next_rung_at is not None and entry.next_rung_at <= now and entry.stage < LedgerStage.NOTIFIED:
                _fire_rung(entry, entry.stage + 1, now)
                fired += 1
                entry.next_rung_at = _next_rung_at(entry, exceptions)
            entry.save(update_fields=["stage", "reminded_at", "warned_at", "notified_at", "next_rung_at"])
    return fired


# ---- follow-up visits (回访) --------------------------------------------------------------------

def _grid_leaders(grid) -> list:
    return [r.user for r in StaffRole.objects.filter(node=grid, role=Role.GRID_LEADER, active=True)
            .select_related("user").order_by("id")]


def follow_up_create(*, case: Case, at: datetime | None = None) -> FollowUpVisit:
    """A closed HOUSEHOLD matter: a visit task for the grid leader(s) of its grid."""
    at = at or timezone.now()
    grid = case.grid.parent if case.grid is not None and case.grid.level == Level.MICRO_GRID else case.grid
    if grid is None:
        raise ValidationFailed(_("事项没有所在网格，不能安排回访"), errors={"grid": _("请指定事项所在网格")})
    with transaction.atomic():
        visit, created = FollowUpVisit.objects.get_or_create(case=case, defaults={
            "grid": grid, "created_at": at, "due_at": deadline_after(at, follow_up_days())})
        if created:
            notify(recipients=_grid_leaders(grid), subject=f"请回访：{case.number}",
                   body=f"家事「{case.title}」已办结，请在{timezone.localtime(visit.due_at):%m月%d日}前回访当事居民，"
                        "了解满意度并登记。", kind="follow_up_new", link="/staff/visits/")
    return visit


def follow_up_record(*, actor, visit: FollowUpVisit, satisfaction: str, contact_method: str,
                     note: str = "") -> FollowUpVisit:
    """The grid leader records the resident's satisfaction. 不满意 tells the community secretary
    of the grid's community, who decides what happens next (e.g. a new request)."""
    role = check_visit_record(actor, visit)
    note = (note or "").strip()
    errors = {}
    if satisfaction not in Satisfaction.values:
        errors["satisfaction"] = _("请选择满意、基本满意或不满意")
    if contact_method not in ContactMethod.values:
        errors["contact_method"] = _("请选择回访方式（电话、上门、微信、其他）")
    if satisfaction == Satisfaction.UNSATISFIED and not note:
        errors["note"] = _("居民不满意时请记录原因和意见")
    if len(note) > 2000:
        errors["note"] = _("回访记录最多2000字")
    if errors:
        raise ValidationFailed(_("回访信息有误"), errors=errors)
    with transaction.atomic():
        audit_lock()
        locked = FollowUpVisit.objects.select_for_update().select_related("case", "grid").get(pk=visit.pk)
        if locked.done_at is not None:
            raise TransitionNotAllowed(_("该回访已登记"))
        now = timezone.now()
        locked.done_at, locked.visited_by = now, actor
        locked.satisfaction, locked.contact_method, locked.note = satisfaction, contact_method, note
        locked.save()
        label = Satisfaction(satisfaction).label
        record_event(case=locked.case, event=TimelineEvent.FOLLOW_UP, actor=actor, actor_label=role.get_role_display(),
                     note=note, public_note=f"网格长回访（{ContactMethod(contact_method).label}）：{label}",
                     data={"follow_up": locked.pk, "satisfaction": satisfaction, "contact_method": contact_method},
                     audit={"role": role.role, "node": role.node.code})
        if satisfaction == Satisfaction.UNSATISFIED:
            community = locked.grid.ancestor(Level.COMMUNITY)
            secretaries = _street_staff(community, Role.COMMUNITY_SECRETARY) if community else []
            notify(recipients=secretaries, subject=f"回访不满意：{locked.case.number}",
                   body=f"家事「{locked.case.title}」回访时居民表示不满意，请社区研究处理（可重新登记诉求）。",
                   kind="follow_up_unsatisfied", link=f"/staff/cases/{locked.case_id}/")
    for field in ("done_at", "visited_by", "satisfaction", "contact_method", "note"):
        setattr(visit, field, getattr(locked, field))
    return visit


def follow_ups_sweep(limit: int = 200) -> int:
    """Remind the grid leaders of each overdue open visit, once."""
    now = timezone.now()
    with transaction.atomic():
        qs = (FollowUpVisit.objects.filter(done_at__isnull=True, reminded_at__isnull=True, due_at__lte=now)
              .select_related("case", "grid").order_by("due_at", "id"))
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True, of=("self",))
        visits = list(qs[:limit])
        for visit in visits:
            visit.reminded_at = now
            visit.save(update_fields=["reminded_at"])
            notify(recipients=_grid_leaders(visit.grid), subject=f"回访已超期：{visit.case.number}",
                   body=f"家事「{visit.case.title}」的回访期限（{timezone.localtime(visit.due_at):%m月%d日}）已过，"
                        "请尽快回访并登记。", kind="follow_up_overdue", link="/staff/visits/")
    return len(visits)


def supervision_sweep() -> int:
    """The worker's round: deadline clocks, the ledger ladder, overdue visits."""
    return deadlines_sweep() + ledger_sweep() + follow_ups_sweep()


# ---- handing over (交接) -----------------------------------------------------------------------

def ledger_reassign(*, actor, entry: LedgerEntry, to_user) -> LedgerEntry:
    """Hand a claimed entry to another street leader of its street: its claimer may, and so may a
    security administrator covering the street (revoking the claimer's role: registry.handover).
    The new claimer carries on with the same deadline and ladder; the case timeline (a LEDGER_CLAIM
    event marked handed_over) and the audit trail (`ledger.reassign`) say who handed it to whom, and
    the new claimer is told."""
    held = security_admin_role_for(actor, entry.street)
    acting = held if held is not None else check_ledger_claim(actor, entry)
    if held is None and entry.claimed_by_id != actor.pk:
        raise NotPermitted(_("只有承办领导本人或安全管理员可以移交台账事项"))
    try:
        check_ledger_claim(to_user, entry)
    except NotPermitted:
        raise ValidationFailed(_("接手人不符合要求"), errors={
            "to": _("接手人须为本街道在岗的街道领导（街道干部）")}) from None
    with transaction.atomic():
        locked = _locked_entry(entry)
        if locked.claimed_by_id is None:
            raise TransitionNotAllowed(_("该事项尚未认领，由街道领导认领即可"))
        if locked.claimed_by_id == to_user.pk:
            raise TransitionNotAllowed(_("该事项已由此人承办"))
        before = locked.claimed_by_id
        locked.claimed_by, locked.claimed_at = to_user, timezone.now()
        locked.save(update_fields=["claimed_by", "claimed_at"])
        record_event(case=locked.case, event=TimelineEvent.LEDGER_CLAIM, actor=actor,
                     actor_label=acting.get_role_display(), public_note="台账事项已移交其他街道领导承办",
                     data={"ledger_entry": locked.pk, "handed_over": True, "from": before, "to": to_user.pk},
                     audit={"event": "ledger.reassign", "role": acting.role, "node": acting.node.code})
        notify(recipients=[to_user], subject=f"台账事项移交给您：{locked.case.number}",
               body=f"「{locked.case.title}」已移交由您承办，完成时限与督办进度不变。", kind="ledger_handover",
               link=f"/staff/ledger/{locked.pk}/")
    return _sync(entry, locked)


@stored_in_canonical_language
def committee_progress_record(*, actor, case: Case, note: str) -> None:
    """居务监督委员会 follows a shared matter's resolution to done (B2): from the resolution until
    evaluation is requested, a member of the community's committee records what they checked; it is on the case's
    public timeline and the notice."""
    role = scope.check(actor, Action.RECORD_PROGRESS, case)
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(_("请填写跟踪情况"), errors={"note": _("请写明检查了什么、进展如何")})
    if len(note) > 2000:
        raise ValidationFailed(_("跟踪情况太长"), errors={"note": _("最多2000字")})
    if case.kind != "SHARED" or case.status not in (Status.HANDLING, Status.PUBLICISED):
        raise TransitionNotAllowed(_("只在共事议定之后、提请评价之前跟踪记录"))
    record_event(case=case, event=TimelineEvent.SUPERVISION_PROGRESS, actor=actor,
                 actor_label=str(role.get_role_display()), note=note, public_note=f"居务监督委员会跟踪：{note}",
                 data={"by": "supervision_committee"}, audit={"role": role.role, "node": role.node.code})
