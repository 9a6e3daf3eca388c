"""`sanshi worker`: the jobs (notifications, feedback, the hourly anonymisation …) and what the apps
registered with `core.jobs.sweep` (overdue clocks, deadlines and the ledger ladder, audit sealing,
the nightly retraining rule). Three threads, so that nothing slow holds up a clock:

- the sweeper: every registered sweep, a round per poll interval (straight on while a backlog remains);
- the main loop: due jobs (the slow kinds excluded);
- the slow-jobs thread: the slow sweeps at their own intervals and the slow jobs (a retraining).

A failed round (a database error above all: the server restarted, a backend killed, the database
read-only during a fail-over) ends only that round, never the thread or the process: it is logged on
one line (the error's class and first line, redacted: no personal data, no traceback), the thread's
connections are closed, and that loop waits a back-off that doubles from the poll interval up to
SANSHI_WORKER_MAX_BACKOFF_SECONDS. When the connection itself was lost, the wait ends as soon as the
database answers again (a probe each poll interval), so the clocks go on within a poll interval or
two of its return rather than up to a whole back-off later; the first good round logs the recovery.
In the sweeper each registered sweep has its own back-off, so a sweep that keeps failing (a bad row
in the audit journal, say) never holds up the clocks."""

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

from sanshi.core import heartbeat
from sanshi.core.jobs import SWEEPS, run_due_jobs, schedule_recurring, slow_kinds
from sanshi.core.logging import redact

log = logging.getLogger("sanshi.worker")


def _connection_lost() -> bool:
    """After a failed round: was it the connection (none open, or no longer answering) rather than
    a statement the database refused?"""
    try:
        return connection.connection is None or not connection.is_usable()
    except Exception:  # noqa: BLE001 — a connection that cannot even say is lost
        return True


def _database_answers() -> bool:
    """Open a connection if needed and check that it answers; never raises."""
    try:
        connection.ensure_connection()
        if connection.is_usable():
            return True
    except Exception:  # noqa: BLE001, S110 — still down: the caller keeps waiting
        pass
    with contextlib.suppress(Exception):
        connection.close()
    return False


def _close_connections() -> None:
    """Drop this thread's connections; the next round opens new ones. A broken one may fail to close."""
    with contextlib.suppress(Exception):
        close_old_connections()
    with contextlib.suppress(Exception):
        connection.close()


class Backoff:
    """One loop's (or one sweep's) failures: the pause after a failed round is one poll interval,
    doubling up to the maximum, and is cut short when a lost connection comes back; reset by a
    round that went through."""

    def __init__(self, loop: str) -> None:
        self.loop = loop
        self.failures = 0
        self.not_before = 0.0
        self.lost = False
        self.since = 0.0

    def ok(self) -> None:
        if self.failures:
            log.warning("worker %s recovered after %d failed round(s), %.1f s", self.loop, self.failures,
                        time.monotonic() - self.since)
        self.failures, self.not_before, self.lost = 0, 0.0, False

    def failed(self, exc: BaseException) -> float:
        """Log the failure on one line, close the connections and set the pause; never raises."""
        now = time.monotonic()
        if not self.failures:
            self.since = now
        self.failures += 1
        wait = min(settings.SANSHI_WORKER_MAX_BACKOFF_SECONDS,
                   settings.SANSHI_WORKER_POLL_SECONDS * 2 ** min(self.failures - 1, 30))
        try:  # the first line only, redacted: a database error may quote values on the lines after it
            text = str(exc).strip()
            first = redact(text.splitlines()[0] if text else "")[:200]
        except Exception:  # noqa: BLE001
            first = "?"
        self.lost = _connection_lost()
        log.warning("worker %s round failed (%s: %s); retrying in %.1f s%s", self.loop, type(exc).__name__, first,
                    wait, " or when the database answers" if self.lost else "")
        _close_connections()
        self.not_before = now + wait
        return wait

    def due(self) -> bool:
        """Time for the next round: the back-off is over, or the lost connection answers again."""
        if time.monotonic() >= self.not_before:
            return True
        if self.lost and _database_answers():
            self.lost = False
            return True
        return False


def _sleep(seconds: float, stopping: Callable[[], bool]) -> None:
    end = time.monotonic() + seconds
    while not stopping() and time.monotonic() < end:
        time.sleep(min(0.2, max(0.0, end - time.monotonic())))


def _wait_out(backoff: Backoff, stopping: Callable[[], bool]) -> None:
    """Wait until the back-off allows the next round, checking every poll interval."""
    while not stopping() and not backoff.due():
        _sleep(min(settings.SANSHI_WORKER_POLL_SECONDS, max(0.0, backoff.not_before - time.monotonic())), stopping)


def sweep_once(counts: dict[str, int] | None = None) -> bool:
    """One round of the sweeper's registered sweeps; True when one of them has a backlog. `counts`
    collects how many items each acted on. (`sanshi worker --once`: an error ends the command.)"""
    backlog = False
    for sweep in SWEEPS.values():
        if not sweep.slow:
            n = sweep.func() or 0
            if counts is not None:
                counts[sweep.name] = counts.get(sweep.name, 0) + n
            backlog = backlog or n >= sweep.backlog_at
    return backlog


def sweep_forever(stopping: Callable[[], bool]) -> None:
    """The sweeper thread: a round of every sweep not backing off, then a pause of one poll interval
    unless a backlog remains. Each sweep fails and backs off on its own."""
    backoffs: dict[str, Backoff] = {}
    try:
        while not stopping():
            backlog = False
            for sweep in list(SWEEPS.values()):
                if sweep.slow:
                    continue
                backoff = backoffs.setdefault(sweep.name, Backoff(f"sweep {sweep.name}"))
                if not backoff.due():
                    continue
                try:
                    n = sweep.func() or 0
                    backoff.ok()
                    backlog = backlog or n >= sweep.backlog_at
                except Exception as exc:  # noqa: BLE001 — a failed sweep is retried, never fatal
                    backoff.failed(exc)
            heartbeat.beat()  # for /readyz: at most one UPDATE a second
            if not backlog:
                _sleep(settings.SANSHI_WORKER_POLL_SECONDS, stopping)
    finally:
        connection.close()


def slow_jobs_forever(stopping: Callable[[], bool]) -> None:
    """The slow-jobs thread: the slow sweeps at their intervals and the slow jobs (a retraining takes
    minutes) — never in the main loop, which sends the notifications."""
    kinds = slow_kinds()
    last: dict[str, float] = {}
    backoff = Backoff("slow-jobs")
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
                backoff.failed(exc)
                _wait_out(backoff, stopping)
    finally:
        connection.close()


def jobs_forever(stopping: Callable[[], bool]) -> None:
    """The main loop: keep the recurring jobs booked and run the due jobs (not the slow kinds)."""
    slow = slow_kinds()
    backoff = Backoff("jobs")
    while not stopping():
        try:
            schedule_recurring()
            ran = run_due_jobs(exclude=slow)
            backoff.ok()
            if not ran:
                _sleep(settings.SANSHI_WORKER_POLL_SECONDS, stopping)
        except Exception as exc:  # noqa: BLE001
            backoff.failed(exc)
            _wait_out(backoff, stopping)


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
