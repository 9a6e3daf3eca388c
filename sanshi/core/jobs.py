"""A small durable job queue in the database, run by `sanshi worker`.

A job row is written in the caller's transaction (an outbox): the worker sees it only once
committed, so nothing is sent for a transaction that rolls back, and nothing is lost in a crash. The worker claims due jobs with SELECT … FOR UPDATE SKIP LOCKED (PostgreSQL), so two
workers never run the same job; on SQLite the single-writer lock gives the same guarantee.
"""

import logging
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .models import Job

log = logging.getLogger("sanshi.jobs")
HANDLERS: dict[str, Callable[[dict], None]] = {}


def job_handler(kind: str):
    def register(func):
        HANDLERS[kind] = func
        return func

    return register


def enqueue(kind: str, payload: dict, *, run_at=None) -> Job:
    return Job.objects.create(kind=kind, payload=payload, run_at=run_at or timezone.now())


def _claim(limit: int) -> list[Job]:
    qs = Job.objects.filter(status=Job.Status.PENDING, run_at__lte=timezone.now()).order_by("run_at")
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True)
    return list(qs[:limit])


def run_due_jobs(limit: int = 50) -> int:
    """Run up to `limit` due jobs; return how many were attempted."""
    attempted = 0
    with transaction.atomic():
        jobs = _claim(limit)
        for job in jobs:
            attempted += 1
            handler = HANDLERS.get(job.kind)
            job.attempts += 1
            try:
                if handler is None:
                    raise LookupError(f"no handler for job kind {job.kind!r}")
                with transaction.atomic():
                    handler(job.payload)
            except Exception as exc:  # noqa: BLE001 — any failure is retried with back-off
                job.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if job.attempts >= settings.SANSHI_JOB_MAX_ATTEMPTS:
                    job.status = Job.Status.FAILED
                else:
                    job.run_at = timezone.now() + timedelta(seconds=min(3600, 2 ** job.attempts))
                log.warning("job %s failed (attempt %s): %s", job.pk, job.attempts, job.last_error)
            else:
                job.status = Job.Status.DONE
                job.done_at = timezone.now()
            job.save(update_fields=["attempts", "status", "run_at", "last_error", "done_at"])
    return attempted
