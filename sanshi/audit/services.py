"""Every write to the audit trail. Rows end on one hash chain: each row's hash covers its fields and
the previous row's hash, and chaining is serialised so concurrent writers keep a single unbroken
chain (PostgreSQL: a transaction-scoped advisory lock; SQLite: its single-writer lock).

An act writes its row to the journal in its own transaction (so the row commits or rolls back with
the act). Sealing moves journal rows onto the chain: *inline* — in the act's transaction, under the
chain's lock (SQLite's default: it has one writer anyway) — or *deferred* — by the worker within
about a second, so that acts never queue behind the chain's lock and its commit (PostgreSQL's
default; measured: with the lock held to commit, every audited transaction in the system waited
for the one before it to reach the disk). `SANSHI_AUDIT_SEALING` chooses; docs/audit.md.

On PostgreSQL rows leave the audit tables only through two functions that run with the owner role's
rights (migration 0007): `sanshi_audit_seal()` and `sanshi_audit_purge()`; the run-time role has no
UPDATE, DELETE or TRUNCATE on them (`sanshi db-roles`). After each seal and purge the chain's head is
anchored outside the database (`anchor`), once the transaction has committed."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from sanshi.core.errors import NotPermitted

from . import anchor
from .context import RequestContext, request_context
from .models import GENESIS_HASH, AuditEntry, AuditJournal, Outcome

log = logging.getLogger("sanshi.audit")

AUDIT_LOCK_KEY = 0x5A_4E_53_48_41  # pg_advisory_xact_lock key of the audit chain
MIN_RETENTION_DAYS = 184  # 等保 2.0: keep audit records at least six months
PURGE_EVENT = "audit.purge"
AUDIT_SEAL_BATCH = 5000  # rows the worker seals per round
ANCHOR_TYPE = "audit_chain"


@dataclass(frozen=True)
class _Pending:
    at: datetime
    fields: dict


def sealing_inline() -> bool:
    mode = settings.SANSHI_AUDIT_SEALING
    if mode == "auto":
        return connection.vendor != "postgresql"
    return mode == "inline"


def audit_lock() -> None:
    """For acts: with inline sealing, take the chain's lock until the current transaction ends.
    `transition()` calls this before it locks the case row, so that every transaction takes the
    audit lock before any case row lock (a transaction that moves two cases would otherwise
    deadlock against a single move). With deferred sealing acts never take the chain's lock."""
    if sealing_inline():
        _chain_lock()


def _chain_lock() -> None:
    if connection.vendor != "postgresql":
        return  # SQLite: BEGIN IMMEDIATE already holds the database's only write lock
    if not connection.in_atomic_block:
        raise RuntimeError("the audit chain's lock must be taken inside transaction.atomic()")
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_LOCK_KEY])


def _last_entry() -> AuditEntry | None:
    qs = AuditEntry.objects.order_by("-seq").only("seq", "hash")
    if connection.vendor != "postgresql" and connection.features.has_select_for_update:
        qs = qs.select_for_update()  # other backends: lock the head row (SQLite ignores this)
    return qs.first()


def _actor_fields(actor) -> dict:
    if getattr(actor, "is_authenticated", False):
        return {"actor_id": actor.pk, "actor_username": actor.get_username()}
    return {"actor_id": None, "actor_username": ""}


def _clean(fields: dict) -> dict:
    """Trim each text to its column so the row hashes the same on every database."""
    out = dict(fields)
    for name, value in fields.items():
        if isinstance(value, str):
            out[name] = value[: getattr(AuditEntry._meta.get_field(name), "max_length", None)]
    return out


def _row(*, at: datetime | None = None, **fields) -> AuditEntry | AuditJournal:
    """The row to write, unsaved: a journal row, or with inline sealing on the chained entry (which
    takes the chain's lock: inside the caller's transaction)."""
    row = AuditJournal(at=at or timezone.now(), **_clean(fields))
    if not sealing_inline():
        return row
    _chain_lock()
    last = _last_entry()
    return _chained(row, last.seq if last else 0, last.hash if last else GENESIS_HASH)


def _append(*, at: datetime | None = None, **fields) -> AuditEntry | AuditJournal:
    """Write one row: to the journal, and with inline sealing on to the chain at once (then the
    chained row is returned)."""
    if not sealing_inline():
        row = _row(at=at, **fields)
        row.save(force_insert=True)
        return row
    with transaction.atomic(savepoint=False):
        entry = _row(at=at, **fields)
        entry.save(force_insert=True)
    return entry


def _chained(row: AuditJournal, prev_seq: int, prev_hash: str) -> AuditEntry:
    entry = AuditEntry(seq=prev_seq + 1, prev_hash=prev_hash, **{f: getattr(row, f) for f in AuditJournal.FIELDS})
    entry.hash = entry.compute_hash()
    return entry


def audit_seal(*, limit: int = 5000) -> int:
    """Move up to `limit` journal rows onto the chain, oldest first, in one transaction under the
    chain's lock; return how many. Safe from several workers at once (the lock) and after a crash
    (rows leave the journal in the transaction that chains them). On PostgreSQL the journal rows are
    removed by `sanshi_audit_seal()`, which first checks they are now the chain's newest rows, hashed
    and chained (one call per batch). Once committed, the new head is anchored."""
    with transaction.atomic():
        _chain_lock()
        rows = list(AuditJournal.objects.order_by("id")[:limit])
        if not rows:
            return 0
        last = _last_entry()
        seq, prev = (last.seq, last.hash) if last else (0, GENESIS_HASH)
        entries = []
        for row in rows:
            entry = _chained(row, seq, prev)
            seq, prev = entry.seq, entry.hash
            entries.append(entry)
        AuditEntry.objects.bulk_create(entries)
        ids = [r.pk for r in rows]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT sanshi_audit_seal(%s::bigint[], %s)", [ids, entries[0].seq])
                (removed,) = cursor.fetchone()
            if removed != len(rows):  # another sealer took them: impossible under the lock
                raise RuntimeError(f"sealed {len(rows)} journal rows but removed {removed}")
        else:
            AuditJournal.objects.filter(pk__in=ids).delete()
        transaction.on_commit(partial(_anchor, kind="seal", seq=seq, hash=prev,
                                      after=(last.seq, last.hash) if last else None))
    return len(rows)


def audit_seal_all() -> int:
    """Seal until the journal is empty (before reading the chain: the audit page, `verify`)."""
    total = 0
    while (n := audit_seal()):
        total += n
    return total


def _fields(*, event, actor, role, node, obj_type, obj_id, outcome, context: RequestContext,
            reason: str = "") -> dict:
    if outcome not in Outcome.values:
        raise ValueError(f"unknown audit outcome {outcome!r}")
    return {"event": event, **_actor_fields(actor), "role": role or "", "node": node or "",
            "obj_type": obj_type or "", "obj_id": str(obj_id or ""), "outcome": outcome,
            "ip": context.ip, "request_id": context.request_id, "reason": (reason or "").strip()}


def audit_record(*, event: str, actor=None, role: str = "", node: str = "", obj_type: str = "",
                 obj_id: str = "", outcome: str = Outcome.OK, reason: str = "") -> AuditEntry | AuditJournal:
    """Append one row in the caller's transaction: it commits or rolls back with the act it records.
    IP and request id come from the current request (AuditContextMiddleware). Never pass personal
    data: `obj_id` is a database id, not a phone, a name or a tracking code; `reason` is why staff
    looked at personal data, as they gave it (covered by the hash chain)."""
    fields = _fields(event=event, actor=actor, role=role, node=node, obj_type=obj_type, obj_id=obj_id,
                     outcome=outcome, context=request_context(), reason=reason)
    return _append(**fields)


def audit_row(*, event: str, actor=None, role: str = "", node: str = "", obj_type: str = "",
              obj_id: str = "", outcome: str = Outcome.OK) -> AuditEntry | AuditJournal:
    """The row `audit_record` would write, unsaved, for a caller that writes it together with the
    act's own rows. With inline sealing it is the chained entry
    and the chain's lock is taken: then call inside the act's transaction."""
    return _row(**_fields(event=event, actor=actor, role=role, node=node, obj_type=obj_type, obj_id=obj_id,
                          outcome=outcome, context=request_context()))


def audit_refusal(*, event: str, actor=None, role: str = "", node: str = "", obj_type: str = "",
                  obj_id: str = "", outcome: str = Outcome.DENIED) -> None:
    """Record a refusal or a failure, which must survive a rollback of the transaction it happened
    in (e.g. a failed sign-in inside the token service's transaction). During a request the row is
    written by the middleware once the view has finished; outside a request it is written now."""
    context = request_context()
    fields = _fields(event=event, actor=actor, role=role, node=node, obj_type=obj_type, obj_id=obj_id,
                     outcome=outcome, context=context)
    if context.in_request:
        context.pending.append(_Pending(at=timezone.now(), fields=fields))
    else:
        _append(**fields)


def flush_pending(context: RequestContext) -> int:
    """Write the refusals noted during a request (called by the middleware)."""
    written = 0
    while context.pending:
        item = context.pending.pop(0)
        _append(at=item.at, **item.fields)
        written += 1
    return written


def audit_denied(request, obj_type: str = "", obj_id: str = "") -> None:
    """Record `access.denied` for a refused page or API call (403, or 404 for out of scope). Without
    an object, it is taken from the URL's `<name>_id` parameter (never other URL parts, which may
    hold a tracking code)."""
    if not obj_type:
        match = getattr(request, "resolver_match", None)
        for key, value in ((match.kwargs if match else None) or {}).items():
            if key.endswith("_id"):
                obj_type, obj_id = key[:-3], str(value)
                break
    actor = getattr(request, "auth", None) or getattr(request, "user", None)
    audit_refusal(event="access.denied", actor=actor, obj_type=obj_type, obj_id=obj_id, outcome=Outcome.DENIED)


def audit_if_denied(request, exc: Exception, obj_type: str, obj_id: object = "") -> None:
    """For the pages that answer a refused act with a message (and a redirect or the form again)
    rather than a 403: record the same `access.denied` row when the refusal is NotPermitted (the
    user may not take the act); bad input and a wrong state are no denial."""
    if isinstance(exc, NotPermitted):
        audit_denied(request, obj_type, str(obj_id or ""))


# --- sign-in (Django's signals; connected in apps.py) ------------------------------------------

def on_user_logged_in(sender, request=None, user=None, **kwargs) -> None:
    audit_record(event="auth.login", actor=user, obj_type="user", obj_id=str(user.pk))


def on_user_logged_out(sender, request=None, user=None, **kwargs) -> None:
    if user is not None:
        audit_record(event="auth.logout", actor=user, obj_type="user", obj_id=str(user.pk))


def on_user_login_failed(sender, credentials=None, request=None, **kwargs) -> None:
    """The attempted username is kept only as the id of an existing account: a mistyped name may
    be a phone number or a password typed into the wrong box."""
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    username = (credentials or {}).get(user_model.USERNAME_FIELD)
    account = None
    if isinstance(username, str) and username:
        account = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
    audit_refusal(event="auth.login_failed", obj_type="user" if account else "",
                  obj_id=str(account.pk) if account else "", outcome=Outcome.FAILED)


# --- retention -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class PurgeResult:
    deleted: int
    first_seq: int
    checkpoint: AuditEntry


def audit_purge(*, days: int) -> PurgeResult:
    """Delete the rows older than `days` (at least MIN_RETENTION_DAYS) from the head of the chain and
    append an `audit.purge` checkpoint naming the first kept row's seq, which `verify` accepts as
    the chain's new start. On PostgreSQL `sanshi_audit_purge()` does it all, with the database's clock
    and its own refusal of fewer days: the run-time role cannot delete otherwise. Once committed, the
    checkpoint is anchored."""
    if days < MIN_RETENTION_DAYS:
        raise ValueError(f"audit records must be kept at least {MIN_RETENTION_DAYS} days (got {days})")
    audit_seal_all()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT deleted, first_seq, checkpoint_id FROM sanshi_audit_purge(%s)", [days])
                deleted, first_seq, checkpoint_id = cursor.fetchone()
            checkpoint = AuditEntry.objects.get(pk=checkpoint_id)
        else:
            deleted, first_seq, checkpoint = _purge_here(days=days)
        transaction.on_commit(partial(_anchor, kind="purge", seq=checkpoint.seq, hash=checkpoint.hash,
                                      after=(checkpoint.seq - 1, checkpoint.prev_hash)))
    return PurgeResult(deleted=deleted, first_seq=first_seq, checkpoint=checkpoint)


def _purge_here(*, days: int) -> tuple[int, int, AuditEntry]:
    """SQLite: what `sanshi_audit_purge()` does on PostgreSQL, in the caller's transaction."""
    cutoff = timezone.now() - timedelta(days=days)
    _chain_lock()
    last = _last_entry()
    young = AuditEntry.objects.filter(at__gte=cutoff).order_by("seq").values_list("seq", flat=True).first()
    # delete a contiguous prefix: every row before the first young one (all of them are old)
    first_seq = young if young is not None else (last.seq + 1 if last else 1)
    # the checkpoint goes on the chain now, whatever the sealing mode: it names the new start
    journal = AuditJournal(at=timezone.now(), **_clean(_fields(
        event=PURGE_EVENT, actor=None, role="", node="", obj_type=ANCHOR_TYPE, obj_id=str(first_seq),
        outcome=Outcome.OK, context=request_context())))
    checkpoint = _chained(journal, last.seq if last else 0, last.hash if last else GENESIS_HASH)
    checkpoint.save(force_insert=True)
    deleted, _ = AuditEntry.objects.filter(seq__lt=first_seq).delete()
    return deleted, first_seq, checkpoint


# --- the head, anchored outside the database (anchor.py) -----------------------------------------

_reported: set[tuple[str, int, str]] = set()  # broken anchors already logged by this process


def audit_anchor_sweep() -> int:
    """Inline sealing (no seal rounds): anchor the chain's head when it has moved since the newest
    anchor. The worker calls this every round; it returns 0 (not work that calls for another round)."""
    head = AuditEntry.objects.order_by("-seq").only("seq", "hash").first()
    if head is not None:
        _anchor(kind="seal", seq=head.seq, hash=head.hash)
    return 0


def _anchor(*, kind: str, seq: int, hash: str, after: tuple[int, str] | None = None) -> anchor.Anchor | None:
    """Append an anchor for the head (seq, hash), unless the newest anchor is already there or further,
    or is no longer on the chain: then the rows it anchored were deleted or rewritten since, and a new
    anchor would hide it from `verify` — nothing is written and the error is logged. `after` is the head
    the new rows were chained onto, read under the chain's lock: when it is the newest anchor (one
    sealer, the usual case) the chain needs no look-up."""
    try:
        trusted = anchor.newest().trusted
        if trusted is not None and (trusted.seq, trusted.hash) != after:
            if (trusted.seq, trusted.hash) == (seq, hash):
                return None
            if not _still_on_chain(trusted):
                key = (trusted.db, trusted.seq, trusted.hash)
                if key not in _reported:
                    _reported.add(key)
                    log.error("audit anchor not advanced: the chain no longer holds the anchored head %s "
                              "(rows deleted or rewritten since); run `sanshi audit verify`", trusted)
                return None
            if trusted.seq >= seq:
                return None  # another sealer anchored a newer head already
        written = anchor.signed(kind=kind, seq=seq, hash=hash)
        anchor.append(written)
        return written
    except (OSError, DatabaseError) as exc:
        log.error("audit anchor not written for seq %s: %s", seq, exc)
        return None


def _still_on_chain(anchored: anchor.Anchor) -> bool:
    """The anchored row is there with the anchored hash, or it was purged with all rows before it."""
    found = AuditEntry.objects.filter(seq=anchored.seq).values_list("hash", flat=True).first()
    if found is not None:
        return found == anchored.hash
    return not AuditEntry.objects.filter(seq__lt=anchored.seq).exists() and \
        AuditEntry.objects.filter(seq__gt=anchored.seq).exists()
