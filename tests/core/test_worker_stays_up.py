"""The worker stays up (issue 19): under load with kill -9 it died on any database error. Every loop
now logs a failed round on one line, closes its connections and tries again after a back-off; a lost
connection is retried as soon as the database answers. The first tests drive the loops in process
with a fake clock; the PostgreSQL tests run `sanshi worker` as a real process, terminate its
backends (pg_terminate_backend on its application_name, never a server restart) or make its
sessions read-only, and see a clock breached and its operators told afterwards."""

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from sanshi.cases.models import Case
from sanshi.core.jobs import Sweep
from sanshi.core.management.commands import worker
from sanshi.core.models import Notification
from sanshi.rapid.models import Clock
from sanshi.rapid.services import clocks_start_urgent

PHONE = "13812345678"


class FakeTime:
    """The worker module's `time`: monotonic advances only when the worker sleeps."""

    def __init__(self):
        self.now = 1000.0
        self.slept = 0.0

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds
        self.slept += seconds


@pytest.fixture
def fake_time(monkeypatch, settings):
    """The loops without a database: their work is replaced by each test, and the connection checks
    say what each test needs (by default: a statement refused, the link alive)."""
    settings.SANSHI_WORKER_POLL_SECONDS = 1.0
    settings.SANSHI_WORKER_MAX_BACKOFF_SECONDS = 30.0
    clock = FakeTime()
    monkeypatch.setattr(worker, "time", clock)
    monkeypatch.setattr(worker, "schedule_recurring", lambda: None)
    monkeypatch.setattr(worker, "_connection_lost", lambda: False)
    monkeypatch.setattr(worker, "_database_answers", lambda: True)
    return clock


def stop_after(counter: list, n: int):
    """Stop once `counter` holds n items — or, so that a broken loop fails rather than hangs, after
    a bounded number of checks."""
    checks = []

    def stopping():
        checks.append(1)
        return len(counter) >= n or len(checks) > 1_000_000

    return stopping


def test_a_database_error_in_the_jobs_loop_is_one_redacted_line_and_the_loop_goes_on(fake_time, monkeypatch,
                                                                                      caplog):
    rounds: list[int] = []

    def broken(**kwargs):
        rounds.append(1)
        if len(rounds) <= 2:
            raise OperationalError(f"server closed the connection unexpectedly (reporter {PHONE})\nDETAIL: more")
        return 0

    monkeypatch.setattr(worker, "run_due_jobs", broken)
    worker.jobs_forever(stop_after(rounds, 4))

    failures = [r for r in caplog.records if r.name == "sanshi.worker" and "round failed" in r.getMessage()]
    assert len(failures) == 2 and len(rounds) == 4  # it kept going after both
    for record in failures:
        message = record.getMessage()
        assert "\n" not in message and record.exc_info is None
        assert "OperationalError: server closed the connection unexpectedly" in message
        assert PHONE not in message and "DETAIL" not in message
    recovered = [r.getMessage() for r in caplog.records if "recovered" in r.getMessage()]
    assert recovered == ["worker jobs recovered after 2 failed round(s), 3.0 s"]  # waited 1 s, then 2 s


def test_a_connection_that_fails_to_close_does_not_end_the_loop(fake_time, monkeypatch):
    rounds: list[int] = []

    def broken(**kwargs):
        rounds.append(1)
        raise OperationalError("terminating connection due to administrator command")

    def cannot_close():
        raise OperationalError("the connection is already broken")

    monkeypatch.setattr(worker, "run_due_jobs", broken)
    monkeypatch.setattr(worker, "close_old_connections", cannot_close)
    worker.jobs_forever(stop_after(rounds, 3))
    assert len(rounds) == 3


def test_after_a_lost_connection_the_next_round_starts_when_the_database_answers(fake_time, monkeypatch):
    """Eight rounds in a row find the connection gone: without the probe the back-off alone would wait
    1 + 2 + 4 + 8 + 16 + 30 + 30 + 30 s; the database answers at each probe, so each wait is one poll."""
    rounds: list[int] = []

    def broken(**kwargs):
        rounds.append(1)
        if len(rounds) <= 8:
            raise OperationalError("server closed the connection unexpectedly")
        return 0

    monkeypatch.setattr(worker, "run_due_jobs", broken)
    monkeypatch.setattr(worker, "_connection_lost", lambda: True)
    worker.jobs_forever(stop_after(rounds, 9))
    assert len(rounds) == 9
    assert fake_time.slept <= 8 * 1.0  # one poll interval per failed round


def test_while_the_database_is_down_the_back_off_doubles_and_stops_at_the_maximum(fake_time, monkeypatch):
    rounds: list[float] = []

    def broken(**kwargs):
        rounds.append(fake_time.now)
        raise OperationalError("connection refused")

    monkeypatch.setattr(worker, "run_due_jobs", broken)
    monkeypatch.setattr(worker, "_connection_lost", lambda: True)
    monkeypatch.setattr(worker, "_database_answers", lambda: False)
    worker.jobs_forever(stop_after(rounds, 1100))  # nine hours down: 2 ** 1100 overflowed a float
    gaps = [round(b - a) for a, b in zip(rounds, rounds[1:], strict=False)]
    assert gaps[:7] == [1, 2, 4, 8, 16, 30, 30] and set(gaps[5:]) == {30}


def test_a_sweep_that_keeps_failing_does_not_hold_up_the_clocks(fake_time, monkeypatch, caplog):
    clocks: list[int] = []
    broken: list[int] = []

    def seal():
        broken.append(1)
        raise ValueError("a bad row in the journal")

    def sweep_clocks():
        clocks.append(1)
        return 0

    # the failing sweep comes first in the round
    monkeypatch.setattr(worker, "SWEEPS", {"audit-seal": Sweep(name="audit-seal", func=seal),
                                           "clocks": Sweep(name="clocks", func=sweep_clocks)})
    worker.sweep_forever(stop_after(clocks, 40))
    assert len(clocks) == 40  # a round every poll interval: 40 s
    assert 3 <= len(broken) <= 7  # backing off: 1, 2, 4, 8, 16 s …
    assert all("sweep audit-seal round failed (ValueError: a bad row in the journal)" in r.getMessage()
               for r in caplog.records if r.name == "sanshi.worker")


# ---- a real worker process on PostgreSQL ---------------------------------------------------------

def _database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class RunningWorker:
    """`sanshi worker` with its own application_name (libpq's PGAPPNAME), its log lines collected."""

    def __init__(self):
        self.app = f"sanshi-worker-test-{uuid.uuid4().hex[:10]}"
        env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "sanshi.settings.test",
               "PGAPPNAME": self.app, "SANSHI_WORKER_POLL_SECONDS": "0.2", "SANSHI_WORKER_MAX_BACKOFF_SECONDS": "2",
               "SANSHI_NOTIFY_CHANNELS": "*="}
        self.process = subprocess.Popen([sys.executable, "-m", "sanshi", "worker"], env=env, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.wait_for(lambda: self.backends() >= 2, "the worker's threads never connected")

    def _read(self):
        for line in self.process.stderr:
            self.lines.append(line.rstrip("\n"))

    def backends(self) -> int:
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", [self.app])
            return cur.fetchone()[0]

    def terminate_backends(self) -> int:
        with connection.cursor() as cur:
            cur.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name = %s AND pid <> pg_backend_pid()", [self.app])
            return cur.fetchone()[0]

    def wait_for(self, condition, what: str, seconds: float = 60) -> None:
        for _ in range(int(seconds / 0.1)):  # bounded in count; the figure is not what is tested
            if condition():
                return
            assert self.process.poll() is None, "the worker died:\n" + "\n".join(self.lines[-20:])
            time.sleep(0.1)
        raise AssertionError(what + ":\n" + "\n".join(self.lines[-20:]))

    def logged(self, text: str) -> list[str]:
        return [line for line in self.lines if text in line]

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(60)
        finally:
            if self.process.poll() is None:
                self.process.kill()
        self.reader.join(5)
        return self.process.returncode


def _overdue_clock(world, number: str) -> Clock:
    case = Case.objects.create(title="楼道起火", number=number, urgent=True, grid=world.grid, org=world.community)
    clocks_start_urgent(case=case, received_at=timezone.now() - timedelta(minutes=2))  # dispatch overdue
    return Clock.objects.get(case=case, name="dispatch")


def _breached_and_told(clock: Clock, operator) -> bool:
    clock.refresh_from_db()
    return clock.breached_at is not None and Notification.objects.filter(
        recipient=operator, kind="clock_breach", subject__contains=clock.case.number).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the migrations' rows
def test_the_worker_outlives_its_backends_being_terminated_and_breaches_a_clock_after(postgres_only, world):
    running = RunningWorker()
    try:
        # when every backend of the worker is terminated under it
        terminated_at = timezone.now()
        assert running.terminate_backends() >= 2
        running.wait_for(lambda: running.logged("round failed"), "no failed round was logged")

        # then it stays up, and a clock that runs out afterwards is breached and told
        clock = _overdue_clock(world, "STAY-1")
        running.wait_for(lambda: _breached_and_told(clock, world.operator), "the clock was never breached")
        assert clock.breached_at > terminated_at
        note = Notification.objects.get(recipient=world.operator, subject__contains="STAY-1")
        assert note.created_at > terminated_at
        assert running.backends() >= 1  # connected again
    finally:
        returncode = running.stop()
    assert returncode == 0
    failures = running.logged("round failed")
    assert failures and all("OperationalError" in line for line in failures)
    assert not running.logged("Traceback")  # one line each


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the migrations' rows
def test_a_read_only_database_is_logged_and_retried_until_it_takes_writes_again(postgres_only, world):
    name = connection.ops.quote_name(connection.settings_dict["NAME"])
    with connection.cursor() as cur:  # this test's own session stays read-write
        cur.execute("SET default_transaction_read_only = off")
    running = RunningWorker()
    try:
        # when the database turns read-only (as a standby does) and the worker's sessions start again
        with connection.cursor() as cur:
            cur.execute(f"ALTER DATABASE {name} SET default_transaction_read_only = on")
        running.terminate_backends()
        running.wait_for(lambda: running.logged("read-only"), "no read-only failure was logged")
        clock = _overdue_clock(world, "STAY-RO")
        running.wait_for(lambda: len(running.logged("read-only")) >= 3, "the worker stopped retrying")
        clock.refresh_from_db()
        assert clock.breached_at is None  # nothing could be written meanwhile

        # then, once it takes writes again, the worker breaches the clock and tells the operator
        with connection.cursor() as cur:
            cur.execute(f"ALTER DATABASE {name} RESET default_transaction_read_only")
        running.wait_for(lambda: _breached_and_told(clock, world.operator), "the clock was never breached")
    finally:
        with connection.cursor() as cur:
            cur.execute(f"ALTER DATABASE {name} RESET default_transaction_read_only")
        returncode = running.stop()
    assert returncode == 0
    assert running.logged("recovered after")
    assert not running.logged("Traceback")
