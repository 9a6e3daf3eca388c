"""`sanshi worker`: the jobs (notifications, feedback, the hourly anonymisation …) and what the apps
registered with `core.jobs.sweep` (overdue clocks, deadlines and the ledger ladder, audit sealing,
the nightly retraining rule). Three threads, so that nothing slow holds up a clock:

- the sweeper: every registered sweep, a round per poll interval (straight on while a backlog remains);
- the main loop: due jobs (the slow kinds excluded);
- the slow-jobs thread: the slow sweeps at their own intervals and the slow jobs (a retraining).

A database error in any loop ends only that round: it is logged on one line (no personal data),
the thread's connections are closed, and the loop tries again after a back-off that doubles up to
SANSHI_WORKER_MAX_BACKOFF_SECONDS; once the database answers again the clocks go on."""

import contextlib
import logging
import multiprocessing
import signal
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection
from django.urls import get_resolver

from sanshi.core.jobs import SWEEPS, run_due_jobs, schedule_recurring, slow_kinds
from sanshi.core.logging import redact

log = logging.getLogger("sanshi.worker")


class Backoff:
    """The pause after a failed round: one poll interval, doubling up to the maximum; reset by a round
    that went through."""

    def __init__(self) -> None:
        self.failures = 0

    def ok(self) -> None:
        self.failures = 0

    def failed(self, loop: str, exc: BaseException) -> float:
        self.failures += 1
        wait = min(settings.SANSHI_WORKER_MAX_BACKOFF_SECONDS,
                   settings.SANSHI_WORKER_POLL_SECONDS * 2 ** (self.failures - 1))
        # one line: the error's class and first line, redacted (a database error may quote values)
        first = redact(str(exc).strip().splitlines()[0] if str(exc).strip() else "")[:200]
        log.warning("worker %s round failed (%s: %s); retrying in %.1f s", loop, type(exc).__name__, first, wait)
        close_old_connections()
        with contextlib.suppress(Exception):  # a broken connection may fail to close; a new one opens next
            connection.close()
        return wait


def _sleep(seconds: float, stopping: Callable[[], bool]) -> None:
    end = time.monotonic() + seconds
    while not stopping() and time.monotonic() < end:
        time.sleep(min(0.2, max(0.0, end - time.monotonic())))


def sweep_once(counts: dict[str, int] | None = None) -> bool:
    """One round of the sweeper's registered sweeps; True when one of them has a backlog. `counts`
    collects how many items each acted on."""
    backlog = False
    for sweep in SWEEPS.values():
        if not sweep.slow:
            n = sweep.func() or 0
            if counts is not None:
                counts[sweep.name] = counts.get(sweep.name, 0) + n
            backlog = backlog or n >= sweep.backlog_at
    return backlog


def sweep_forever(stopping: Callable[[], bool]) -> None:
    """The sweeper thread: a round, then a pause of one poll interval unless a backlog remains."""
    backoff = Backoff()
    try:
        while not stopping():
            try:
                backlog = sweep_once()
                backoff.ok()
                if not backlog:
                    _sleep(settings.SANSHI_WORKER_POLL_SECONDS, stopping)
            except Exception as exc:  # noqa: BLE001 — a failed round is retried, never fatal
                _sleep(backoff.failed("sweeper", exc), stopping)
    finally:
        connection.close()


def slow_jobs_forever(stopping: Callable[[], bool]) -> None:
    """The slow-jobs thread: the slow sweeps at their intervals and the slow jobs (a retraining takes
    minutes) — never in the main loop, which sends the notifications."""
    kinds = slow_kinds()
    last: dict[str, float] = {}
    backoff = Backoff()
    try:
        while not stopping():
            try:
                for sweep in SWEEPS.values():
                    if sweep.slow and time.monotonic() - last.get(sweep.name, float("-inf")) >= sweep.every_seconds:
                        last[sweep.name] = time.monotonic()
                        sweep.func()
                ran = run_due_jobs(1, kinds=kinds) if kinds else 0
                backoff.ok()
                if not ran:
                    _sleep(settings.SANSHI_WORKER_POLL_SECONDS, stopping)
            except Exception as exc:  # noqa: BLE001
                _sleep(backoff.failed("slow-jobs", exc), stopping)
    finally:
        connection.close()


def jobs_forever(stopping: Callable[[], bool]) -> None:
    """The main loop: keep the recurring jobs booked and run the due jobs (not the slow kinds)."""
    slow = slow_kinds()
    backoff = Backoff()
    while not stopping():
        try:
            schedule_recurring()
            ran = run_due_jobs(exclude=slow)
            backoff.ok()
            if not ran:
                _sleep(settings.SANSHI_WORKER_POLL_SECONDS, stopping)
        except Exception as exc:  # noqa: BLE001
            _sleep(backoff.failed("jobs", exc), stopping)


class Command(BaseCommand):
    help = ("Run the background worker: due jobs (notifications, feedback, hourly anonymisation), clocks, "
            "deadlines, audit sealing and the nightly triage retraining.")

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run due work once and exit")

    def handle(self, *args, once=False, **options):
        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        # load the URLconf (and with it every app's API module) now: the first job that builds a
        # link would otherwise pay ~2–4 s of imports and hold up the first clock sweep by as much
        get_resolver().url_patterns  # noqa: B018 — evaluated for its side effect
        if once:  # `--once` runs only what is due, in order (cron can call `sanshi anonymise` itself)
            self.run_once()
            return
        sweeper = threading.Thread(target=sweep_forever, args=(lambda: stopping,), name="sweeper", daemon=True)
        sweeper.start()
        slow = threading.Thread(target=slow_jobs_forever, args=(lambda: stopping,), name="slow-jobs", daemon=True)
        slow.start()
        self.stdout.write("sanshi worker 已启动（Ctrl-C 停止）")
        self.stdout.flush()
        jobs_forever(lambda: stopping)
        sweeper.join(30)
        slow.join(5)
        if slow.is_alive():  # a training run under way: stop its child process rather than wait a
            for child in multiprocessing.active_children():  # minute for it; the run is tried again
                child.terminate()
            slow.join(10)
        self.stdout.write("sanshi worker 已停止")

    def run_once(self) -> None:
        counts: dict[str, int] = {}
        sweep_once(counts)
        for sweep in SWEEPS.values():
            if sweep.slow:
                sweep.func()
        ran = run_due_jobs()
        sweep_once(counts)  # e.g. seal what the jobs wrote
        self.stdout.write(f"ran {ran} job(s)")
        for sweep in SWEEPS.values():
            if sweep.report:
                self.stdout.write(sweep.report.format(n=counts.get(sweep.name, 0)))
