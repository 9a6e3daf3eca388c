"""Reads of the audit trail: the chain check used by `sanshi audit verify`, and lists."""

from collections.abc import Callable
from dataclasses import dataclass, field

from .models import GENESIS_HASH, AuditEntry
from .services import ANCHOR_TYPE, PURGE_EVENT


@dataclass(frozen=True)
class Problem:
    kind: str  # altered | deleted | inserted | unanchored | head
    message: str
    entry_id: int | None = None
    seq: int | None = None

    def __str__(self) -> str:
        where = f"id {self.entry_id} (seq {self.seq})" if self.entry_id is not None else f"seq {self.seq}"
        return f"{where}: {self.kind} — {self.message}"


@dataclass
class ChainReport:
    checked: int = 0
    first_seq: int | None = None
    head_seq: int | None = None
    head_hash: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_chain_verify(*, head: tuple[int, str] | None = None, progress: Callable[[int], None] | None = None,
                       progress_every: int = 10_000, chunk_size: int = 2_000) -> ChainReport:
    """Walk the chain in seq order and name every row that was changed, deleted or inserted.

    - changed: the stored hash is not the hash of the row's fields (a field or the hash was edited);
    - deleted: a gap in seq (rows in the middle), or a chain that starts after seq 1 without an
      `audit.purge` checkpoint naming its first row (rows at the start);
    - inserted: a row whose prev_hash is not the previous row's hash, or whose seq is out of range.
    Rows cut from the end leave no trace in the chain itself: pass `head` (a seq and hash noted
    earlier, e.g. printed by a previous verify) to check that that row is still there unchanged."""
    report = ChainReport()
    anchors: set[str] = set()
    first = prev = None
    prev_hashes: tuple[str, str] = ("", "")
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=chunk_size):
        report.checked += 1
        if progress and report.checked % progress_every == 0:
            progress(report.checked)
        recomputed = entry.compute_hash()
        intact = recomputed == entry.hash
        if not intact:
            report.problems.append(Problem("altered", "the stored hash does not match the row's fields: "
                                           "a field or the hash was changed, or the row was forged",
                                           entry.pk, entry.seq))
        if entry.seq < 1:
            report.problems.append(Problem("inserted", "seq out of range", entry.pk, entry.seq))
            continue
        if prev is None:
            first = entry
        elif entry.seq > prev.seq + 1:
            missing = (f"seq {prev.seq + 1}" if entry.seq == prev.seq + 2
                       else f"seq {prev.seq + 1}–{entry.seq - 1}")
            report.problems.append(Problem(
                "deleted", f"{missing} missing: {entry.seq - prev.seq - 1} row(s) deleted between "
                           f"id {prev.pk} (seq {prev.seq}) and id {entry.pk} (seq {entry.seq})",
                None, prev.seq + 1))
        elif entry.prev_hash not in prev_hashes:
            report.problems.append(Problem(
                "inserted", f"prev_hash is not the hash of the row before it (id {prev.pk}, seq {prev.seq}): "
                            "inserted or forged row", entry.pk, entry.seq))
        if intact and entry.event == PURGE_EVENT and entry.obj_type == ANCHOR_TYPE:
            anchors.add(entry.obj_id)
        prev, prev_hashes = entry, (entry.hash, recomputed)
    if first is not None:
        report.first_seq = first.seq
        genesis = first.seq == 1 and first.prev_hash == GENESIS_HASH
        if not genesis and str(first.seq) not in anchors:
            report.problems.append(Problem(
                "unanchored", f"the chain starts at seq {first.seq} but no audit.purge checkpoint names "
                              "it as the first kept row: rows before it were deleted", first.pk, first.seq))
    if prev is not None:
        report.head_seq, report.head_hash = prev.seq, prev.hash
    if head is not None:
        seq, expected = head
        row = AuditEntry.objects.filter(seq=seq).first()
        if row is None or row.hash != expected:
            report.problems.append(Problem(
                "head", "the row noted as head earlier is " + ("gone: rows at the end were deleted"
                                                               if row is None else "different"),
                row.pk if row else None, seq))
    return report
