"""Urgent events (突发快响): the 1-5-10 clocks start at triage, the dispatch clock stops when a team is
dispatched, the worker's sweep breaches what runs out and tells the street's operators, once — even
with a restarted or a second worker. (The team's steps: tests/test_rapid_response.py.)"""

import io
import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from sanshi.cases.models import Case
from sanshi.cases.services import case_triage
from sanshi.core.jobs import run_due_jobs
from sanshi.core.models import Job, Notification
from sanshi.intake.services import RequestInput, request_submit
from sanshi.rapid.models import Clock, ClockPolicy, ResponseTeam
from sanshi.rapid.services import (
    case_dispatch,
    case_street,
    clock_complete,
    clocks_start_urgent,
    clocks_sweep,
)

from ..helpers import run_in_threads

T0 = datetime(2026, 11, 20, 1, 0, 0, tzinfo=UTC)  # 09:00 in Chongqing
URGENT = ("dispatch", "arrive", "result", "reinforce")  # other clocks (case deadlines) are not these tests'


def _urgent_case(world, *, grid_code="T1C1-G01", triaged_after=timedelta(seconds=20),
                 dispatched_after=timedelta(seconds=30)) -> Case:
    """A resident reports at T0; the operator triages it as urgent `triaged_after` later and sends
    the street's emergency squad `dispatched_after` after T0."""
    operator = world.operator if grid_code.startswith("T1") else world.other_operator
    with time_machine.travel(T0, tick=False):
        case = request_submit(actor=None, data=RequestInput(text="楼道起火冒烟，有人被困", grid_code=grid_code)).case
    with time_machine.travel(T0 + triaged_after, tick=False):
        case_triage(actor=operator, case=case, kind="SHARED", catalogue_code="S1", reason="复核", urgent=True)
    team, _ = ResponseTeam.objects.get_or_create(street=case_street(case), name="应急队")
    with time_machine.travel(T0 + dispatched_after, tick=False):
        case_dispatch(actor=operator, case=case, team=team)
    return case


def _clock(case, name) -> Clock:
    return Clock.objects.get(case=case, name=name)


def _urgent_clocks(case):
    return case.clocks.filter(name__in=URGENT)


def _sweep_at(moment) -> int:
    with time_machine.travel(moment, tick=False):
        return clocks_sweep()


def _breach_notifications(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, subject__startswith="快响超时"))


def test_urgent_triage_starts_the_three_clocks_from_receipt_and_the_dispatch_stops_the_first(world):
    case = _urgent_case(world)

    assert {c.name: c.due_at - T0 for c in _urgent_clocks(case)} == {
        "dispatch": timedelta(minutes=1), "arrive": timedelta(minutes=5), "result": timedelta(minutes=10)}
    dispatch = _clock(case, "dispatch")
    assert dispatch.done_at == T0 + timedelta(seconds=30) and not dispatch.breached and dispatch.state == "done"
    assert _clock(case, "arrive").state == "pending"


def test_a_case_triaged_without_urgency_has_no_clocks(world):
    case = request_submit(actor=None, data=RequestInput(text="楼道堆放杂物", grid_code="T1C1-G01")).case
    case_triage(actor=world.operator, case=case, kind="SHARED", catalogue_code="S1", reason="复核")
    assert not Clock.objects.filter(case=case, name__in=URGENT).exists()


def test_each_limit_met_in_time_is_never_breached(world):
    case = _urgent_case(world)
    clock_complete(case=case, name="arrive", at=T0 + timedelta(minutes=4, seconds=59))
    clock_complete(case=case, name="result", at=T0 + timedelta(minutes=9))

    assert _sweep_at(T0 + timedelta(hours=1)) == 0
    assert [c.state for c in _urgent_clocks(case)] == ["done", "done", "done"]
    assert not Job.objects.filter(kind="clock_breach").exists()


@pytest.mark.parametrize(("name", "minutes"), [("dispatch", 1), ("arrive", 5), ("result", 10)])
def test_each_limit_run_out_is_breached_by_the_sweep_and_the_street_operators_are_told(world, name, minutes):
    with time_machine.travel(T0, tick=False):
        case = request_submit(actor=None, data=RequestInput(text="燃气泄漏", grid_code="T1C1-G01")).case
    case_triage(actor=world.operator, case=case, kind="SHARED", catalogue_code="S1", reason="复核")
    clocks_start_urgent(case=case, received_at=T0)  # no dispatch yet: all three run
    for earlier in Clock.objects.filter(case=case, due_at__lt=T0 + timedelta(minutes=minutes)):
        clock_complete(case=case, name=earlier.name, at=T0)

    # a second before the limit nothing happens; a second after, the clock is breached
    assert _sweep_at(T0 + timedelta(minutes=minutes, seconds=-1)) == 0
    assert _sweep_at(T0 + timedelta(minutes=minutes, seconds=1)) == 1
    clock = _clock(case, name)
    assert clock.breached_at == T0 + timedelta(minutes=minutes, seconds=1) and clock.state == "breached"
    assert Job.objects.filter(kind="clock_breach", payload={"clock": clock.pk}).count() == 1

    run_due_jobs()
    [notice] = _breach_notifications(world.operator)
    assert case.number in notice.subject and clock.get_name_display() in notice.subject
    assert _breach_notifications(world.other_operator) == []  # another street's command centre

    # finishing late keeps the breach on record
    clock_complete(case=case, name=name, at=T0 + timedelta(minutes=minutes + 3))
    clock.refresh_from_db()
    assert clock.done_at and clock.breached and clock.state == "done_late"


def test_a_late_completion_before_any_sweep_still_records_and_tells_the_breach(world):
    case = _urgent_case(world, dispatched_after=timedelta(minutes=2))  # dispatched a minute too late
    dispatch = _clock(case, "dispatch")
    assert dispatch.breached_at == T0 + timedelta(minutes=2) and dispatch.state == "done_late"
    clock_complete(case=case, name="arrive", at=T0 + timedelta(minutes=6))
    assert _clock(case, "arrive").state == "done_late"
    assert Job.objects.filter(kind="clock_breach").count() == 2  # a late completion is told, too
    assert _sweep_at(T0 + timedelta(hours=1)) == 1  # only result is still open
    assert Job.objects.filter(kind="clock_breach").count() == 3
    run_due_jobs()
    assert len(_breach_notifications(world.operator)) == 3


def test_a_restarted_worker_does_not_fire_twice(world):
    case = _urgent_case(world)
    clock_complete(case=case, name="result", at=T0 + timedelta(minutes=8))
    with time_machine.travel(T0 + timedelta(minutes=6), tick=False):
        for _ in range(2):  # the worker, then the same worker after a restart
            out = io.StringIO()
            call_command("worker", "--once", stdout=out)
        assert "breached 0 clock(s)" in out.getvalue()
    assert Clock.objects.filter(case=case, breached_at__isnull=False).count() == 1
    assert Job.objects.filter(kind="clock_breach").count() == 1
    assert len(_breach_notifications(world.operator)) == 1


def test_a_street_policy_sets_its_own_limits(world):
    ClockPolicy.objects.create(street=world.street, arrive_minutes=15, result_minutes=20)  # limits are data
    own = _urgent_case(world)
    elsewhere = _urgent_case(world, grid_code="T2C1-G01")

    assert _clock(own, "result").due_at == T0 + timedelta(minutes=20)
    assert _clock(own, "arrive").due_at == T0 + timedelta(minutes=15)
    assert _clock(elsewhere, "result").due_at == T0 + timedelta(minutes=10)
    assert _sweep_at(T0 + timedelta(minutes=12)) == 2  # the default arrive and result clocks only


def test_the_case_api_shows_the_clocks(world, client, token_for):
    case = _urgent_case(world)
    _sweep_at(T0 + timedelta(minutes=7))

    response = client.get(f"/api/v1/cases/{case.pk}", **token_for(world.operator))

    assert response.status_code == 200
    clocks = {c["name"]: c for c in response.json()["clocks"] if c["name"] in URGENT}
    assert list(clocks) == ["dispatch", "arrive", "result"]
    assert clocks["dispatch"]["done_at"] and not clocks["dispatch"]["breached"]
    assert clocks["arrive"]["breached"] and clocks["arrive"]["done_at"] is None
    assert not clocks["result"]["breached"]
    assert datetime.fromisoformat(clocks["result"]["due_at"]) == T0 + timedelta(minutes=10)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the migrations' rows
def test_two_workers_sweeping_at_once_breach_each_clock_exactly_once(postgres_only):
    past = timezone.now() - timedelta(hours=1)
    for n in range(20):
        case = Case.objects.create(title=f"突发事件{n}", number=f"CLK-{n}", urgent=True)
        clocks_start_urgent(case=case, received_at=past)
    counts: list[int] = []
    lock = threading.Lock()

    def worker():
        while swept := clocks_sweep(limit=7):
            with lock:
                counts.append(swept)

    run_in_threads(worker)

    assert sum(counts) == 60
    assert Clock.objects.filter(breached_at__isnull=True).count() == 0
    jobs = Job.objects.filter(kind="clock_breach")
    assert jobs.count() == 60
    assert len({j.payload["clock"] for j in jobs}) == 60


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the migrations' rows
def test_the_running_worker_sweeps_clocks_while_a_slow_webhook_holds_its_jobs(postgres_only, world):
    """`sanshi worker` as a real process: while a webhook receiver keeps a delivery hanging, a clock
    that falls due is still breached (the sweeps have their own thread); SIGTERM stops it cleanly."""
    import os
    import signal
    import subprocess
    import sys
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from sanshi.core.models import WebhookEndpoint
    from sanshi.core.notify import notify

    arrived, release = threading.Event(), threading.Event()

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 — http.server's name
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            arrived.set()
            release.wait(60)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    WebhookEndpoint.objects.create(name="慢接收方", url=f"http://127.0.0.1:{server.server_address[1]}/hook")
    notify(recipients=[world.operator], subject="测试", body="慢接收方", kind="test")
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "sanshi.settings.test",
           "SANSHI_WORKER_POLL_SECONDS": "0.2", "SANSHI_WEBHOOK_TIMEOUT_SECONDS": "60"}
    worker = subprocess.Popen([sys.executable, "-m", "sanshi", "worker"], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert arrived.wait(60), "the worker never delivered the webhook"
        case = Case.objects.create(title="突发事件", number="CLK-SLOW", urgent=True)
        clocks_start_urgent(case=case, received_at=timezone.now() - timedelta(minutes=2))  # dispatch overdue
        for _ in range(300):
            if Clock.objects.filter(case=case, name="dispatch", breached_at__isnull=False).exists():
                break
            time.sleep(0.1)
        assert Clock.objects.filter(case=case, name="dispatch", breached_at__isnull=False).exists()
        assert not release.is_set()  # breached while the webhook job was still hanging
    finally:
        release.set()
        worker.send_signal(signal.SIGTERM)
        out, _ = worker.communicate(timeout=60)
        server.shutdown()
    assert worker.returncode == 0 and "已停止" in out


def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
