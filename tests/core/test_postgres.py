"""Behaviour that only PostgreSQL can show: two workers never run the same job."""

import threading

import pytest

from sanshi.core.jobs import enqueue, job_handler, run_due_jobs
from sanshi.core.models import Job

from ..helpers import run_in_threads


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the migrations' rows
def test_two_workers_run_each_job_exactly_once(postgres_only):
    done: list[int] = []
    lock = threading.Lock()

    @job_handler("count-once")
    def count(payload):
        with lock:
            done.append(payload["n"])

    for n in range(60):
        enqueue("count-once", {"n": n})

    def worker():
        while run_due_jobs(limit=7):
            pass

    run_in_threads(worker)
    assert sorted(done) == list(range(60))
    assert Job.objects.filter(status="done").count() == 60
