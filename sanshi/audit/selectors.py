"""Reads of the audit trail: the chain check used by `sanshi audit verify`, and lists."""

from collections.abc import Callable
from dataclasses import dataclass, field

from .anchor import Anchor, NewestAnchor
from .models import GENESIS_HASH, AuditEntry
from .services import ANCHOR_TYPE, PURGE_EVENT


@dataclass(frozen=True)
class Problem:
    kind: str  # altered | deleted | inserted | unanchored | head | truncated | rehashed | signature
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
    anchor: Anchor | None = None  # the anchor the chain was checked against
    anchor_note: str = ""  # what became of the anchor check, for the command to print

    @property
    def ok(self) -> bool:
        return not self.problems


def audit_chain_verify(*, head: tuple[int, str] | None = None, anchors: NewestAnchor | None = None,
                       progress: Callable[[int], None] | None = None, progress_every: int = 10_000,
                       chunk_size: int = 2_000) -> ChainReport:
    """Walk the chain in seq order and name every row that was changed, deleted or inserted.

    - changed: the stored hash is not the hash of the row's fields (a field or the hash was edited);
    - deleted: a gap in seq (rows in the middle), or a chain that starts after seq 1 without an
      `audit.purge` checkpoint naming its first row (rows at the start);
    - inserted: a row whose prev_hash is not the previous row's hash, or whose seq is out of range.
    Rows cut from the end, and a chain rewritten and re-hashed from some row on, leave no trace in the
    chain itself: pass `anchors` (what the anchor file says, `anchor.newest()`) to check the chain
    against the newest anchor written outside the database, or `head` (a seq and hash noted earlier,
    e.g. printed by a previous verify) to check that that row is still there unchanged."""
    report = ChainReport()
    anchored = anchors.trusted if anchors is not None else None
    anchored_hash: str | None = None  # the hash of the row at the anchor's seq, met on the walk
    checkpoints: set[str] = set()  # first kept seqs named by intact audit.purge rows
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
        if anchored is not None and entry.seq == anchored.seq:
            anchored_hash = entry.hash
        if intact and entry.event == PURGE_EVENT and entry.obj_type == ANCHOR_TYPE:
            checkpoints.add(entry.obj_id)
        prev, prev_hashes = entry, (entry.hash, recomputed)
    if first is not None:
        report.first_seq = first.seq
        genesis = first.seq == 1 and first.prev_hash == GENESIS_HASH
        if not genesis and str(first.seq) not in checkpoints:
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
    if anchors is not None:
        _check_anchor(report, anchors, anchored_hash)
    return report


def _check_anchor(report: ChainReport, anchors: NewestAnchor, anchored_hash: str | None) -> None:
    """The chain against the newest anchor whose signature is good: the chain must reach its seq, and
    the row there must have its hash (unless purged since, the chain's start then being checked above)."""
    if anchors.newest is None:
        report.anchor_note = "no anchor yet: the chain's head has not been anchored outside the database"
        return
    if not anchors.newest_signature_ok:
        report.problems.append(Problem(
            "signature", f"the newest anchor ({anchors.newest}) does not carry a valid signature: the anchor "
                         "file was edited or the line forged, or it was signed with another SANSHI_AUDIT_ANCHOR_KEY",
            None, anchors.newest.seq))
    anchored = report.anchor = anchors.trusted
    if anchored is None:
        report.anchor_note = "no anchor with a valid signature"
        return
    head = report.head_seq or 0
    if head < anchored.seq:
        cut = f"seq {head + 1}–{anchored.seq}" if head + 1 < anchored.seq else f"seq {anchored.seq}"
        report.problems.append(Problem(
            "truncated", f"the chain ends at seq {head} but the anchor of {anchored.at} ({anchored.kind}) names "
                         f"seq {anchored.seq}: the newest rows ({cut}) were deleted", None, anchored.seq))
        report.anchor_note = f"anchor {anchored}: the chain does not reach it"
    elif anchored_hash is not None and anchored_hash != anchored.hash:
        report.problems.append(Problem(
            "rehashed", f"the row at seq {anchored.seq} has hash {anchored_hash[:12]}…, the anchor of {anchored.at} "
                        f"({anchored.kind}) says {anchored.hash[:12]}…: the chain was rewritten and re-hashed "
                        "up to there", None, anchored.seq))
        report.anchor_note = f"anchor {anchored}: the chain holds another row there"
    elif anchored_hash is None:  # a missing row inside the chain is named as deleted above
        report.anchor_note = f"anchor {anchored}: its row is not on the chain (purged, or deleted: see above)"
    else:
        report.anchor_note = f"anchor {anchored}: the chain holds it"
