import signal
import time
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import get_resolver
from django.utils import timezone

from sanshi.audit.services import audit_seal, sealing_inline
from sanshi.core.jobs import enqueue, job_handler, run_due_jobs
from sanshi.core.models import Job
from sanshi.rapid.services import clocks_sweep
from sanshi.supervision.services import supervision_sweep

ANONYMISE_JOB = "personal_data.anonymise"
ANONYMISE_EVERY = timedelta(hours=1)


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


class Command(BaseCommand):
    help = "Run the background worker: due jobs (notifications, feedback, hourly anonymisation) and clocks."

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
        self.stdout.write("sanshi worker 已启动（Ctrl-C 停止）")
        while not stopping:
            if not once:  # `--once` runs only what is due (cron can call `sanshi anonymise` itself)
                schedule_periodic()
            breached = clocks_sweep()  # overdue clocks → breach + notification job, run just below
            supervised = supervision_sweep()  # case deadlines, the ledger ladder (挂账督办), overdue 回访
            ran = run_due_jobs()
            sealed = 0 if sealing_inline() else audit_seal()  # journal → hash chain (docs/audit.md)
            if once:
                self.stdout.write(f"ran {ran} job(s)")
                self.stdout.write(f"breached {breached} clock(s)")
                self.stdout.write(f"sealed {sealed} audit row(s)")
                return
            if not ran and not breached and not supervised and not sealed:
                time.sleep(settings.SANSHI_WORKER_POLL_SECONDS)
        self.stdout.write("sanshi worker 已停止")
