import logging
import multiprocessing
import signal
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connection, transaction
from django.urls import get_resolver
from django.utils import timezone

from sanshi.audit.services import audit_seal, sealing_inline
from sanshi.core.jobs import enqueue, job_handler, run_due_jobs, slow_kinds
from sanshi.core.models import Job
from sanshi.rapid.services import clocks_sweep
from sanshi.supervision.services import supervision_sweep
from sanshi.triage.training import triage_retrain_schedule

log = logging.getLogger("sanshi.worker")
AUDIT_SEAL_BATCH = 5000
ANONYMISE_JOB = "personal_data.anonymise"
ANONYMISE_EVERY = timedelta(hours=1)
RETRAIN_CHECK_SECONDS = 60  # how often the nightly retraining rule is looked at


@job_handler(ANONYMISE_JOB)
def anonymise_closed(payload: dict) -> None:
    """Erase reporters' contacts on long-closed cases, then book the next run an hour later."""
    from sanshi.intake.services import requests_anonymise_closed

    requests_anonymise_closed()
    enqueue(ANONYMISE_JOB, {}, run_at=timezone.now() + ANONYMISE_EVERY)


def schedule_periodic() -> None:
    """Keep one pending anonymisation job in the job table. The table remembers the next run, so a
    restarted worker does not run it again before the hour is up."""
    with transaction.atomic():
        if not Job.objects.filter(kind=ANONYMISE_JOB, status=Job.Status.PENDING).exists():
            enqueue(ANONYMISE_JOB, {})


def slow_jobs_forever(stopping) -> None:
    """The slow-jobs thread: the nightly retraining rule once a minute, and the slow jobs (a triage
    model retraining takes minutes) — never in the main loop, which sends the notifications."""
    kinds, checked = slow_kinds(), float("-inf")
    try:
        while not stopping():
            try:
                if time.monotonic() - checked >= RETRAIN_CHECK_SECONDS:
                    checked = time.monotonic()
                    triage_retrain_schedule()
                if not run_due_jobs(1, kinds=kinds):
                    time.sleep(settings.SANSHI_WORKER_POLL_SECONDS)
            except Exception:  # noqa: BLE001 — a failed round is retried, never fatal
                log.exception("slow-jobs round failed; retrying")
                close_old_connections()
                time.sleep(settings.SANSHI_WORKER_POLL_SECONDS)
    finally:
        connection.close()


def sweep_once() -> tuple[int, int, int]:
    """One round of the sweeps: overdue clocks → breach + notification job; case deadlines, the
    ledger ladder (挂账督办) and overdue 回访; the audit journal onto the hash chain."""
    breached = clocks_sweep()
    supervised = supervision_sweep()
    sealed = 0 if sealing_inline() else audit_seal(limit=AUDIT_SEAL_BATCH)
    return breached, supervised, sealed


def sweep_forever(stopping) -> None:
    """The sweeper thread: a round, then a pause of one poll interval when it found nothing."""
    try:
        while not stopping():
            try:
                breached, supervised, sealed = sweep_once()
                # straight on only while there is a backlog: clocks or deadlines acted on, or a full
                # batch of audit rows; a trickle of audit rows waits for the next poll (a busy
                # intake writes one per request, and sealing them one by one would cost more CPU
                # than the requests themselves)
                if not (breached or supervised or sealed >= AUDIT_SEAL_BATCH):
                    time.sleep(settings.SANSHI_WORKER_POLL_SECONDS)
            except Exception:  # noqa: BLE001 — a failed round (a lost connection) is retried, never fatal
                log.exception("sweep round failed; retrying")
                close_old_connections()
                time.sleep(settings.SANSHI_WORKER_POLL_SECONDS)
    finally:
        connection.close()


class Command(BaseCommand):
    help = ("Run the background worker: due jobs (notifications, feedback, hourly anonymisation), clocks, "
            "and the nightly triage retraining.")

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
            breached, supervised, sealed = sweep_once()
            triage_retrain_schedule()
            ran = run_due_jobs()
            sealed += 0 if sealing_inline() else audit_seal()
            self.stdout.write(f"ran {ran} job(s)")
            self.stdout.write(f"breached {breached} clock(s)")
            self.stdout.write(f"sealed {sealed} audit row(s)")
            return
        # The clocks have their own thread: a slow job (an SMTP server, a webhook that takes its
        # time) never holds up a sweep, so a clock that falls due is acted on within about one poll.
        sweeper = threading.Thread(target=sweep_forever, args=(lambda: stopping,), name="sweeper", daemon=True)
        sweeper.start()
        slow = threading.Thread(target=slow_jobs_forever, args=(lambda: stopping,), name="slow-jobs", daemon=True)
        slow.start()
        slow_ones = slow_kinds()
        self.stdout.write("sanshi worker 已启动（Ctrl-C 停止）")
        self.stdout.flush()
        while not stopping:
            schedule_periodic()
            if not run_due_jobs(exclude=slow_ones):
                time.sleep(settings.SANSHI_WORKER_POLL_SECONDS)
        sweeper.join(30)
        slow.join(5)
        if slow.is_alive():  # a training run under way: stop its child process rather than wait a
            for child in multiprocessing.active_children():  # minute for it; the run is tried again
                child.terminate()
            slow.join(10)
        self.stdout.write("sanshi worker 已停止")
