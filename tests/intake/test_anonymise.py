"""Reporters' contacts are erased from cases closed more than SANSHI_ANONYMISE_AFTER_DAYS ago."""

import io
from datetime import timedelta

import time_machine
from django.core.management import call_command
from django.utils import timezone

from sanshi.audit.models import AuditEntry
from sanshi.cases.models import Case
from sanshi.core.jobs import run_due_jobs
from sanshi.core.jobs import schedule_recurring as schedule_periodic
from sanshi.core.models import Job
from sanshi.intake.models import Request
from sanshi.intake.services import ANONYMISE_JOB, requests_anonymise_closed

from ..cases.test_pipeline_e2e import (
    test_household_matter_bad_rating_escalates_then_closes as household_pipeline,
)
from ..helpers import submit

PHONE, NAME = "13812345678", "张三丰"


def _open_request(client) -> Request:
    body = submit(client, text="小区门口路灯坏了", grid="T1C1-G01", reporter_name="李四", reporter_phone="13900001111",
                  address="鼎城花园3栋").json()
    return Request.objects.get(tracking_code=body["tracking_code"])


def test_contacts_on_a_case_closed_over_a_year_ago_are_erased_and_audited(world, client, token_for, settings):
    settings.SANSHI_ANONYMISE_AFTER_DAYS = 365
    household_pipeline(world, client, token_for)  # closes a case reported by 张三丰, 13812345678
    closed = Request.objects.get(reporter_phone_hash__gt="", case__status="closed")
    still_open = _open_request(client)
    closed_at = Case.objects.get(pk=closed.case_id).closed_at

    # a day short of the limit: nothing happens, and the audit row says 0
    with time_machine.travel(closed_at + timedelta(days=364)):
        assert requests_anonymise_closed() == 0
    closed.refresh_from_db()
    assert (closed.reporter_name, closed.reporter_phone) == (NAME, PHONE)

    with time_machine.travel(closed_at + timedelta(days=366)):
        assert requests_anonymise_closed() == 1
    closed.refresh_from_db()
    assert (closed.reporter_name, closed.reporter_phone, closed.reporter_phone_hash, closed.address) == ("", "", "", "")
    still_open.refresh_from_db()
    assert (still_open.reporter_name, still_open.reporter_phone) == ("李四", "13900001111")
    rows = list(AuditEntry.objects.filter(event="personal_data.anonymise").order_by("seq"))
    assert [r.obj_id for r in rows] == ["0", "1"]
    assert all(PHONE not in str(vars(r)) and NAME not in str(vars(r)) for r in rows)
    # run again: nothing left to erase
    with time_machine.travel(closed_at + timedelta(days=367)):
        assert requests_anonymise_closed() == 0


def test_the_command_anonymises(world, client, settings):
    req = _open_request(client)
    Case.objects.filter(pk=req.case_id).update(status="closed", closed_at=timezone.now() - timedelta(days=400))
    out = io.StringIO()
    call_command("anonymise", stdout=out)
    assert "anonymised 1 request" in out.getvalue()
    req.refresh_from_db()
    assert req.reporter_phone == "" and req.reporter_name == ""


def test_the_worker_runs_it_at_most_once_an_hour_and_remembers_across_restarts(world, client):
    req = _open_request(client)
    Case.objects.filter(pk=req.case_id).update(status="closed", closed_at=timezone.now() - timedelta(days=400))
    schedule_periodic()
    assert run_due_jobs() == 1  # first start: runs at once
    req.refresh_from_db()
    assert req.reporter_phone == ""
    assert AuditEntry.objects.filter(event="personal_data.anonymise").count() == 1
    schedule_periodic()  # a restarted worker finds the next run booked in the table
    assert run_due_jobs() == 0
    assert Job.objects.filter(kind=ANONYMISE_JOB, status="pending").count() == 1
    with time_machine.travel(timezone.now() + timedelta(minutes=59)):
        schedule_periodic()
        assert run_due_jobs() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        schedule_periodic()
        assert run_due_jobs() == 1
    assert AuditEntry.objects.filter(event="personal_data.anonymise").count() == 2
