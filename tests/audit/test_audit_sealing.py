"""Deferred sealing (PostgreSQL's default): an act writes its audit row to the journal in its own
transaction and never waits for the chain's lock; the worker moves journal rows onto the hash chain.
Nothing is lost, nothing is chained twice, and the chain stays one unbroken line."""

import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.urls import reverse

from sanshi.audit.models import AuditEntry, AuditJournal
from sanshi.audit.selectors import audit_chain_verify
from sanshi.audit.services import audit_record, audit_seal, audit_seal_all
from sanshi.intake.models import Request
from sanshi.registry.models import Role, StaffRole

from ..conftest import PASSWORD
from ..helpers import submit
from .support import remove_committed_audit_rows

deferred = override_settings(SANSHI_AUDIT_SEALING="deferred")


@deferred
def test_an_act_writes_the_journal_and_the_worker_puts_it_on_the_chain(world, client):
    before = AuditEntry.objects.count()
    response = submit(client, text="小区路灯坏了好几天", grid="T1C1-G01")
    assert response.status_code == 201
    case_id = str(Request.objects.get(pk=response.json()["id"]).case_id)  # the answer's id is the request's

    journal = AuditJournal.objects.get(event="case.open")
    assert journal.obj_id == case_id
    assert AuditEntry.objects.count() == before  # not chained yet

    out = StringIO()
    call_command("worker", "--once", stdout=out)
    assert "sealed 1 audit row(s)" in out.getvalue()
    assert not AuditJournal.objects.exists()
    entry = AuditEntry.objects.get(event="case.open", obj_id=case_id)
    assert entry.seq == before + 1 and entry.hash == entry.compute_hash()
    assert audit_chain_verify().ok


@deferred
def test_a_rolled_back_act_leaves_no_journal_row(db):
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(event="export", obj_id="1")
        raise RuntimeError("the act failed")
    assert not AuditJournal.objects.exists()
    assert audit_seal() == 0


@deferred
def test_sealing_keeps_the_order_and_chains_each_row_once(db):
    for n in range(7):
        audit_record(event="export", obj_id=str(n))
    assert audit_seal(limit=3) == 3
    assert audit_seal_all() == 4
    assert audit_seal_all() == 0
    rows = list(AuditEntry.objects.order_by("seq").values_list("seq", "obj_id"))
    assert rows == [(n + 1, str(n)) for n in range(7)]
    report = audit_chain_verify()
    assert report.ok and report.checked == 7


@deferred
def test_verify_and_the_audit_page_seal_the_journal_first(world, client):
    audit_record(event="export", obj_id="42")
    out = StringIO()
    call_command("audit", "verify", stdout=out)
    assert "sealed 1 journal row(s)" in out.getvalue() and "audit chain intact" in out.getvalue()

    audit_record(event="export", obj_id="43")
    admin = world.staff("auditor", Role.AUDIT_ADMIN, world.street)
    assert StaffRole.objects.filter(user=admin, role=Role.AUDIT_ADMIN).exists()
    client.login(username="auditor", password=PASSWORD)
    page = client.get(reverse("audit-log"))
    assert page.status_code == 200
    assert not AuditJournal.objects.exists()
    assert AuditEntry.objects.filter(event="export", obj_id="43").exists()


# --- PostgreSQL ------------------------------------------------------------------------------------

def test_postgres_refuses_update_and_delete_of_journal_rows(postgres_only):
    with override_settings(SANSHI_AUDIT_SEALING="deferred"):
        row = audit_record(event="export", obj_id="1")
    assert isinstance(row, AuditJournal)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditJournal.objects.filter(pk=row.pk).update(obj_id="2")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AuditJournal.objects.filter(pk=row.pk).delete()
    assert AuditJournal.objects.get(pk=row.pk).obj_id == "1"


def test_postgres_writers_and_two_sealers_at_once_give_one_chain(postgres_only):
    """Eight writers commit on their own connections while two sealers run: afterwards every row is
    on the chain exactly once, seq 1…n without a gap, and the chain verifies."""
    writers_n, per_writer = 8, 25
    start = threading.Barrier(writers_n + 2)
    done = threading.Event()
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            start.wait()
            for i in range(per_writer):
                audit_record(event="export", obj_id=f"{n}-{i}")
        except BaseException as exc:  # noqa: BLE001 — reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    def sealer() -> None:
        try:
            start.wait()
            while not done.is_set():
                audit_seal(limit=7)
            audit_seal_all()
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    assert not AuditEntry.objects.exists() and not AuditJournal.objects.exists()
    with override_settings(SANSHI_AUDIT_SEALING="deferred"):
        writers = [threading.Thread(target=writer, args=(n,)) for n in range(writers_n)]
        sealers = [threading.Thread(target=sealer) for _ in range(2)]
        try:
            for t in writers + sealers:
                t.start()
            for t in writers:
                t.join(120)
            done.set()
            for t in sealers:
                t.join(120)
            assert not errors, errors
            expected = writers_n * per_writer
            assert not AuditJournal.objects.exists()
            seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
            assert seqs == list(range(1, expected + 1))
            assert AuditEntry.objects.values("obj_id").distinct().count() == expected
            report = audit_chain_verify()
            assert report.ok and report.checked == expected, [str(p) for p in report.problems]
        finally:
            remove_committed_audit_rows()
    assert not AuditEntry.objects.exists()
