"""The chain's head anchored outside the database (issue 18): after each seal and purge a signed line
{kind, seq, hash, at} is appended to the anchor file and logged; `sanshi audit verify` then finds
the newest rows deleted, a chain rewritten and re-hashed, and a forged or edited anchor line — which
the chain alone cannot show. These run on SQLite and on PostgreSQL (there as the superuser, playing
the one who can rewrite the database; tests/audit/test_audit_roles.py runs as the app role)."""

import base64
import json
import logging
import os
import secrets
import subprocess
import sys
from datetime import timedelta
from io import StringIO
from pathlib import Path

import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from sanshi.audit import anchor
from sanshi.audit.models import AuditEntry
from sanshi.audit.selectors import audit_chain_verify
from sanshi.audit.services import audit_anchor_sweep, audit_purge, audit_record, audit_seal

from .test_audit import tamper

deferred = override_settings(SANSHI_AUDIT_SEALING="deferred")


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def verify() -> tuple[bool, str]:
    out = StringIO()
    try:
        call_command("audit", "verify", stdout=out)
    except CommandError as exc:
        return False, out.getvalue() + str(exc)
    return True, out.getvalue()


@deferred
def sealed_rows(n: int, capture) -> list[AuditEntry]:
    """n rows written as acts write them and sealed as the worker seals them; the seal's anchor is
    written once its transaction commits (here: when the capture ends)."""
    for i in range(n):
        audit_record(event="export", obj_type="case", obj_id=str(i))
    with capture(execute=True):
        audit_seal()
    return list(AuditEntry.objects.order_by("seq"))


# --- writing ---------------------------------------------------------------------------------------

def test_a_seal_appends_one_signed_line_with_the_new_head_and_logs_it(db, anchor_file, caplog,
                                                                       django_capture_on_commit_callbacks):
    caplog.set_level(logging.INFO, logger="sanshi.audit")

    rows = sealed_rows(3, django_capture_on_commit_callbacks)

    [line] = lines(anchor_file)
    assert (line["kind"], line["seq"], line["hash"], line["db"]) == ("seal", 3, rows[-1].hash,
                                                                     anchor.database_label())
    assert line["at"].endswith("Z") and line["v"] == 1
    written = anchor.parse(anchor_file.read_text().strip())
    assert written is not None and written.signature_ok()
    logged = [r.getMessage() for r in caplog.records if r.name == "sanshi.audit"]
    assert logged == [f"audit anchor {anchor_file.read_text().strip()}"]


def test_a_rolled_back_seal_writes_no_anchor(db, anchor_file, django_capture_on_commit_callbacks):
    with deferred:
        audit_record(event="export", obj_id="1")
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            audit_seal()
            transaction.set_rollback(True)

    assert not anchor_file.exists()
    assert not AuditEntry.objects.exists()


def test_a_purge_anchors_its_checkpoint(db, anchor_file, django_capture_on_commit_callbacks):
    with time_machine.travel(timezone.now() - timedelta(days=200), tick=False):
        for n in range(3):
            audit_record(event="export", obj_id=str(n))
    audit_record(event="export", obj_id="young")

    with django_capture_on_commit_callbacks(execute=True):
        result = audit_purge(days=184)

    assert lines(anchor_file)[-1]["kind"] == "purge"
    assert (lines(anchor_file)[-1]["seq"], lines(anchor_file)[-1]["hash"]) == (result.checkpoint.seq,
                                                                               result.checkpoint.hash)
    ok, out = verify()
    assert ok, out
    assert f"anchor seq {result.checkpoint.seq} (purge" in out and "the chain holds it" in out


def test_with_inline_sealing_the_worker_anchors_the_head_when_it_moved(db, anchor_file):
    for n in range(2):
        audit_record(event="export", obj_id=str(n))

    call_command("worker", "--once", stdout=StringIO())
    call_command("worker", "--once", stdout=StringIO())  # the head did not move: no second line
    audit_record(event="export", obj_id="3")
    audit_anchor_sweep()

    assert [(line["kind"], line["seq"]) for line in lines(anchor_file)] == [("seal", 2), ("seal", 3)]


def test_a_line_torn_by_a_crash_is_skipped_and_the_next_one_starts_on_a_line_of_its_own(
        db, anchor_file, django_capture_on_commit_callbacks):
    sealed_rows(2, django_capture_on_commit_callbacks)
    with anchor_file.open("a") as handle:
        handle.write('{"v":1,"kind":"seal","db":"')  # the process died here

    rows = sealed_rows(1, django_capture_on_commit_callbacks)

    text = anchor_file.read_text().splitlines()
    assert json.loads(text[-1])["seq"] == rows[-1].seq == 3
    assert verify()[0]


def test_a_line_the_log_filter_would_mask_is_logged_in_base64(db, anchor_file, caplog):
    caplog.set_level(logging.INFO, logger="sanshi.audit")
    head = "ab13812345678cd" + "e" * 49  # a run of digits like a phone number inside a hash

    anchor.append(anchor.signed(kind="seal", seq=1, hash=head))

    [message] = [r.getMessage() for r in caplog.records if r.name == "sanshi.audit"]
    assert message.startswith("audit anchor b64:")
    assert base64.urlsafe_b64decode(message.removeprefix("audit anchor b64:")).decode() == \
        anchor_file.read_text().strip()


# --- verify ------------------------------------------------------------------------------------------

def test_verify_says_plainly_when_there_is_no_anchor_yet(db, anchor_file):
    for n in range(2):
        audit_record(event="export", obj_id=str(n))

    ok, out = verify()

    assert ok, out
    assert "no anchor yet" in out and str(anchor_file) in out


def test_verify_finds_the_newest_rows_deleted_against_the_anchor(db, django_capture_on_commit_callbacks):
    rows = sealed_rows(5, django_capture_on_commit_callbacks)
    tamper("DELETE FROM audit_auditentry WHERE seq > 3")
    assert audit_chain_verify().ok  # the chain alone cannot see a cut tail …

    ok, out = verify()  # … the anchor can

    assert not ok
    assert "seq 5: truncated" in out and "the chain ends at seq 3" in out and "(seq 4–5) were deleted" in out
    assert rows[-1].seq == 5


def test_verify_finds_a_chain_rewritten_and_rehashed_against_the_anchor(db, django_capture_on_commit_callbacks):
    sealed_rows(5, django_capture_on_commit_callbacks)
    # rewrite row 2 and recompute every hash after it: the chain is whole again
    prev = None
    for entry in AuditEntry.objects.order_by("seq"):
        if entry.seq == 2:
            entry.obj_id = "forged"
        if prev is not None:
            entry.prev_hash = prev
        if entry.seq >= 2:
            entry.hash = entry.compute_hash()
            tamper("UPDATE audit_auditentry SET obj_id = %s, prev_hash = %s, hash = %s WHERE id = %s",
                   [entry.obj_id, entry.prev_hash, entry.hash, entry.pk])
        prev = entry.hash
    assert audit_chain_verify().ok

    ok, out = verify()

    assert not ok and "seq 5: rehashed" in out
    assert [p.kind for p in audit_chain_verify(anchors=anchor.newest()).problems] == ["rehashed"]


def test_verify_reports_an_anchor_line_with_a_wrong_signature(db, anchor_file, settings,
                                                              django_capture_on_commit_callbacks):
    sealed_rows(3, django_capture_on_commit_callbacks)
    line = json.loads(anchor_file.read_text())
    anchor_file.write_text(json.dumps({**line, "seq": 2}) + "\n")  # edited without the key

    ok, out = verify()

    assert not ok and "seq 2: signature" in out and "no anchor with a valid signature" in out
    anchor_file.write_text(json.dumps(line) + "\n")
    assert verify()[0]
    settings.SANSHI_AUDIT_ANCHOR_KEY = "another-key-" + "x" * 40  # a line signed with another key
    assert "seq 3: signature" in verify()[1]


def test_a_forged_newest_line_does_not_hide_the_cut_from_the_anchor_before_it(
        db, anchor_file, django_capture_on_commit_callbacks):
    rows = sealed_rows(5, django_capture_on_commit_callbacks)
    tamper("DELETE FROM audit_auditentry WHERE seq > 3")
    forged = anchor.Anchor(kind="seal", db=anchor.database_label(), seq=3, hash=rows[2].hash,
                           at="2030-01-01T00:00:00.000000Z", sig="0" * 64)
    with anchor_file.open("a") as handle:
        handle.write(forged.line() + "\n")

    kinds = [p.kind for p in audit_chain_verify(anchors=anchor.newest()).problems]

    assert kinds == ["signature", "truncated"]


def test_anchors_of_another_database_in_the_same_file_are_ignored(db, anchor_file):
    anchor.append(anchor.signed(kind="seal", seq=99, hash="a" * 64, db="postgresql:elsewhere"))
    audit_record(event="export", obj_id="1")

    ok, out = verify()

    assert ok and "no anchor yet" in out


def test_the_sealer_does_not_anchor_over_rows_deleted_since_the_last_anchor(
        db, anchor_file, caplog, django_capture_on_commit_callbacks):
    sealed_rows(5, django_capture_on_commit_callbacks)
    tamper("DELETE FROM audit_auditentry WHERE seq > 3")

    sealed_rows(4, django_capture_on_commit_callbacks)  # seq 4–7 again: the chain is whole and longer

    assert [line["seq"] for line in lines(anchor_file)] == [5]  # not anchored over the cut
    assert "audit anchor not advanced" in caplog.text
    assert audit_chain_verify().ok
    ok, out = verify()
    assert not ok and "seq 5: rehashed" in out


# --- production --------------------------------------------------------------------------------------

def test_production_settings_refuse_to_start_without_an_anchor_key(tmp_path):
    secret = secrets.token_urlsafe(40)
    env = {**os.environ, "SECRET_KEY": secret, "SANSHI_FIELD_KEY": secrets.token_urlsafe(32),
           "CACHE_URL": "redis://127.0.0.1:6379/1", "SANSHI_VAR_DIR": str(tmp_path)}
    env.pop("SANSHI_AUDIT_ANCHOR_KEY", None)

    def start(**extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", "import sanshi.settings.production"],  # noqa: S603
                              env={**env, **extra}, capture_output=True, text=True, check=False)

    without, same_as_secret, weak, with_key = (
        start(), start(SANSHI_AUDIT_ANCHOR_KEY=secret), start(SANSHI_AUDIT_ANCHOR_KEY="a" * 43),
        start(SANSHI_AUDIT_ANCHOR_KEY=secrets.token_urlsafe(32)))

    for refused in (without, same_as_secret, weak):
        assert refused.returncode != 0 and "SANSHI_AUDIT_ANCHOR_KEY must be set" in refused.stderr
    assert with_key.returncode == 0, with_key.stderr
