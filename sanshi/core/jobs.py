"""A small durable job queue in the database, run by `sanshi worker`.

A job row is written in the caller's transaction (an outbox): the worker sees it only once
committed, so nothing is sent for a transaction that rolls back, and nothing is lost in a crash.

The worker takes one due job at a time: in a short transaction it claims the job (SELECT … FOR
UPDATE SKIP LOCKED on PostgreSQL; SQLite's single-writer lock does the same), counts the attempt
and leases it by moving `run_at` SANSHI_JOB_LEASE_SECONDS ahead; it commits, then runs the handler.
So two workers never run the same job, no lock is held while a handler talks to the network, and
a job whose worker died runs again when its lease ends. A failure is retried after
SANSHI_JOB_BACKOFF_SECONDS, doubling each time up to SANSHI_JOB_BACKOFF_MAX_SECONDS; after
SANSHI_JOB_MAX_ATTEMPTS attempts the job is `failed`.

Effects once. Handlers run inside a transaction by default, and the job is marked `done` in that
same transaction (`_mark_done`): the handler's writes and the mark commit together or not at all,
so a worker killed at any point leaves either both or neither, and the run after the lease does
not repeat what was committed. The mark is fenced by the attempt count the claim wrote: a run whose
lease ran out while another worker claimed the job again commits nothing (`LeaseLost`). A handler
registered with `atomic=False` manages its own transactions — for network calls, which must not
hold the database lock — and is marked done in a transaction of its own afterwards; what it writes
through `core.notify` carries ids derived from the job (`effect_ids`), unique in the database, so
a run again after a crash between its commit and the mark adds no second notification or delivery.
`on_failure(payload, error, final)` runs in the transaction that records a failed attempt (the
handler's own writes were rolled back), e.g. to mark a delivery failed.
A handler may return a dict: it is stored as the job's `result` (what the run did, for the pages).

A handler registered with `slow=True` (minutes of CPU, such as retraining the triage model) is
run by the worker's own slow-jobs thread, never in the main loop, so notifications are not held up
behind it; `lease_seconds` gives it a lease longer than its longest run.

Besides jobs, the apps register what the worker does on its own (each from its AppConfig.ready(),
so the worker in this package imports no domain app):
- `recurring(kind, every_seconds=…)`: a job that books its next run when it has run (the hourly
  anonymisation); the worker keeps one pending row of each, so a restart neither skips nor repeats;
- `sweep(name)`: a function the sweeper thread calls every round (overdue clocks, deadlines and the
  ledger ladder, audit sealing); it returns how many items it acted on, and while that reaches
  `backlog_at` the next round follows at once instead of after a poll interval;
- `sweep(name, slow=True, every_seconds=…)`: the same, in the slow-jobs thread, at most that often
  (the nightly retraining rule).
"""

import logging
import time
import uuid
from collections.abc import Callable, Collection
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from .logging import redact
from .models import Job

log = logging.getLogger("sanshi.jobs")
HANDLERS: dict[str, Callable[[dict], None]] = {}


@dataclass(frozen=True)
class HandlerOptions:
    atomic: bool = True
    on_failure: Callable[..., None] | None = None
    slow: bool = False
    lease_seconds: Callable[[], float] | None = None  # None: SANSHI_JOB_LEASE_SECONDS
    max_attempts: int | None = None  # None: SANSHI_JOB_MAX_ATTEMPTS


OPTIONS: dict[str, HandlerOptions] = {}
RECURRING: dict[str, float] = {}  # kind → seconds between runs


@dataclass(frozen=True)
class Sweep:
    name: str
    func: Callable[[], int]  # how many items it acted on
    slow: bool = False
    every_seconds: float = 0.0
    backlog_at: int = 1  # acting on this many or more means more may wait: go again at once
    report: str = ""  # `sanshi worker --once` prints it, e.g. "breached {n} clock(s)"


SWEEPS: dict[str, Sweep] = {}


def job_handler(kind: str, *, atomic: bool = True, on_failure: Callable[..., None] | None = None,
                slow: bool = False, lease_seconds: Callable[[], float] | None = None, max_attempts: int | None = None):
    def register(func):
        HANDLERS[kind] = func
        OPTIONS[kind] = HandlerOptions(atomic=atomic, on_failure=on_failure, slow=slow, lease_seconds=lease_seconds,
                                       max_attempts=max_attempts)
        return func

    return register


def recurring(kind: str, *, every_seconds: float, **options):
    """Register a job handler that, once it has run, books the next run `every_seconds` later (in the
    same transaction as its own writes: a crash before the commit leaves the old row to run again)."""

    def register(func):
        def run_and_book(payload: dict):
            result = func(payload)
            enqueue(kind, {}, run_at=timezone.now() + timedelta(seconds=every_seconds))
            return result

        run_and_book.__doc__ = func.__doc__
        RECURRING[kind] = every_seconds
        job_handler(kind, **options)(run_and_book)
        return func

    return register


def schedule_recurring() -> None:
    """Keep one pending job of each recurring kind in the table. The table remembers the next run,
    so a restarted worker does not run it again before its time."""
    for kind in RECURRING:
        with transaction.atomic():
            if not Job.objects.filter(kind=kind, status=Job.Status.PENDING).exists():
                enqueue(kind, {})


def sweep(name: str, *, slow: bool = False, every_seconds: float = 0.0, backlog_at: int = 1, report: str = ""):
    """Register `func() -> int` for the worker's sweeper thread (or, `slow`, its slow-jobs thread, at
    most every `every_seconds`)."""

    def register(func):
        SWEEPS[name] = Sweep(name=name, func=func, slow=slow, every_seconds=every_seconds, backlog_at=backlog_at,
                             report=report)
        return func

    return register


def slow_kinds() -> frozenset[str]:
    """The job kinds the worker's slow-jobs thread runs (and its main loop leaves alone)."""
    return frozenset(kind for kind, options in OPTIONS.items() if options.slow)


def enqueue(kind: str, payload: dict, *, run_at=None) -> Job:
    return Job.objects.create(kind=kind, payload=payload, run_at=run_at or timezone.now())


def enqueue_many(kind: str, payloads: list[dict]) -> list[Job]:
    """Queue one job per payload with one INSERT (the sweeps queue a batch at a time)."""
    now = timezone.now()
    return Job.objects.bulk_create([Job(kind=kind, payload=p, run_at=now) for p in payloads])


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 30 s, 1 min, 2 min, 4 min … (defaults)."""
    base, cap = settings.SANSHI_JOB_BACKOFF_SECONDS, settings.SANSHI_JOB_BACKOFF_MAX_SECONDS
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def _claim(kinds: Collection[str] | None = None, exclude: Collection[str] = ()) -> Job | None:
    with transaction.atomic():
        now = timezone.now()
        qs = Job.objects.filter(status=Job.Status.PENDING, run_at__lte=now).order_by("run_at", "pk")
        if kinds is not None:
            qs = qs.filter(kind__in=list(kinds))
        if exclude:
            qs = qs.exclude(kind__in=list(exclude))
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        job = qs.first()
        if job is None:
            return None
        lease = OPTIONS.get(job.kind, HandlerOptions()).lease_seconds
        job.attempts += 1
        job.run_at = now + timedelta(seconds=lease() if lease else settings.SANSHI_JOB_LEASE_SECONDS)
        job.save(update_fields=["attempts", "run_at"])
        return job


class LeaseLost(Exception):  # noqa: N818 — what happened, not an error of the handler
    """The job was claimed again by another worker after this run's lease ran out: this run's
    writes (atomic handlers) are rolled back and its outcome is not recorded."""


# A derived id must never change between releases: the namespace is a constant.
EFFECTS_NAMESPACE = uuid.UUID("5d1f8b52-9a4e-4c1e-8f0b-3a7d2b6c9e41")


@dataclass
class _Running:
    key: str  # the job's id and creation time: ids stay unique even if a table's ids were reset
    calls: int = 0


_running: ContextVar[_Running | None] = ContextVar("sanshi_running_job", default=None)


@dataclass(frozen=True)
class EffectIds:
    """The ids of the rows one call writes (one `notify()`, one `webhook_event()`). Inside a job
    run by the worker they are uuid5 over the job, the call's place among the job's calls and the
    row's own parts (channel, target, recipient), so a job run again derives the same ids and finds
    its rows already there; outside a job they are random (the request's own transaction carries
    them)."""

    base: str | None

    @property
    def derived(self) -> bool:
        return self.base is not None

    def __call__(self, *parts: object) -> uuid.UUID:
        if self.base is None:
            return uuid.uuid4()
        return uuid.uuid5(EFFECTS_NAMESPACE, "\x1f".join([self.base, *(str(p) for p in parts)]))


def effect_ids() -> EffectIds:
    """Ids for the rows of one effect-producing call; see `EffectIds`."""
    run = _running.get()
    if run is None:
        return EffectIds(None)
    run.calls += 1
    return EffectIds(f"{run.key}\x1f{run.calls}")


def _mark_done(job: Job, result: object) -> bool:
    """Mark the job done with the handler's result, if it is still this run's: pending, with the
    attempt count this run's claim wrote. False when another worker has claimed it since."""
    return bool(Job.objects.filter(pk=job.pk, status=Job.Status.PENDING, attempts=job.attempts).update(
        status=Job.Status.DONE, done_at=timezone.now(), result=result if isinstance(result, dict) else {}))


def _run(job: Job) -> None:
    handler = HANDLERS.get(job.kind)
    options = OPTIONS.get(job.kind, HandlerOptions())
    error = ""
    token = _running.set(_Running(key=f"{job.pk}\x1f{job.created_at.isoformat()}"))
    try:
        if handler is None:
            raise LookupError(f"no handler for job kind {job.kind!r}")
        if options.atomic:
            with transaction.atomic():  # the handler's writes and the done mark: one commit
                if not _mark_done(job, handler(job.payload)):
                    raise LeaseLost
        else:
            result = handler(job.payload)  # it committed its own writes
            with transaction.atomic():
                if not _mark_done(job, result):
                    raise LeaseLost
        return
    except LeaseLost:
        log.warning("job %s %s: its lease ran out and another worker claimed it; this run's outcome is dropped",
                    job.pk, job.kind)
        return
    except Exception as exc:  # noqa: BLE001 — any failure is retried with back-off
        error = redact(f"{type(exc).__name__}: {exc}")[:2000]
    finally:
        _running.reset(token)
    with transaction.atomic():
        final = job.attempts >= (options.max_attempts or settings.SANSHI_JOB_MAX_ATTEMPTS)
        mine = Job.objects.filter(pk=job.pk, status=Job.Status.PENDING, attempts=job.attempts)
        if not mine.update(last_error=error, status=Job.Status.FAILED if final else Job.Status.PENDING,
                           run_at=job.run_at if final else timezone.now() + backoff(job.attempts)):
            log.warning("job %s %s failed after its lease ran out; another worker has it", job.pk, job.kind)
            return
        log.warning("job %s %s failed (attempt %s%s): %s", job.pk, job.kind, job.attempts,
                    ", giving up" if final else "", error)
        if options.on_failure is not None:
            try:
                with transaction.atomic():
                    options.on_failure(job.payload, error=error, final=final)
            except Exception:  # the job's own record must still be written
                log.exception("on_failure of job %s failed", job.pk)


def run_due_jobs(limit: int = 50, *, kinds: Collection[str] | None = None, exclude: Collection[str] = ()) -> int:
    """Run up to `limit` due jobs (of `kinds` when given, none of `exclude`), one at a time, and
    start no new one after SANSHI_JOB_BATCH_SECONDS — so the worker gets back to its clock sweeps
    even when a receiver is slow; return how many were attempted."""
    attempted = 0
    started = time.monotonic()
    while attempted < limit and time.monotonic() - started < settings.SANSHI_JOB_BATCH_SECONDS:
        job = _claim(kinds, exclude)
        if job is None:
            break
        attempted += 1
        _run(job)
    return attempted
