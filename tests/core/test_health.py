"""The probes (issue 19: a load balancer could only probe the OpenAPI file, green with the database
down). /healthz: the process answers, without the database. /readyz: the database and its
migrations, the worker's heartbeat, the oldest due job's lag, the audit journal's backlog — 503 when
any is out of its bound. The worker's sweeper writes the heartbeat, at most once a second."""

from datetime import timedelta

import pytest
from django.db import OperationalError, connections
from django.test import Client
from django.utils import timezone

from sanshi.audit.services import audit_record
from sanshi.core import health, heartbeat
from sanshi.core.jobs import enqueue
from sanshi.core.management.commands import worker
from sanshi.core.models import WorkerHeartbeat


def test_healthz_answers_without_the_database():
    """No `db` fixture: pytest-django refuses any database access in this test."""
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.fixture
def fresh(db):
    """A worker that has just finished a sweep round; no job waits."""
    WorkerHeartbeat.objects.create(worker="worker-1", swept_at=timezone.now())


def readyz():
    response = Client().get("/readyz")
    return response.status_code, response.json()


def test_readyz_reports_every_check_and_nothing_personal(fresh):
    status, body = readyz()
    assert status == 200 and body["status"] == "ok", body
    checks = body["checks"]
    assert set(checks) == {"database", "worker", "jobs", "audit"}
    assert checks["database"] == {"ok": True, "migrations_applied": True}
    assert checks["worker"]["ok"] and checks["worker"]["age_seconds"] < 30 and checks["worker"]["last_sweep_at"]
    assert checks["jobs"] == {"ok": True, "oldest_due_lag_seconds": 0.0, "limit_seconds": 60}
    assert checks["audit"] == {"ok": True, "journal_rows": 0, "limit": 20000}
    assert "worker-1" not in str(body)  # figures and times, not host names


def test_readyz_is_503_when_the_worker_has_not_swept_lately(fresh):
    WorkerHeartbeat.objects.update(swept_at=timezone.now() - timedelta(seconds=31))
    status, body = readyz()
    assert status == 503 and body["status"] == "unavailable" and not body["checks"]["worker"]["ok"]
    WorkerHeartbeat.objects.all().delete()  # a worker never started
    assert readyz()[1]["checks"]["worker"] == {"ok": False, "last_sweep_at": None, "age_seconds": None,
                                                 "limit_seconds": 30}


def test_readyz_is_503_when_a_due_job_waits_too_long(fresh):
    enqueue("notify.deliver", {}, run_at=timezone.now() - timedelta(seconds=90))
    status, body = readyz()
    assert status == 503 and not body["checks"]["jobs"]["ok"] and body["checks"]["jobs"]["oldest_due_lag_seconds"] >= 90


def test_readyz_is_503_when_the_audit_journal_backs_up(fresh, settings):
    settings.SANSHI_AUDIT_SEALING = "deferred"
    settings.SANSHI_READY_AUDIT_BACKLOG = 1
    audit_record(event="test.one")
    assert readyz()[0] == 200
    audit_record(event="test.two")
    status, body = readyz()
    assert status == 503 and body["checks"]["audit"] == {"ok": False, "journal_rows": 2, "limit": 1}


def test_readyz_is_503_when_a_migration_is_not_applied(fresh, monkeypatch):
    monkeypatch.setattr(health, "_migrated", False)
    monkeypatch.setattr(health.MigrationExecutor, "migration_plan", lambda self, targets: [("core", False)])
    status, body = readyz()
    assert status == 503 and body["checks"]["database"] == {"ok": False, "migrations_applied": False}


def test_with_the_database_down_readyz_is_503_and_healthz_200(fresh):
    def refused():
        raise OperationalError("connection refused")

    wrapper = connections["default"]
    wrapper.ensure_connection = refused
    try:
        status, body = readyz()
        assert status == 503 and body == {"status": "unavailable",
                                          "checks": {"database": {"ok": False, "migrations_applied": None}}}
        assert Client().get("/healthz").status_code == 200
    finally:
        del wrapper.ensure_connection


class Monotonic:
    def __init__(self):
        self.now = 5000.0

    def monotonic(self):
        return self.now


def test_the_heartbeat_is_written_at_most_once_a_second(db, monkeypatch, django_assert_num_queries):
    clock = Monotonic()
    monkeypatch.setattr(heartbeat, "time", clock)
    monkeypatch.setattr(heartbeat, "_last_beat", float("-inf"))
    heartbeat.beat()
    first = WorkerHeartbeat.objects.get().swept_at
    clock.now += 0.5
    with django_assert_num_queries(0):
        heartbeat.beat()
    clock.now += 0.5
    with django_assert_num_queries(1):  # one UPDATE
        heartbeat.beat()
    assert WorkerHeartbeat.objects.get().swept_at >= first


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the sweeper closes its connection; keep the migrations' rows
def test_the_worker_sweeper_writes_the_heartbeat(monkeypatch, settings):
    monkeypatch.setattr(heartbeat, "_last_beat", float("-inf"))
    rounds: list[int] = []

    def stopping() -> bool:
        rounds.append(1)
        return len(rounds) > 1  # one round, then stop

    settings.SANSHI_WORKER_POLL_SECONDS = 0.0
    worker.sweep_forever(stopping)
    assert heartbeat.last_sweep() is not None and health._worker()["ok"]
