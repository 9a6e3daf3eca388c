import io
import logging
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from sanshi.accounts.checks import no_demo_accounts_in_production
from sanshi.accounts.models import User
from sanshi.cases.models import Case
from sanshi.core.jobs import enqueue, job_handler, run_due_jobs
from sanshi.core.logging import redact
from sanshi.core.models import Job
from sanshi.registry.models import Level, OrgNode, Role, StaffRole


def test_failed_job_is_retried_with_backoff_then_succeeds(db):
    calls = []

    @job_handler("flaky-test")
    def flaky(payload):
        calls.append(payload)
        if len(calls) == 1:
            raise ConnectionError("webhook down")

    job = enqueue("flaky-test", {"n": 1})
    assert run_due_jobs() == 1
    job.refresh_from_db()
    assert job.status == "pending" and job.attempts == 1 and "webhook down" in job.last_error
    assert run_due_jobs() == 0  # not due yet: back-off
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert run_due_jobs() == 1
    job.refresh_from_db()
    assert job.status == "done" and len(calls) == 2


def test_worker_command_runs_due_jobs_once(db):
    enqueue("no-such-handler", {})
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    assert "ran 1 job" in out.getvalue()
    assert Job.objects.get().last_error.startswith("LookupError")


def test_demo_builds_two_streets_every_role_and_all_stages(db, settings):
    settings.SANSHI_DEMO_PASSWORD = "demo-pass-123"
    out = io.StringIO()
    call_command("demo", "--requests", "60", stdout=out)
    text = out.getvalue()
    ds, cz = OrgNode.objects.get(code="DS"), OrgNode.objects.get(code="CZ")
    ds_comms = ds.children.all()
    assert ds_comms.count() == 13
    assert ds_comms.filter(community_type="urban").count() == 6 and ds_comms.filter(community_type="rural").count() == 7
    assert cz.children.count() == 21 and len(set(cz.children.values_list("zone", flat=True))) == 4
    assert OrgNode.objects.filter(level=Level.MICRO_GRID).exists()
    assert OrgNode.objects.filter(level=Level.GRID, grid_type="medical").exists()
    assert set(StaffRole.objects.values_list("role", flat=True)) == set(Role.values)
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {"received", "triaged", "deliberating", "handling", "evaluating", "closed"} <= statuses
    assert Case.objects.filter(escalations__gt=0).exists() and Case.objects.filter(whistle_calls__isnull=False).exists()
    assert "demo-operator" in text and "demo-pass-123" in text
    assert User.objects.get(username="demo-operator").check_password("demo-pass-123")
    with pytest.raises(CommandError):
        call_command("demo", stdout=io.StringIO())
    call_command("demo", "--if-empty", stdout=io.StringIO())  # a second `make run` keeps the data


def test_production_refuses_to_start_with_demo_accounts(db, settings):
    User.objects.create_user("demo-x", password="x" * 12, is_demo=True)
    settings.PRODUCTION = True
    errors = no_demo_accounts_in_production(None)
    assert errors and errors[0].id == "sanshi.E001"
    call_command("demo", "--remove-accounts", stdout=io.StringIO())
    assert no_demo_accounts_in_production(None) == []


def test_log_redaction_hides_phone_id_and_tokens(caplog):
    logger = logging.getLogger("sanshi.test")
    with caplog.at_level(logging.INFO):
        logger.info("reporter %s id %s", "13812345678", "11010519491231002X")
    assert redact("Bearer abc.def") == "Bearer [令牌已隐去]"
    record = caplog.records[-1]
    from sanshi.core.logging import RedactPersonalData

    RedactPersonalData().filter(record)
    assert "13812345678" not in record.getMessage() and "11010519491231002X" not in record.getMessage()


def test_production_wsgi_start_refuses_superusers(db, settings):
    from django.core.exceptions import ImproperlyConfigured

    from sanshi.accounts.checks import assert_production_ready

    settings.PRODUCTION = True
    User.objects.create_superuser("root", password="Root-pass-2026")
    with pytest.raises(ImproperlyConfigured):
        assert_production_ready()
