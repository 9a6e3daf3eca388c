"""The chain's head, anchored outside the database (docs/audit.md, "Anchor").

Whoever can write to the database can cut rows from the end of the chain, or rewrite rows and
recompute every hash after them, and the chain alone still verifies. So after each seal and purge
the head — its seq and hash — is written where the database cannot reach: one JSON line appended to
SANSHI_AUDIT_ANCHOR_FILE, and the same line logged on logger `sanshi.audit` (ship it off the server),
signed with HMAC-SHA256 under SANSHI_AUDIT_ANCHOR_KEY, a key the database never holds:

    {"at":"2026-12-05T03:47:45.258996Z","db":"postgresql:sanshi","hash":"…","kind":"seal","seq":42,"v":1,"sig":"…"}

`sig` covers every other field of the line (sorted keys, no spaces), so a later kind with fields of
its own — a restore's "restored to head H" (issue 19) — is signed and checked the same way. `db`
names the database the head belongs to: anchors of another database (a test run's) in the same file
are ignored. This module is the file format only; when to anchor is `services`, checking is
`selectors.audit_chain_verify`."""

import base64
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.db import connection

from sanshi.core.logging import redact

log = logging.getLogger("sanshi.audit")

VERSION = 1
KINDS = ("seal", "purge", "restore")
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Anchor:
    kind: str
    db: str
    seq: int
    hash: str
    at: str  # UTC, ISO 8601 with microseconds and Z
    sig: str = ""
    extra: dict = field(default_factory=dict)  # fields a later kind adds (signed too)

    def payload(self) -> dict:
        return {**self.extra, "v": VERSION, "kind": self.kind, "db": self.db, "seq": self.seq, "hash": self.hash,
                "at": self.at}

    def line(self) -> str:
        return json.dumps({**self.payload(), "sig": self.sig}, sort_keys=True, ensure_ascii=False,
                          separators=(",", ":"))

    def signature_ok(self) -> bool:
        return hmac.compare_digest(self.sig, signature(self.payload()))

    def __str__(self) -> str:
        if self.kind == "restore":  # sanshi restore (audit/backup.py): say what the head was restored from
            return (f"seq {self.seq} (restore, {self.at}: restored to this head from the "
                    f"{self.extra.get('method', 'backup')} of {self.extra.get('source', '?')} as of "
                    f"{self.extra.get('backup_at', '?')})")
        return f"seq {self.seq} ({self.kind}, {self.at})"


@dataclass(frozen=True)
class NewestAnchor:
    """What the file says for one database: its newest line, and the newest line whose signature is good
    (the same one, unless the newest was forged, edited or signed with another key)."""

    newest: Anchor | None
    trusted: Anchor | None

    @property
    def newest_signature_ok(self) -> bool:
        return self.newest is not None and self.newest is self.trusted


def signature(payload: dict) -> str:
    message = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
    return hmac.new(settings.SANSHI_AUDIT_ANCHOR_KEY.encode(), message, hashlib.sha256).hexdigest()


def database_label() -> str:
    """Which database a head belongs to: the vendor and the database's name (a path for SQLite)."""
    return f"{connection.vendor}:{connection.settings_dict['NAME']}"


def signed(*, kind: str, seq: int, hash: str, db: str | None = None, at: datetime | None = None,
           extra: dict | None = None) -> Anchor:
    if kind not in KINDS:
        raise ValueError(f"unknown anchor kind {kind!r}")
    stamp = (at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    unsigned = Anchor(kind=kind, db=db or database_label(), seq=seq, hash=hash, at=stamp, extra=dict(extra or {}))
    return replace(unsigned, sig=signature(unsigned.payload()))


def parse(line: str) -> Anchor | None:
    """The anchor on one line, or None when the line is not one (torn by a crash, or not JSON)."""
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    known = ("v", "kind", "db", "seq", "hash", "at", "sig")
    kind, db, seq, hash_, at, sig = (data.get(k) for k in known[1:])
    if not (isinstance(kind, str) and isinstance(db, str) and isinstance(seq, int) and isinstance(hash_, str)
            and isinstance(at, str) and isinstance(sig, str)) or data.get("v") != VERSION:
        return None
    return Anchor(kind=kind, db=db, seq=seq, hash=hash_, at=at, sig=sig,
                  extra={k: v for k, v in data.items() if k not in known})


def anchor_path() -> Path:
    return Path(settings.SANSHI_AUDIT_ANCHOR_FILE)


def _lines_from_end(path: Path) -> Iterator[str]:
    """The file's lines, newest first, reading backwards a chunk at a time (the file grows by a line per
    seal round; verify and the sealer only need its end)."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        return
    with handle:
        handle.seek(0, os.SEEK_END)
        position, rest = handle.tell(), b""
        while position > 0:
            size = min(_CHUNK, position)
            position -= size
            handle.seek(position)
            block = handle.read(size) + rest
            lines = block.split(b"\n")
            rest = lines.pop(0)  # may continue in the chunk before
            for raw in reversed(lines):
                if raw.strip():
                    yield raw.decode("utf-8", errors="replace")
        if rest.strip():
            yield rest.decode("utf-8", errors="replace")


def newest(*, db: str | None = None, path: Path | None = None) -> NewestAnchor:
    """The newest anchor of this database in the file, and the newest one with a good signature."""
    db = db or database_label()
    first: Anchor | None = None
    for line in _lines_from_end(path or anchor_path()):
        anchor = parse(line)
        if anchor is None or anchor.db != db:
            continue
        if first is None:
            first = anchor
        if anchor.signature_ok():
            return NewestAnchor(newest=first, trusted=anchor)
    return NewestAnchor(newest=first, trusted=None)


def append(anchor: Anchor, *, path: Path | None = None) -> None:
    """Append the line (one write, O_APPEND: lines of several sealers do not interleave) and log it."""
    path = path or anchor_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = anchor.line()
    with path.open("ab") as handle:
        # a line torn by a crash must not swallow this one
        torn = handle.tell() > 0 and not _ends_with_newline(path)
        handle.write((("\n" if torn else "") + line + "\n").encode())
    # The log keeps a second copy. The personal-data filter would mask a run of digits inside a hash
    # that looks like a phone number; such a line is logged in base64 so the copy stays checkable.
    if redact(line) == line:
        log.info("audit anchor %s", line)
    else:
        log.info("audit anchor b64:%s", base64.urlsafe_b64encode(line.encode()).decode())


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"
