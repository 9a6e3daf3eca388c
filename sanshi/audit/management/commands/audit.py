import re
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sanshi.audit import anchor
from sanshi.audit.selectors import audit_chain_verify
from sanshi.audit.services import MIN_RETENTION_DAYS, audit_purge, audit_seal_all

HEAD_RE = re.compile(r"^(\d+):([0-9a-f]{64})$")


class Command(BaseCommand):
    help = "The audit trail: `verify` checks the hash chain, `purge --days N` removes old rows."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        verify = sub.add_parser("verify", help="check every row of the chain; exit 1 naming each broken row")
        verify.add_argument("--head", default="", help="SEQ:HASH of a head noted earlier: check it is still there")
        verify.add_argument("--progress-every", type=int, default=10_000, help="print progress every N rows")
        verify.add_argument("--anchor-file", default="",
                            help="check against this anchor file (a copy kept off the server) instead of "
                                 "SANSHI_AUDIT_ANCHOR_FILE")
        purge = sub.add_parser("purge", help=f"delete rows older than N days (N ≥ {MIN_RETENTION_DAYS})")
        purge.add_argument("--days", type=int, required=True)

    def handle(self, *args, subcommand: str, **options):
        if subcommand == "verify":
            return self.verify(head=options["head"], every=options["progress_every"],
                               anchor_file=options["anchor_file"])
        return self.purge(days=options["days"])

    def verify(self, *, head: str, every: int, anchor_file: str = "") -> None:
        expected = None
        if head:
            match = HEAD_RE.match(head.strip())
            if match is None:
                raise CommandError("--head must be SEQ:HASH (the hash as 64 hex digits)")
            expected = (int(match.group(1)), match.group(2))
        if sealed := audit_seal_all():
            self.stdout.write(f"sealed {sealed} journal row(s) onto the chain first")
        path = Path(anchor_file) if anchor_file else anchor.anchor_path()
        report = audit_chain_verify(head=expected, anchors=anchor.newest(path=path), progress_every=max(1, every),
                                    progress=lambda n: self.stdout.write(f"… {n} rows checked"))
        for problem in report.problems:
            self.stdout.write(str(problem))
        self.stdout.write(f"{report.anchor_note} ({path})")
        if not report.ok:
            raise CommandError(f"audit chain broken: {len(report.problems)} problem(s) in {report.checked} rows")
        if report.checked == 0:
            self.stdout.write("audit chain empty")
            return
        self.stdout.write(f"audit chain intact: {report.checked} rows, seq {report.first_seq}–{report.head_seq}; "
                          f"head {report.head_seq}:{report.head_hash}")

    def purge(self, *, days: int) -> None:
        if days < MIN_RETENTION_DAYS:
            raise CommandError(f"refused: audit records must be kept at least {MIN_RETENTION_DAYS} days "
                               f"(等保 2.0 ≥ 6 months); got --days {days}")
        result = audit_purge(days=days)
        self.stdout.write(f"purged {result.deleted} row(s) older than {days} days; the chain now starts at "
                          f"seq {result.first_seq} (checkpoint id {result.checkpoint.pk})")
