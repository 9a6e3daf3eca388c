"""The audit trail (等保 2.0 level 3): one hash-chained row per auditable event, no personal data,
`sanshi audit verify` names every changed, deleted or inserted row, purge keeps ≥ 184 days."""

import threading
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from sanshi.audit.models import GENESIS_HASH, AuditEntry, AuditJournal
from sanshi.audit.selectors import audit_chain_verify
from sanshi.audit.services import audit_record
from sanshi.cases.models import Case, CaseEvent
from sanshi.cases.services import case_triage, transition
from sanshi.core.errors import NotPermitted, TransitionNotAllowed
from sanshi.intake.models import Request

from ..cases.test_pipeline_e2e import (
    test_household_matter_bad_rating_escalates_then_closes as household_pipeline,
)
from ..conftest import PASSWORD
from ..helpers import act, submit
from .support import remove_committed_audit_rows

NOISE = "楼上邻居每天半夜装修，电钻噪音吵得老人孩子睡不着，沟通多次没用。"
PHONE, NAME = "13812345678", "张三丰"


def new_case(client) -> Case:
    created = submit(client, text=NOISE, grid="T1C1-G01", reporter_name=NAME, reporter_phone=PHONE, channel="web")
    assert created.status_code == 201, created.content
    return Request.objects.get(tracking_code=created.json()["tracking_code"]).case


def verify() -> tuple[bool, str]:
    out = StringIO()
    try:
        call_command("audit", "verify", stdout=out)
    except CommandError as exc:
        return False, out.getvalue() + str(exc)
    return True, out.getvalue()


def tamper(sql: str, params=()) -> None:
    """Raw SQL past the ORM, as someone who can rewrite the database (a superuser). On PostgreSQL the
    append-only trigger is switched off first (inside the test's transaction, so it comes back on when
    the test ends)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_auditentry_append_only")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry ENABLE TRIGGER audit_auditentry_append_only")


def five_rows() -> list[AuditEntry]:
    return [audit_record(event="export", obj_type="case", obj_id=str(n)) for n in range(1, 6)]


# --- what is recorded -------------------------------------------------------------------------

def test_a_transition_adds_exactly_one_audit_row_with_actor_role_and_node(world, client):
    case = new_case(client)
    before = AuditEntry.objects.count()

    case_triage(actor=world.operator, case=case, kind="HOUSEHOLD", catalogue_code="H2")

    rows = list(AuditEntry.objects.filter(seq__gt=before))
    assert len(rows) == 1
    row = rows[0]
    assert (row.event, row.obj_type, row.obj_id, row.outcome) == ("case.triage", "case", str(case.pk), "ok")
    assert (row.actor_id, row.actor_username, row.role, row.node) == (world.operator.pk, "operator", "operator", "T1")
    assert CaseEvent.objects.filter(case=case, action="triage").count() == 1


def test_a_rolled_back_transition_leaves_no_audit_row(world, client):
    case = new_case(client)
    before = AuditEntry.objects.count()

    with pytest.raises(RuntimeError), transaction.atomic():
        case_triage(actor=world.operator, case=case, kind="HOUSEHOLD", catalogue_code="H2")
        assert AuditEntry.objects.count() == before + 1  # written in the caller's transaction …
        raise RuntimeError("the caller fails after the move")

    assert AuditEntry.objects.count() == before  # … and gone with it
    assert not CaseEvent.objects.filter(case=case, action="triage").exists()
    assert verify()[0]


def test_a_refused_transition_adds_no_audit_row(world, client):
    case = new_case(client)
    before = AuditEntry.objects.count()

    with pytest.raises(TransitionNotAllowed):
        transition(case=case, action="close", actor=world.operator)
    with pytest.raises(NotPermitted):
        case_triage(actor=world.grid_worker, case=case, kind="HOUSEHOLD", catalogue_code="H2")

    assert AuditEntry.objects.count() == before


def test_a_denied_api_call_is_recorded_as_access_denied_without_the_case_moving(world, client, token_for):
    case = new_case(client)
    headers = token_for(world.grid_worker)  # a grid worker may not triage
    before = AuditEntry.objects.count()

    r = act(client, {**headers, "HTTP_X_REQUEST_ID": "denied-1"}, case.pk, action="triage", kind="HOUSEHOLD",
            catalogue_code="H2")
    out_of_scope = act(client, token_for(world.other_operator), case.pk, action="triage", kind="HOUSEHOLD",
                       catalogue_code="H2")

    assert (r.status_code, out_of_scope.status_code) == (403, 404)
    rows = list(AuditEntry.objects.filter(seq__gt=before, event="access.denied"))
    assert [(e.actor_username, e.obj_type, e.obj_id, e.outcome) for e in rows] == [
        ("gridworker", "case", str(case.pk), "denied"), ("other-operator", "case", str(case.pk), "denied")]
    # the row carries the server's request id, never the one the client sent
    assert rows[0].request_id == r["X-Request-ID"] != "denied-1" and rows[0].ip == "127.0.0.1"
    assert list(AuditEntry.objects.filter(event__startswith="case.").values_list("event", flat=True)) == ["case.open"]


def test_sign_in_success_and_failure_are_recorded_with_ip_and_request_id(world, client):
    ok = client.post(reverse("login"), {"username": "operator", "password": PASSWORD},
                     HTTP_X_REQUEST_ID="sign-in-1")
    bad = client.post(reverse("login"), {"username": "secretary", "password": "wrong-password"})
    api_bad = client.post("/api/v1/auth/token", {"username": "street", "password": "wrong-password"},
                          content_type="application/json")

    assert ok.status_code == 302 and ok["X-Request-ID"] != "sign-in-1" and ok["X-Client-Request-ID"] == "sign-in-1"
    login = AuditEntry.objects.get(event="auth.login")
    assert (login.actor_username, login.outcome, login.ip, login.request_id) == ("operator", "ok", "127.0.0.1",
                                                                                 ok["X-Request-ID"])
    failed = list(AuditEntry.objects.filter(event="auth.login_failed").order_by("seq"))
    # the token service's transaction rolls back on a bad password: its failure is still recorded
    assert api_bad.status_code in (401, 429)
    assert [(f.obj_type, f.obj_id, f.outcome, f.actor_id) for f in failed] == [
        ("user", str(world.secretary.pk), "failed", None), ("user", str(world.street_officer.pk), "failed", None)]
    assert failed[0].request_id == bad["X-Request-ID"] and failed[0].ip == "127.0.0.1"
    assert verify()[0]


def test_a_failed_sign_in_with_an_unknown_name_keeps_no_trace_of_the_name(world, client):
    client.post(reverse("login"), {"username": PHONE, "password": "wrong-password"})

    failed = AuditEntry.objects.get(event="auth.login_failed")
    assert (failed.obj_type, failed.obj_id, failed.actor_username) == ("", "", "")


def test_the_request_id_is_the_servers_own_and_a_safe_client_id_only_echoed(world, client):
    """A client's X-Request-ID was copied into the audit rows (issue 18): a client could make its
    acts look like another request's. The server makes every id; a short safe client id is echoed
    back as X-Client-Request-ID for the client's own log, and kept nowhere."""
    mine = client.post(reverse("login"), {"username": "operator", "password": "wrong"},
                       HTTP_X_REQUEST_ID="abc-123_x.y")
    unsafe = client.get("/", HTTP_X_REQUEST_ID="<script>alert(1)</script>")
    too_long = client.get("/", HTTP_X_REQUEST_ID="a" * 65)

    for response in (mine, unsafe, too_long):
        assert len(response["X-Request-ID"]) == 32 and response["X-Request-ID"].isalnum()
    assert mine["X-Client-Request-ID"] == "abc-123_x.y"
    assert "X-Client-Request-ID" not in unsafe and "X-Client-Request-ID" not in too_long
    failed = AuditEntry.objects.get(event="auth.login_failed")
    assert failed.request_id == mine["X-Request-ID"]
    assert not AuditEntry.objects.filter(request_id="abc-123_x.y").exists()


def test_no_personal_data_in_any_audit_row_after_a_full_pipeline(world, client, token_for):
    household_pipeline(world, client, token_for)  # phone 13812345678, name 张三丰, through the API
    client.post(reverse("login"), {"username": PHONE, "password": "x"})  # a phone typed as a user name
    client.get("/api/v1/track/NO-SUCH-CODE")
    codes = list(Request.objects.values_list("tracking_code", flat=True))

    rows = list(AuditEntry.objects.values())
    moves = CaseEvent.objects.count()  # the opening event included
    assert AuditEntry.objects.filter(event__startswith="case.").count() == moves  # one row per event
    text = repr(rows)
    for secret in (PHONE, NAME, PASSWORD, *codes):
        assert secret not in text
    assert verify()[0]


# --- verify ------------------------------------------------------------------------------------

def test_an_intact_chain_verifies_and_prints_its_head(db):
    rows = five_rows()

    ok, out = verify()

    assert ok, out
    assert rows[0].prev_hash == GENESIS_HASH and rows[1].prev_hash == rows[0].hash
    assert f"head {rows[-1].seq}:{rows[-1].hash}" in out


def test_verify_names_a_row_whose_hash_was_changed(db):
    rows = five_rows()
    tamper("UPDATE audit_auditentry SET hash = %s WHERE id = %s", ["f" * 64, rows[2].pk])

    ok, out = verify()

    assert not ok
    report = audit_chain_verify()
    assert [(p.kind, p.entry_id) for p in report.problems] == [("altered", rows[2].pk)]
    assert f"id {rows[2].pk} (seq 3): altered" in out


def test_verify_names_a_row_whose_field_was_changed(db):
    rows = five_rows()
    tamper("UPDATE audit_auditentry SET obj_id = '99' WHERE id = %s", [rows[1].pk])

    ok, out = verify()

    assert not ok and f"id {rows[1].pk} (seq 2): altered" in out
    assert [(p.kind, p.entry_id) for p in audit_chain_verify().problems] == [("altered", rows[1].pk)]


def test_verify_names_a_deleted_row(db):
    rows = five_rows()
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [rows[2].pk])

    ok, out = verify()

    assert not ok and "seq 3: deleted" in out and f"id {rows[1].pk} (seq 2) and id {rows[3].pk} (seq 4)" in out
    assert [(p.kind, p.seq) for p in audit_chain_verify().problems] == [("deleted", 3)]


def test_verify_names_rows_deleted_from_the_start(db):
    rows = five_rows()
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [rows[0].pk])

    ok, out = verify()

    assert not ok and f"id {rows[1].pk} (seq 2): unanchored" in out


def test_verify_names_an_inserted_row(db):
    rows = five_rows()
    forged = AuditEntry(seq=6, at=timezone.now(), event="export", obj_type="case", obj_id="7", outcome="ok",
                        prev_hash="e" * 64)
    forged.hash = forged.compute_hash()  # a well-formed row that does not follow the chain
    tamper("INSERT INTO audit_auditentry (seq, at, actor_username, role, node, event, obj_type, obj_id, outcome,"
           " ip, request_id, prev_hash, hash) VALUES (%s, %s, '', '', '', %s, %s, %s, %s, '', '', %s, %s)",
           [forged.seq, forged.at, forged.event, forged.obj_type, forged.obj_id, forged.outcome, forged.prev_hash,
            forged.hash])
    inserted = AuditEntry.objects.get(seq=6)

    ok, out = verify()

    assert not ok and f"id {inserted.pk} (seq 6): inserted" in out
    assert [(p.kind, p.entry_id) for p in audit_chain_verify().problems] == [("inserted", inserted.pk)]
    assert rows[-1].pk != inserted.pk


def test_verify_checks_a_head_noted_earlier_so_rows_cut_from_the_end_are_found(db):
    rows = five_rows()
    head = f"{rows[-1].seq}:{rows[-1].hash}"
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [rows[-1].pk])

    assert verify()[0]  # the chain alone cannot see a cut tail …
    with pytest.raises(CommandError):
        call_command("audit", "verify", "--head", head, stdout=StringIO())  # … the noted head can


def test_verify_prints_progress_on_long_chains(db):
    for n in range(25):
        audit_record(event="export", obj_id=str(n))
    out = StringIO()

    call_command("audit", "verify", "--progress-every", "10", stdout=out)

    assert "… 10 rows checked" in out.getvalue() and "… 20 rows checked" in out.getvalue()


# --- purge -------------------------------------------------------------------------------------

def test_purge_refuses_to_keep_less_than_184_days_and_removes_nothing(db):
    with time_machine.travel(timezone.now() - timedelta(days=400), tick=False):
        five_rows()

    with pytest.raises(CommandError, match="184"):
        call_command("audit", "purge", "--days", "183", stdout=StringIO())

    assert AuditEntry.objects.count() == 5


def test_purge_removes_only_older_rows_and_the_chain_still_verifies(db):
    with time_machine.travel(timezone.now() - timedelta(days=200), tick=False):
        old = five_rows()
    young = [audit_record(event="auth.login"), audit_record(event="export")]

    out = StringIO()
    call_command("audit", "purge", "--days", "184", stdout=out)

    assert "purged 5 row(s)" in out.getvalue()
    assert not AuditEntry.objects.filter(pk__in=[r.pk for r in old]).exists()
    kept = list(AuditEntry.objects.order_by("seq"))
    assert [r.pk for r in kept[:2]] == [r.pk for r in young]
    assert (kept[-1].event, kept[-1].obj_id) == ("audit.purge", str(young[0].seq))
    ok, report = verify()
    assert ok, report
    # the checkpoint is the only thing that makes the new start trusted
    tamper("DELETE FROM audit_auditentry WHERE id = %s", [young[0].pk])
    assert "unanchored" in verify()[1]


def test_purge_of_every_row_leaves_a_verifiable_checkpoint_and_later_rows_chain_on(db):
    with time_machine.travel(timezone.now() - timedelta(days=365), tick=False):
        five_rows()

    call_command("audit", "purge", "--days", "300", stdout=StringIO())
    call_command("audit", "purge", "--days", "300", stdout=StringIO())  # again: nothing to delete
    audit_record(event="export")

    assert list(AuditEntry.objects.values_list("seq", "event")) == [(6, "audit.purge"), (7, "audit.purge"),
                                                                   (8, "export")]
    assert verify()[0]


# --- PostgreSQL --------------------------------------------------------------------------------

def test_postgres_refuses_update_and_delete_of_audit_rows(postgres_only):
    entry = audit_record(event="export", obj_id="1")

    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(obj_id="2")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        entry.obj_id = "3"
        entry.save()

    assert AuditEntry.objects.get(pk=entry.pk).obj_id == "1"


def test_postgres_no_session_setting_opens_the_audit_tables(postgres_only):
    """Before migration 0007 `SET LOCAL sanshi.audit_purge = 'on'` (any role could run it) let a DELETE
    through the trigger; rows now leave only through the SECURITY DEFINER functions."""
    entry = audit_record(event="export", obj_id="1")
    with override_settings(SANSHI_AUDIT_SEALING="deferred"):
        journal = audit_record(event="export", obj_id="2")

    for model, pk in ((AuditEntry, entry.pk), (AuditJournal, journal.pk)):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL sanshi.audit_purge = 'on'")
                cursor.execute("SET LOCAL sanshi.audit_seal = 'on'")
            model.objects.filter(pk=pk).delete()

    assert AuditEntry.objects.filter(pk=entry.pk).exists() and AuditJournal.objects.filter(pk=journal.pk).exists()


def test_postgres_concurrent_writers_keep_one_unbroken_chain(postgres_only):
    # The writers commit on their own connections (not a flushed transactional test: later tests keep
    # the seeded rows); the rows they commit are removed at the end.
    threads_n, per_thread = 8, 25
    start = threading.Barrier(threads_n)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                if i % 5 == 0:  # some transactions append several rows and hold the lock a while
                    with transaction.atomic():
                        audit_record(event="export", obj_id=f"{n}-{i}")
                        audit_record(event="export", obj_id=f"{n}-{i}b")
                else:
                    audit_record(event="export", obj_id=f"{n}-{i}")
        except BaseException as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    assert not AuditEntry.objects.exists()
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(threads_n)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)

        assert not errors, errors
        expected = threads_n * (per_thread + per_thread // 5)
        seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
        assert seqs == list(range(1, expected + 1))
        report = audit_chain_verify()
        assert report.ok and report.checked == expected, [str(p) for p in report.problems]
    finally:
        remove_committed_audit_rows()
    assert not AuditEntry.objects.exists()


def test_api_token_issue_and_personal_data_reveal_are_audited(world, client, token_for):
    token_for(world.operator)
    issued = AuditEntry.objects.get(event="auth.token")
    assert issued.actor_username == "operator" and issued.obj_type == "api_token"
    created = client.post("/api/v1/requests", {"text": "小区物业费上涨", "grid": "T1C1-G01", "reporter_phone": PHONE},
                          content_type="application/json").json()
    case = Case.objects.get(requests__tracking_code=created["tracking_code"])
    client.force_login(world.operator)
    page = client.post(f"/staff/cases/{case.pk}/", {"action": "reveal", "request": case.requests.get().pk,
                                                     "reason": "回访"})
    assert PHONE in page.content.decode()
    reveal = AuditEntry.objects.get(event="personal_data.reveal")
    assert (reveal.actor_username, reveal.obj_type) == ("operator", "request")
    assert PHONE not in repr(list(AuditEntry.objects.values()))
