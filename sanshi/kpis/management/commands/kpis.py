import time

from django.core.management.base import BaseCommand, CommandError

from sanshi.kpis.services import kpis_check, kpis_rebuild, kpis_refresh


class Command(BaseCommand):
    help = ("The dashboard's figures (docs/kpis.md): `rebuild` derives the whole cache again from the case events; "
            "`refresh` reads the events the worker has not read yet (what its sweep does); `check` compares the "
            "last days' sums with the facts.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        rebuild = sub.add_parser("rebuild", help="throw the cache away and derive it again from the events")
        rebuild.add_argument("--batch", type=int, default=5000, help="case ids per batch (default 5000)")
        sub.add_parser("refresh", help="read the new case events now, until none is left")
        check = sub.add_parser("check", help="compare the last days' sums with what the facts sum to (reads only)")
        check.add_argument("--days", type=int, default=31, help="how many days back from today (default 31)")

    def handle(self, *args, subcommand: str, **options):
        started = time.monotonic()
        if subcommand == "rebuild":
            result = kpis_rebuild(batch=max(1, options["batch"]), progress=lambda line: self.stdout.write(
                f"[{time.monotonic() - started:7.1f}s] {line}"))
            self.stdout.write(f"rebuilt in {time.monotonic() - started:.1f}s: {result['facts']} cases counted, "
                              f"{result['day_rows']} day rows over {result['days']} days, "
                              f"events up to id {result['last_event']}")
            return
        if subcommand == "check":
            check = kpis_check(days=options["days"])
            for line in check.differ[:50]:
                self.stdout.write(f"differs: {line}")
            if check.differ:
                raise CommandError(f"{len(check.differ)} of {check.compared} rows differ from the facts: "
                                   "run `sanshi kpis rebuild`")
            self.stdout.write(f"checked {check.compared} rows in {time.monotonic() - started:.1f}s: "
                              "all equal to the facts' sums")
            return
        read = 0
        while n := kpis_refresh():
            read += n
        self.stdout.write(f"refreshed: {read} case event(s) read in {time.monotonic() - started:.1f}s")
