import signal
import time

from django.conf import settings
from django.core.management.base import BaseCommand

from sanshi.core.jobs import run_due_jobs


class Command(BaseCommand):
    help = "Run the background worker: due jobs (notifications, feedback) and clocks."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run due work once and exit")

    def handle(self, *args, once=False, **options):

        stopping = False

        def stop(*_):
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write("sanshi worker 已启动（Ctrl-C 停止）")
        while not stopping:
            ran = run_due_jobs()
            if once:
                self.stdout.write(f"ran {ran} job(s)")
                return
            if not ran:
                time.sleep(settings.SANSHI_WORKER_POLL_SECONDS)
        self.stdout.write("sanshi worker 已停止")
