"""Deadlines and supervision: the working-day calendar, every case's deadline clock, the street's
ledger of public matters and its overdue ladder (挂账督办), follow-up visits (回访) — on pages, in
the API and in the worker, with time under control (time-machine)."""

import io
import threading
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from openpyxl import load_workbook

from sanshi.audit.models import AuditEntry
from sanshi.cases.models import Case, CaseEvent, Status
from sanshi.cases.services import case_triage
from sanshi.cases.transitions import offered_actions as allowed_actions
from sanshi.core.errors import NotPermitted, TransitionNotAllowed, ValidationFailed
from sanshi.core.jobs import run_due_jobs
from sanshi.core.models import Notification
from sanshi.evaluation.services import evaluation_submit, open_round, round_decide, round_open
from sanshi.intake.services import RequestInput, request_submit
from sanshi.rapid.models import Clock
from sanshi.registry.models import Role
from sanshi.supervision import calendar as wd
from sanshi.supervision.holidays import HOLIDAYS_2026
from sanshi.supervision.models import CalendarDay, FollowUpVisit, LedgerEntry, LedgerStage
from sanshi.supervision.services import (
    calendar_day_set,
    calendar_seed,
    deadlines_sweep,
    follow_up_record,
    follow_ups_sweep,
    ledger_claim,
    ledger_report_progress,
    ledger_set_deadline,
    ledger_sweep,
)

CST = ZoneInfo("Asia/Shanghai")
CAL_2026 = {d: w for d, w, _ in HOLIDAYS_2026}
T0 = datetime(2026, 9, 24, 10, 0, tzinfo=CST)  # Thursday before 中秋 (9/25–27) and 国庆 (10/1–7)


def local(y, m, d, hh=23, mm=59, ss=59) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=CST)


# ---- working-day arithmetic (pure) ---------------------------------------------------------------

def test_weekends_are_skipped():
    friday = local(2026, 11, 20, 10, 0, 0)
    assert wd.add_working_days(friday, 1, CAL_2026, tz=CST) == local(2026, 11, 23)  # Monday
    assert wd.add_working_days(friday, 5, CAL_2026, tz=CST) == local(2026, 11, 27)
    assert wd.add_working_days(friday, 0, CAL_2026, tz=CST) == local(2026, 11, 20)


def test_public_holidays_are_skipped_and_make_up_weekends_count():
    # 国庆 10/1–7 off; Saturday 10/10 is a make-up working day (调休上班)
    assert wd.add_working_days(local(2026, 9, 30, 9), 1, CAL_2026, tz=CST) == local(2026, 10, 8)
    assert wd.add_working_days(local(2026, 9, 30, 9), 3, CAL_2026, tz=CST) == local(2026, 10, 10)
    # Sunday 9/20 is worked, and 中秋 9/25–27 is off: from Friday 9/18 the 1st working day is Sunday
    assert wd.add_working_days(local(2026, 9, 18, 9), 1, CAL_2026, tz=CST) == local(2026, 9, 20)
    # 春节: Saturday 2/14 worked, 2/15–23 off
    assert wd.add_working_days(local(2026, 2, 13, 9), 2, CAL_2026, tz=CST) == local(2026, 2, 24)
    # without the calendar the same dates are ordinary weekdays / weekends
    assert wd.add_working_days(local(2026, 9, 30, 9), 1, {}, tz=CST) == local(2026, 10, 1)
    assert wd.is_workday(date(2026, 10, 10), CAL_2026) and not wd.is_workday(date(2026, 10, 1), CAL_2026)


def test_working_days_between_counts_the_days_after_the_start_up_to_the_end():
    assert wd.working_days_between(date(2026, 9, 30), date(2026, 10, 10), CAL_2026) == 3
    assert wd.working_days_between(date(2026, 10, 10), date(2026, 9, 30), CAL_2026) == -3
    assert wd.working_days_between(date(2026, 10, 3), date(2026, 10, 4), CAL_2026) == 0  # inside the holiday
    assert wd.working_days_between(date(2026, 11, 20), date(2026, 11, 20), CAL_2026) == 0
    with pytest.raises(ValueError):
        wd.add_working_days(date(2026, 1, 1), -1, CAL_2026)


calendars = st.dictionaries(st.dates(date(2026, 1, 1), date(2027, 12, 31)), st.booleans(), max_size=60)


@hsettings(max_examples=200, deadline=None)
@given(start=st.dates(date(2026, 1, 1), date(2027, 6, 30)), n=st.integers(0, 80), exceptions=calendars)
def test_adding_n_working_days_lands_on_a_working_day_exactly_n_working_days_later(start, n, exceptions):
    end = wd.add_working_days(start, n, exceptions, tz=CST)
    assert end.time() == wd.END_OF_DAY and end.tzinfo == CST
    assert wd.working_days_between(start, end, exceptions, tz=CST) == n
    if n > 0:
        assert wd.is_workday(end.date(), exceptions)
        # and it is the first such day: the day before holds only n-1 working days
        assert wd.working_days_between(start, end.date() - timedelta(days=1), exceptions) == n - 1
    assert wd.add_working_days(start, n + 1, exceptions, tz=CST) > end


@hsettings(max_examples=200, deadline=None)
@given(a=st.dates(date(2026, 1, 1), date(2027, 12, 31)), b=st.dates(date(2026, 1, 1), date(2027, 12, 31)),
       c=st.dates(date(2026, 1, 1), date(2027, 12, 31)), exceptions=calendars)
def test_working_days_between_is_additive_and_antisymmetric(a, b, c, exceptions):
    ab = wd.working_days_between(a, b, exceptions)
    assert ab == -wd.working_days_between(b, a, exceptions)
    assert ab + wd.working_days_between(b, c, exceptions) == wd.working_days_between(a, c, exceptions)


def test_the_2026_schedule_is_seeded_and_every_make_up_day_is_a_weekend(db):
    assert CalendarDay.objects.filter(date__year=2026).count() == len(HOLIDAYS_2026) == 39
    assert CalendarDay.objects.get(date=date(2026, 10, 1)).name == "国庆节"
    assert all(d.date.weekday() >= 5 for d in CalendarDay.objects.filter(is_workday=True))
    assert calendar_seed() == 0  # idempotent


# ---- helpers ---------------------------------------------------------------------------------------

def _submit(text="背街小巷路面破损，下雨积水", grid="T1C1-G01") -> Case:
    return request_submit(actor=None, data=RequestInput(text=text, grid_code=grid)).case


def _triaged(world, *, kind="PUBLIC", code="P5", at=T0, urgent=False, grid="T1C1-G01") -> Case:
    with time_machine.travel(at, tick=False):
        case = _submit(grid=grid)
        operator = world.operator if grid.startswith("T1") else world.other_operator
        case_triage(actor=operator, case=case, kind=kind, catalogue_code=code, reason="复核", urgent=urgent)
    return Case.objects.get(pk=case.pk)


def _deadline(case) -> Clock:
    return Clock.objects.get(case=case, name="deadline")


def _to_evaluating(case) -> None:
    """Given: handled and publicised (the notice's event is what lets the raters see the case)."""
    Case.objects.filter(pk=case.pk).update(status=Status.EVALUATING)
    CaseEvent.objects.create(case=case, action="publicise", from_status=Status.HANDLING, to_status=Status.PUBLICISED,
                             at=case.created_at)
    case.refresh_from_db()


def _rate_and_decide(actor, case, rating: str, comment: str, at) -> None:
    """At `at` the round opens, `actor` rates, and the round is decided (as if its period had ended)."""
    with time_machine.travel(at, tick=False):
        round_open(case=case, at=at)
        evaluation_submit(actor=actor, case=case, rating=rating, comment=comment)
        round_decide(rnd=open_round(case), now=at)


def _sweep_at(moment) -> int:
    with time_machine.travel(moment, tick=False):
        return ledger_sweep()


def _kinds(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).order_by("id").values_list("kind", flat=True))


# P5 (7 working days) triaged Thursday 9/24: 9/28, 9/29, 9/30, 10/8, 10/9, 10/10 (调休), 10/12
DUE = local(2026, 10, 12)


# ---- the case deadline -------------------------------------------------------------------------------

def test_a_non_urgent_triage_starts_the_deadline_in_working_days_and_a_public_matter_goes_on_the_ledger(world):
    case = _triaged(world)
    clock = _deadline(case)
    assert clock.started_at == T0 and clock.due_at == DUE and clock.state == "pending"
    entry = case.ledger_entry
    assert entry.street == world.street and entry.deadline_at == DUE and entry.deadline_days == 7
    assert entry.state == "unclaimed" and entry.next_rung_at == DUE
    # a SHARED matter has a deadline but no ledger entry; an urgent one runs on the 1-5-10 clocks only
    shared = _triaged(world, kind="SHARED", code="S5")  # 15 working days
    assert _deadline(shared).due_at == local(2026, 10, 22)
    assert not LedgerEntry.objects.filter(case=shared).exists()
    urgent = _triaged(world, kind="PUBLIC", code="P6", urgent=True)
    assert not Clock.objects.filter(case=urgent, name="deadline").exists()
    assert not LedgerEntry.objects.filter(case=urgent).exists()


def test_calendar_day_counting_is_a_setting(world, settings):
    settings.SANSHI_DEADLINE_COUNTS = "calendar"
    case = _triaged(world)
    assert _deadline(case).due_at == local(2026, 10, 1)  # 7 calendar days, holidays or not


def test_a_non_public_case_past_its_deadline_tells_its_handlers_once(world):
    case = _triaged(world, kind="SHARED", code="S5")  # at the community T1C1: the secretary handles it
    with time_machine.travel(local(2026, 10, 22) + timedelta(seconds=1), tick=False):
        assert deadlines_sweep() == 1
        assert deadlines_sweep() == 0
        run_due_jobs()
    assert _deadline(case).breached
    assert _kinds(world.secretary) == ["deadline_breach"]
    note = Notification.objects.get(recipient=world.secretary)
    assert note.link == f"/staff/cases/{case.pk}/" and case.number in note.subject
    assert _kinds(world.street_officer) == []


def test_the_urgent_sweep_leaves_deadline_clocks_alone(world):
    from sanshi.rapid.services import clocks_sweep

    case = _triaged(world, kind="SHARED", code="S5")
    with time_machine.travel(local(2026, 12, 1), tick=False):
        assert clocks_sweep() == 0
    assert not _deadline(case).breached


# ---- the ledger: claim, deadline, progress --------------------------------------------------------------

def test_a_street_leader_claims_sets_the_deadline_and_reports_progress(world):
    case = _triaged(world)
    entry = case.ledger_entry
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        ledger_claim(actor=world.street_officer, entry=entry)
    entry.refresh_from_db()
    assert entry.claimed_by == world.street_officer and entry.state == "claimed"
    assert AuditEntry.objects.filter(event="case.ledger_claim", obj_id=str(case.pk)).count() == 1

    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        with pytest.raises(ValidationFailed) as refused:  # later than the catalogue's date: needs a reason
            ledger_set_deadline(actor=world.street_officer, entry=entry, deadline=date(2026, 10, 16))
        assert set(refused.value.errors) == {"reason"}
        with pytest.raises(ValidationFailed) as refused:  # a holiday is not a working day
            ledger_set_deadline(actor=world.street_officer, entry=entry, deadline=date(2026, 10, 5), reason="x")
        assert "deadline" in refused.value.errors
        ledger_set_deadline(actor=world.street_officer, entry=entry, deadline=date(2026, 10, 16),
                            reason="需协调区城管局，延长4个工作日")
        with pytest.raises(ValidationFailed) as refused:
            ledger_report_progress(actor=world.street_officer, entry=entry, note="", percent=150)
        assert set(refused.value.errors) == {"note", "percent"}
        ledger_report_progress(actor=world.street_officer, entry=entry, note="已完成现场勘查", percent=30)
    entry.refresh_from_db()
    assert entry.deadline_at == local(2026, 10, 16) and _deadline(case).due_at == local(2026, 10, 16)
    assert entry.next_rung_at == local(2026, 10, 16) and entry.progress_percent == 30
    assert list(entry.progress.values_list("note", "percent")) == [("已完成现场勘查", 30)]
    events = list(case.events.filter(action__startswith="ledger_").values_list("action", "from_status", "to_status"))
    assert events == [("ledger_claim", "triaged", "triaged"), ("ledger_deadline", "triaged", "triaged"),
                      ("ledger_progress", "triaged", "triaged")]
    assert case.events.get(action="ledger_deadline").note == "需协调区城管局，延长4个工作日"
    assert "ledger_claim" not in allowed_actions(case.status, case.kind)  # not offered on the case page


def test_only_a_street_leader_claims_and_only_the_claimer_reports(world):
    entry = _triaged(world).ledger_entry
    for user in (world.operator, world.secretary, world.grid_leader, world.other_operator):
        with pytest.raises(NotPermitted):
            ledger_claim(actor=user, entry=entry)
    second = world.staff("street2", Role.STREET_OFFICER, world.street)
    ledger_claim(actor=world.street_officer, entry=entry)
    with pytest.raises(TransitionNotAllowed):
        ledger_claim(actor=second, entry=entry)
    with pytest.raises(NotPermitted):
        ledger_report_progress(actor=second, entry=entry, note="代报")
    assert entry.progress.count() == 0 and entry.case.events.filter(action="ledger_claim").count() == 1


# ---- the ladder (挂账督办) ---------------------------------------------------------------------------------

def _claimed_entry(world) -> LedgerEntry:
    entry = _triaged(world).ledger_entry
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        ledger_claim(actor=world.street_officer, entry=entry)
    return LedgerEntry.objects.get(pk=entry.pk)


def test_each_rung_fires_once_at_its_time_to_its_people(world):
    entry = _claimed_entry(world)
    leader2 = world.staff("street-leader-2", Role.STREET_OFFICER, world.street)
    case = entry.case

    assert _sweep_at(DUE - timedelta(seconds=1)) == 0
    assert _sweep_at(DUE) == 1  # at the deadline: reminder to the handler (the claimer)
    entry.refresh_from_db()
    assert entry.stage == LedgerStage.REMINDED and entry.reminded_at == DUE
    assert _kinds(world.street_officer) == ["ledger_remind"] and _kinds(leader2) == []
    assert _sweep_at(DUE + timedelta(hours=3)) == 0  # nothing twice

    warn_at = local(2026, 10, 13)  # one working day overdue
    assert _sweep_at(warn_at - timedelta(seconds=1)) == 0
    assert _sweep_at(warn_at) == 1
    assert _kinds(leader2) == ["ledger_warn"] and _kinds(world.street_officer) == ["ledger_remind", "ledger_warn"]
    assert _kinds(world.operator) == []

    notify_at = local(2026, 10, 15)  # three working days overdue
    assert _sweep_at(notify_at - timedelta(seconds=1)) == 0
    assert _sweep_at(notify_at) == 1
    assert _kinds(world.operator) == ["ledger_notify"] and _kinds(world.other_operator) == []
    assert _sweep_at(local(2026, 12, 31)) == 0
    entry.refresh_from_db()
    assert entry.stage == LedgerStage.NOTIFIED and entry.next_rung_at is None
    assert (entry.reminded_at, entry.warned_at, entry.notified_at) == (DUE, warn_at, notify_at)
    rungs = list(case.events.filter(action__in=["ledger_remind", "ledger_warn", "ledger_notify"])
                 .values_list("action", "from_status", "to_status", "actor_label"))
    assert rungs == [("ledger_remind", "triaged", "triaged", "督办系统"), ("ledger_warn", "triaged", "triaged", "督办系统"),
                     ("ledger_notify", "triaged", "triaged", "督办系统")]
    note = Notification.objects.get(recipient=world.operator)
    assert note.link == f"/staff/ledger/{entry.pk}/" and case.number in note.subject


def test_an_unclaimed_item_reminds_the_street_leaders(world):
    entry = _triaged(world).ledger_entry
    _sweep_at(DUE)
    assert _kinds(world.street_officer) == ["ledger_remind"]
    assert LedgerEntry.objects.get(pk=entry.pk).stage == LedgerStage.REMINDED


def test_a_worker_back_after_days_fires_each_missed_rung_once_and_a_restart_fires_nothing(world):
    entry = _claimed_entry(world)
    with time_machine.travel(local(2026, 10, 20, 8), tick=False):
        out = io.StringIO()
        call_command("worker", "--once", stdout=out)  # the whole worker round
        call_command("worker", "--once", stdout=out)  # a restarted worker: state is in the database
    assert list(entry.case.events.filter(action__startswith="ledger_").values_list("action", flat=True)) == [
        "ledger_claim", "ledger_remind", "ledger_warn", "ledger_notify"]
    assert Notification.objects.filter(kind__startswith="ledger_").count() == 3  # claimer, leader(=claimer), operator
    assert LedgerEntry.objects.get(pk=entry.pk).stage == LedgerStage.NOTIFIED


def test_a_new_deadline_restarts_the_ladder_and_closing_stops_it(world):
    entry = _claimed_entry(world)
    _sweep_at(DUE)
    with time_machine.travel(DUE + timedelta(hours=10), tick=False):
        ledger_set_deadline(actor=world.street_officer, entry=entry, deadline=date(2026, 10, 20), reason="延期")
    entry.refresh_from_db()
    assert entry.stage == LedgerStage.NONE and entry.reminded_at is None and not _deadline(entry.case).breached
    assert _sweep_at(local(2026, 10, 14)) == 0  # the old warning time has no effect now

    case = entry.case
    _to_evaluating(case)
    _rate_and_decide(world.congress, case, "good", "满意", local(2026, 10, 19, 15))
    entry.refresh_from_db()
    assert entry.closed_at == local(2026, 10, 19, 15) and entry.state == "closed"
    clock = _deadline(case)
    assert clock.state == "done" and clock.done_at == local(2026, 10, 19, 15)
    assert _sweep_at(local(2026, 12, 1)) == 0
    with pytest.raises(TransitionNotAllowed):
        ledger_report_progress(actor=world.street_officer, entry=entry, note="补报")


def test_an_escalation_restarts_the_deadline_from_the_escalation(world):
    entry = _claimed_entry(world)
    _sweep_at(DUE)
    case = entry.case
    _to_evaluating(case)
    _rate_and_decide(world.congress, case, "bad", "路面仍有积水", local(2026, 10, 13, 9))
    clock = _deadline(case)
    assert clock.started_at == local(2026, 10, 13, 9) and clock.due_at == local(2026, 10, 22)
    assert not clock.breached and clock.done_at is None
    entry.refresh_from_db()
    assert entry.deadline_at == local(2026, 10, 22) and entry.stage == LedgerStage.NONE
    assert entry.claimed_by == world.street_officer and entry.closed_at is None


def test_a_calendar_edit_moves_the_next_rung(world):
    entry = _claimed_entry(world)
    _sweep_at(DUE)
    calendar_day_set(actor=world.street_officer, day=date(2026, 10, 13), is_workday=False, name="临时停工")
    entry.refresh_from_db()
    assert entry.next_rung_at == local(2026, 10, 14)  # one working day overdue is now Wednesday
    with pytest.raises(NotPermitted):
        calendar_day_set(actor=world.grid_worker, day=date(2026, 10, 14), is_workday=False, name="x")
    with pytest.raises(ValidationFailed) as refused:
        calendar_day_set(actor=world.street_officer, day=None, is_workday=False, name="")
    assert set(refused.value.errors) == {"date", "name"}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the migrations' rows
def test_two_workers_on_postgresql_fire_each_rung_once(postgres_only):
    from ..conftest import World

    world = World()
    calendar_seed()
    entries = []
    for n in range(6):
        entry = _triaged(world).ledger_entry
        if n % 2:
            ledger_claim(actor=world.street_officer, entry=entry)
        entries.append(entry)
    errors: list[Exception] = []

    def worker():
        try:
            for _ in range(5):
                ledger_sweep(limit=2)
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(exc)
        finally:
            connection.close()

    with time_machine.travel(local(2026, 10, 20), tick=False):  # all three rungs are due
        threads = [threading.Thread(target=worker) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
    assert errors == []
    for entry in entries:
        actions = list(CaseEvent.objects.filter(case_id=entry.case_id, action__in=[
            "ledger_remind", "ledger_warn", "ledger_notify"]).values_list("action", flat=True))
        assert actions == ["ledger_remind", "ledger_warn", "ledger_notify"]
    assert Notification.objects.filter(kind="ledger_notify", recipient=world.operator).count() == 6
    assert Notification.objects.filter(kind="ledger_remind").count() == 6


# ---- follow-up visits (回访) --------------------------------------------------------------------------------

CLOSED_AT = local(2026, 10, 19, 10, 0, 0)


def _closed_household(world, at=CLOSED_AT) -> Case:
    case = _triaged(world, kind="HOUSEHOLD", code="H2")
    _to_evaluating(case)
    _rate_and_decide(world.supervisor, case, "good", "满意", at)
    return Case.objects.get(pk=case.pk)


def test_closing_a_household_matter_creates_a_visit_for_the_grid_leader(world):
    case = _closed_household(world)
    visit = case.follow_up_visit
    assert visit.grid == world.grid and visit.due_at == local(2026, 10, 22)  # 3 working days
    assert _kinds(world.grid_leader) == ["follow_up_new"]
    assert not FollowUpVisit.objects.exclude(case=case).exists()
    clock = _deadline(case)  # H2 has 5 working days (due 10/9): closing on 10/19 completes it late
    assert clock.due_at == local(2026, 10, 9) and clock.done_at == CLOSED_AT and clock.state == "done_late"


def test_the_grid_leader_records_the_visit_on_the_page(world, client):
    case = _closed_household(world)
    closed_at = case.closed_at
    client.force_login(world.grid_leader)
    page = client.get("/staff/visits/").content.decode()
    assert case.title in page and "登记回访结果" in page
    visit = case.follow_up_visit
    client.force_login(world.secretary)  # sees the community's visits; only the grid's leader records them
    refused = client.post(f"/staff/visits/{visit.pk}/", {"satisfaction": "satisfied", "contact_method": "phone"})
    assert refused.status_code == 400 and "只有该网格的网格长可以登记回访" in refused.content.decode()
    denied = AuditEntry.objects.get(event="access.denied")  # refused with the form again, audited as a 403 would be
    assert (denied.actor_username, denied.obj_type, denied.obj_id) == (world.secretary.username, "follow_up_visit",
                                                                       str(visit.pk))
    client.force_login(world.grid_leader)
    bad = client.post(f"/staff/visits/{visit.pk}/", {"satisfaction": "unsatisfied", "contact_method": "phone"})
    assert bad.status_code == 400 and "居民不满意时请记录原因和意见" in bad.content.decode()
    assert not case.events.filter(action="follow_up").exists()
    with time_machine.travel(local(2026, 10, 20, 15), tick=False):
        ok = client.post(f"/staff/visits/{visit.pk}/", {"satisfaction": "unsatisfied", "contact_method": "door",
                                                        "note": "噪声夜间仍有"})
    assert ok.status_code == 302
    visit.refresh_from_db()
    assert (visit.satisfaction, visit.contact_method, visit.visited_by) == ("unsatisfied", "door", world.grid_leader)
    event = case.events.get(action="follow_up")
    assert (event.from_status, event.to_status, event.note) == ("closed", "closed", "噪声夜间仍有")
    case.refresh_from_db()
    assert case.closed_at == closed_at  # a follow-up does not reopen or re-close the case
    assert AuditEntry.objects.filter(event="case.follow_up", obj_id=str(case.pk)).count() == 1
    assert _kinds(world.secretary) == ["follow_up_unsatisfied"]
    with pytest.raises(TransitionNotAllowed):
        follow_up_record(actor=world.grid_leader, visit=visit, satisfaction="satisfied", contact_method="phone")


def test_only_the_grid_leader_records_and_an_overdue_visit_reminds_once(world, client, token_for):
    case = _closed_household(world)
    visit = case.follow_up_visit
    response = client.post(f"/api/v1/visits/{visit.pk}", {"satisfaction": "satisfied", "contact_method": "phone"},
                           content_type="application/json", **token_for(world.grid_worker))
    assert response.status_code == 403
    response = client.post(f"/api/v1/visits/{visit.pk}", {"satisfaction": "happy", "contact_method": "pigeon"},
                           content_type="application/json", **token_for(world.grid_leader))
    assert response.status_code == 400 and set(response.json()["errors"]) == {"satisfaction", "contact_method"}
    assert client.get(f"/api/v1/visits/{visit.pk}", **token_for(world.other_operator)).status_code in (404, 405)
    with time_machine.travel(local(2026, 10, 22) + timedelta(seconds=1), tick=False):
        assert follow_ups_sweep() == 1
        assert follow_ups_sweep() == 0
    assert _kinds(world.grid_leader) == ["follow_up_new", "follow_up_overdue"]
    response = client.post(f"/api/v1/visits/{visit.pk}", {"satisfaction": "satisfied", "contact_method": "phone"},
                           content_type="application/json", **token_for(world.grid_leader))
    assert response.status_code == 200 and response.json()["satisfaction"] == "satisfied"
    listed = client.get("/api/v1/visits?done=true", **token_for(world.grid_leader)).json()
    assert [v["id"] for v in listed] == [visit.pk]
    assert client.get("/api/v1/visits", **token_for(world.other_operator)).json() == []


# ---- pages, export, API ------------------------------------------------------------------------------------

def test_the_ledger_page_lists_the_street_and_claims_with_htmx(world, client):
    entry = _triaged(world).ledger_entry
    client.force_login(world.street_officer)
    page = client.get("/staff/ledger/").content.decode()
    assert entry.case.title in page and "认领此事项" in page and "<svg" in page
    response = client.post(f"/staff/ledger/{entry.pk}/", {"op": "claim"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith(f'<li id="entry-{entry.pk}"') and "已认领" in html and "<html" not in html
    again = client.post(f"/staff/ledger/{entry.pk}/", {"op": "claim"}, HTTP_HX_REQUEST="true")
    assert again.status_code == 200 and "该事项已由您认领" in again.content.decode()  # htmx swaps the row with why
    assert entry.case.events.filter(action="ledger_claim").count() == 1
    detail = client.get(f"/staff/ledger/{entry.pk}/").content.decode()
    assert "设定完成时限" in detail and "报告进展" in detail
    bad = client.post(f"/staff/ledger/{entry.pk}/", {"op": "progress", "note": "", "percent": "abc"})
    assert bad.status_code == 400 and "进度必须是0到100的整数" in bad.content.decode()
    client.force_login(world.other_operator)
    assert client.get(f"/staff/ledger/{entry.pk}/").status_code == 404
    assert entry.case.title not in client.get("/staff/ledger/").content.decode()
    client.force_login(world.grid_worker)  # inside the street: reads its ledger, cannot claim
    page = client.get("/staff/ledger/").content.decode()
    assert entry.case.title in page
    from sanshi.audit.models import AuditEntry
    from sanshi.supervision.models import LedgerProgress

    refused = client.post(f"/staff/ledger/{entry.pk}/", {"op": "progress", "note": "已进场", "percent": "50"})
    assert refused.status_code == 302 and not LedgerProgress.objects.filter(entry=entry).exists()
    # refused with a message, audited as a 403 would be
    denied = AuditEntry.objects.get(event="access.denied", actor_username=world.grid_worker.username)
    assert (denied.actor_username, denied.obj_type, denied.obj_id) == (world.grid_worker.username, "ledger_entry",
                                                                       str(entry.pk))


def test_the_ledger_exports_to_excel(world, client):
    entry = _claimed_entry(world)
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        ledger_report_progress(actor=world.street_officer, entry=entry, note="已进场施工", percent=60)
    _sweep_at(DUE)
    _triaged(world, grid="T2C1-G01")  # another street: not in this street's export
    client.force_login(world.street_officer)
    with time_machine.travel(local(2026, 10, 14, 9), tick=False):
        response = client.get("/staff/ledger/export/")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=3, values_only=True))
    assert rows[0][:6] == ("编号", "事项", "清单事项", "街道", "状态", "督办阶段")
    assert len(rows) == 2
    row = dict(zip(rows[0], rows[1], strict=True))
    assert row["编号"] == entry.case.number and row["街道"] == "鼎山街道" and row["督办阶段"] == "超期·已提醒"
    assert row["认领领导"] == "street" and row["完成时限"].date() == date(2026, 10, 12)
    assert row["超期（天）"] == 2 and row["进度（%）"] == 60 and row["最新进展"] == "已进场施工"


def test_the_ledger_api(world, client, token_for):
    entry = _triaged(world).ledger_entry
    leader = token_for(world.street_officer)
    listed = client.get("/api/v1/ledger", **leader).json()
    assert [(e["id"], e["state"]) for e in listed] == [(entry.pk, "unclaimed")]
    assert client.get("/api/v1/ledger", **token_for(world.other_operator)).json() == []
    assert client.get("/api/v1/ledger?show=nonsense", **leader).status_code == 400
    assert client.post(f"/api/v1/ledger/{entry.pk}/claim", **token_for(world.operator)).status_code == 403
    assert client.post(f"/api/v1/ledger/{entry.pk}/claim", **token_for(world.other_operator)).status_code == 404
    claimed = client.post(f"/api/v1/ledger/{entry.pk}/claim", **leader)
    assert claimed.status_code == 200 and claimed.json()["claimed_by"] == "street"
    assert client.post(f"/api/v1/ledger/{entry.pk}/claim", **leader).status_code == 409
    with time_machine.travel(T0 + timedelta(hours=3), tick=False):
        bad = client.post(f"/api/v1/ledger/{entry.pk}/deadline", {"deadline": "2026-10-09"},
                          content_type="application/json", **leader)
        assert bad.status_code == 400 and "reason" in bad.json()["errors"]
        assert client.post(f"/api/v1/ledger/{entry.pk}/deadline", {"deadline": "not a date"},
                           content_type="application/json", **leader).status_code == 400
        ok = client.post(f"/api/v1/ledger/{entry.pk}/deadline", {"deadline": "2026-10-09", "reason": "居民急盼，提前"},
                         content_type="application/json", **leader)
        assert ok.status_code == 200 and ok.json()["deadline_at"].startswith("2026-10-09T23:59:59")
        progress = client.post(f"/api/v1/ledger/{entry.pk}/progress", {"note": "已立项", "percent": 10},
                               content_type="application/json", **leader)
    assert progress.status_code == 200 and progress.json()["progress"][0]["note"] == "已立项"
    assert client.get(f"/api/v1/ledger/{entry.pk}", **token_for(world.other_operator)).status_code == 404


def test_the_calendar_page_and_api(world, client, token_for):
    client.force_login(world.street_officer)
    page = client.get("/staff/calendar/?year=2026").content.decode()
    assert "国庆节" in page and "添加或修改一天" in page
    assert client.post("/staff/calendar/", {"date": "2027-02-06", "name": "春节", "is_workday": "0"}).status_code == 302
    assert CalendarDay.objects.get(date=date(2027, 2, 6)).name == "春节"
    bad = client.post("/staff/calendar/", {"date": "nope", "name": ""})
    assert bad.status_code == 400 and "请填写日期" in bad.content.decode()
    client.force_login(world.grid_worker)
    assert "添加或修改一天" not in client.get("/staff/calendar/").content.decode()
    client.post("/staff/calendar/", {"date": "2027-02-07", "name": "春节", "is_workday": "0"})
    assert not CalendarDay.objects.filter(date=date(2027, 2, 7)).exists()
    assert client.post("/api/v1/calendar", {"date": "2027-02-07", "name": "春节"}, content_type="application/json",
                       **token_for(world.grid_worker)).status_code == 403
    admin = world.staff("sysadmin", Role.SYSTEM_ADMIN, world.district)
    created = client.post("/api/v1/calendar", {"date": "2027-02-07", "name": "春节"}, content_type="application/json",
                          **token_for(admin))
    assert created.status_code == 201 and created.json() == {"date": "2027-02-07", "is_workday": False, "name": "春节"}
    days = client.get("/api/v1/calendar?year=2027", **token_for(world.grid_worker)).json()
    assert [d["date"] for d in days] == ["2027-02-06", "2027-02-07"]
    assert client.delete("/api/v1/calendar/2027-02-07", **token_for(admin)).status_code == 204
    assert client.delete("/api/v1/calendar/2027-02-07", **token_for(admin)).status_code == 400


def test_the_supervision_pages_render_for_every_role(world, client):
    entry = _claimed_entry(world)
    visit = _closed_household(world).follow_up_visit
    for user in (world.operator, world.street_officer, world.secretary, world.grid_leader, world.grid_worker,
                 world.liaison_zj, world.other_operator):
        client.force_login(user)
        for url in ("/staff/ledger/", "/staff/ledger/?show=overdue", "/staff/ledger/export/", "/staff/visits/",
                    "/staff/calendar/"):
            assert client.get(url).status_code == 200, (user, url)
    client.force_login(world.grid_leader)
    assert client.get(f"/staff/visits/{visit.pk}/").status_code == 200
    assert client.get(f"/staff/ledger/{entry.pk}/").status_code == 200
    client.force_login(world.other_operator)
    assert client.get(f"/staff/visits/{visit.pk}/").status_code == 404
    client.logout()
    assert client.get(f"/staff/ledger/{entry.pk}/").status_code == 302


def test_utc_and_local_days_agree():
    # 2026-10-09 20:00 UTC is already Saturday 10/10 (a make-up working day) in Chongqing
    late = datetime(2026, 10, 9, 20, 0, tzinfo=UTC)
    assert wd.add_working_days(late, 1, CAL_2026, tz=CST) == local(2026, 10, 12)


def test_the_demo_shows_the_ledger_in_every_state_and_visits_open_and_done(db, settings):
    settings.SANSHI_DEMO_PASSWORD = "demo-pass-123"
    call_command("demo", "--requests", "160", stdout=io.StringIO())
    states = {e.state for e in LedgerEntry.objects.select_related("case")}
    assert {"unclaimed", "claimed", "reminded", "warned", "notified", "closed"} <= states
    assert LedgerEntry.objects.filter(progress__isnull=False).exists()
    assert FollowUpVisit.objects.filter(done_at__isnull=True).exists()
    done = set(FollowUpVisit.objects.filter(done_at__isnull=False).values_list("satisfaction", flat=True))
    assert {"satisfied", "unsatisfied"} <= done
    assert FollowUpVisit.objects.filter(reminded_at__isnull=False).exists()
    assert Notification.objects.filter(kind="ledger_notify").exists()


def test_the_lists_read_a_fixed_number_of_queries(world, client):
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    def count(url, user) -> int:
        client.force_login(user)
        with CaptureQueriesContext(conn) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    _triaged(world)
    _closed_household(world)
    small = {url: count(url, u) for url, u in (("/staff/ledger/", world.street_officer),
                                                ("/staff/ledger/export/", world.street_officer),
                                                ("/staff/visits/", world.grid_leader))}
    for _ in range(4):
        _claimed_entry(world)
        _closed_household(world)
    for url, user in (("/staff/ledger/", world.street_officer), ("/staff/ledger/export/", world.street_officer),
                      ("/staff/visits/", world.grid_leader)):
        assert count(url, user) == small[url], url


@pytest.mark.parametrize(("who", "shown", "hidden"), [
    ("street_officer", {"nav-ledger", "nav-calendar"}, {"nav-visits"}),
    ("grid_leader", {"nav-visits"}, {"nav-ledger", "nav-calendar"}),
    ("grid_worker", set(), {"nav-ledger", "nav-visits", "nav-calendar"}),
])
def test_the_menu_leads_each_role_to_its_supervision_pages(world, client, who, shown, hidden):
    client.force_login(getattr(world, who))
    page = client.get("/staff/").content.decode()
    assert all(f'id="{link}"' in page for link in shown)
    assert not any(f'id="{link}"' in page for link in hidden)


def test_the_home_page_asks_for_next_years_holidays_before_they_matter(world, client, settings):
    """From November, a street officer (who edits the calendar) is told on the home page that next
    year's holidays are missing, with a link to enter them; entering a day ends the reminder. An
    operator, who cannot edit the calendar, is not asked. In January the current year is asked for."""
    def banner(user, moment):
        with time_machine.travel(moment, tick=False):
            client.force_login(user)  # inside: sessions expire
            response = client.get("/staff/")
        assert response.status_code == 200
        page = response.content.decode()
        return 'id="calendar-missing"' in page, page

    shown, page = banner(world.street_officer, local(2026, 12, 3, 10))
    assert shown and "2027 年的节假日与调休安排还没有录入" in page and "/staff/calendar/?year=2027" in page
    assert not banner(world.street_officer, local(2026, 10, 30, 10))[0]  # before November: not yet
    assert not banner(world.operator, local(2026, 12, 3, 10))[0]

    calendar_day_set(actor=world.street_officer, day=date(2027, 1, 1), is_workday=False, name="元旦")
    assert not banner(world.street_officer, local(2026, 12, 3, 10))[0]
    CalendarDay.objects.filter(date__year=2027).delete()
    assert "2027 年的节假日" in banner(world.street_officer, local(2027, 1, 4, 10))[1]

    settings.SANSHI_DEADLINE_COUNTS = "calendar"  # holidays do not count: nothing to ask for
    assert not banner(world.street_officer, local(2026, 12, 3, 10))[0]
