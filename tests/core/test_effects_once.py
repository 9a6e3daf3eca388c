"""Effects once (issue 19): a worker killed between a job's commit and its "done" mark ran the job
again when its lease ended — one clock breach gave two in-app notifications and two webhooks with
different delivery ids. Now an atomic handler's writes and the mark commit together, and every row
`notify()` writes from a job carries an id derived from the job and its target, unique in the
database, so a run again adds nothing and a webhook keeps its `X-Sanshi-Delivery`.

The crash is reproduced by making our own `_mark_done` raise a BaseException — what a kill -9 at
that moment leaves: nothing after it runs, not even the bookkeeping of a failed attempt."""

from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from sanshi.cases.models import Case
from sanshi.core import jobs
from sanshi.core.jobs import enqueue, job_handler, run_due_jobs
from sanshi.core.models import Delivery, Job, Notification, WebhookEndpoint
from sanshi.core.notify import notify
from sanshi.rapid.models import Clock
from sanshi.rapid.services import clocks_start_urgent, clocks_sweep

from .test_notifications import Receiver


class Killed(BaseException):
    """The worker process died here (kill -9): no `except Exception` sees it."""


def _die(*args, **kwargs):
    raise Killed


def _after_the_lease(settings):
    return time_machine.travel(timezone.now() + timedelta(seconds=settings.SANSHI_JOB_LEASE_SECONDS + 1), tick=False)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def webhook_only(settings, receiver):
    settings.SANSHI_NOTIFY_CHANNELS = {"*": ["webhook"]}
    settings.SANSHI_WEBHOOK_URL = ""
    WebhookEndpoint.objects.create(name="指挥中心", url=receiver.url, secret="s3cret")
    return settings


def test_a_clock_breach_whose_worker_died_before_the_mark_tells_once_with_one_delivery_id(
        world, webhook_only, receiver, monkeypatch):
    # given an urgent event whose dispatch limit ran out, swept: one breach job
    case = Case.objects.create(title="楼道起火", number="EFF-1", urgent=True, grid=world.grid, org=world.community)
    clocks_start_urgent(case=case, received_at=timezone.now() - timedelta(minutes=2))
    assert clocks_sweep() == 1
    [breach] = Job.objects.filter(kind="clock_breach")

    # when the worker runs the handler and dies before the job is marked done
    monkeypatch.setattr(jobs, "_mark_done", _die)
    with pytest.raises(Killed):
        run_due_jobs()
    monkeypatch.undo()
    breach.refresh_from_db()
    assert breach.status == "pending" and breach.attempts == 1  # still leased: nobody runs it yet
    assert run_due_jobs() == 0

    # then, when the lease ends, the job runs again, and the deliveries go out
    with _after_the_lease(webhook_only):
        assert run_due_jobs() >= 2
    breach.refresh_from_db()
    assert breach.status == "done" and breach.attempts == 2
    assert Notification.objects.filter(recipient=world.operator, kind="clock_breach").count() == 1
    [delivery] = Delivery.objects.filter(channel="webhook")
    assert delivery.status == "sent"
    assert [h["X-Sanshi-Delivery"] for h, _ in receiver.received] == [str(delivery.uid)]
    assert Clock.objects.filter(case=case, breached_at__isnull=False).count() == 1


def test_a_handler_that_commits_on_its_own_adds_nothing_when_run_again(db, world, webhook_only, receiver,
                                                                       monkeypatch):
    """An `atomic=False` handler commits before the mark: the ids derived from the job make the run
    after the lease find its notification and its delivery, and queue no second delivery job."""

    @job_handler("test-own-commit", atomic=False)
    def tell(payload):
        with transaction.atomic():
            notify(recipients=[world.operator], subject="提醒", body="…", kind="test_own_commit")

    job = enqueue("test-own-commit", {})
    monkeypatch.setattr(jobs, "_mark_done", _die)
    with pytest.raises(Killed):
        run_due_jobs()
    monkeypatch.undo()
    first = Delivery.objects.get()
    assert Notification.objects.count() == 1

    with _after_the_lease(webhook_only):
        run_due_jobs()
    job.refresh_from_db()
    assert job.status == "done"
    assert Notification.objects.count() == 1
    assert list(Delivery.objects.values_list("uid", flat=True)) == [first.uid]
    assert Job.objects.filter(kind="notify.deliver").count() == 1
    assert [h["X-Sanshi-Delivery"] for h, _ in receiver.received] == [str(first.uid)]


def test_two_calls_of_one_job_are_two_messages_and_ids_outside_a_job_are_random(db, world, webhook_only):
    """Derived ids tell a run again from a second message: each `notify()` call of a job has its own
    place, so two reminders to the same person in one job are both kept."""

    @job_handler("test-two-calls")
    def twice(payload):
        for subject in ("第一次", "第二次"):
            notify(recipients=[world.operator], subject=subject, body="…", kind="test_two")

    enqueue("test-two-calls", {})
    run_due_jobs()
    assert sorted(Notification.objects.values_list("subject", flat=True)) == ["第一次", "第二次"]
    assert Delivery.objects.filter(kind="test_two").count() == 2

    # in a request (no job), the same call twice is two messages with random ids
    for _ in range(2):
        notify(recipients=[world.operator], subject="页面上的操作", body="…", kind="test_page")
    assert Notification.objects.filter(subject="页面上的操作").count() == 2
    assert Delivery.objects.filter(kind="test_page").values("uid").distinct().count() == 2


def test_a_run_whose_lease_ran_out_commits_nothing_when_another_worker_has_done_the_job(db, world, webhook_only):
    """The lease still decides between two workers: a run that outlived its lease while another
    worker claimed the job again and did it finds the attempt count changed and rolls back its writes."""

    @job_handler("test-slow-run")
    def remind(payload):  # a plain write, as the closing feedback's record (no derived id to meet)
        Notification.objects.create(recipient=world.operator, subject="提醒", body="…", kind="test_slow")

    enqueue("test-slow-run", {})
    stale = jobs._claim()  # worker A claims it, then stalls past its lease
    with _after_the_lease(webhook_only):
        run_due_jobs(kinds=["test-slow-run"])  # worker B claims it again and does it
        jobs._run(stale)  # worker A wakes up and runs its copy
    assert Notification.objects.filter(kind="test_slow").count() == 1
    job = Job.objects.get(kind="test-slow-run")
    assert (job.status, job.attempts) == ("done", 2)
