"""An intake's rows (case, request, first event, audit row) are written together: one statement on
PostgreSQL, one transaction on SQLite. What lands in the database is what `save()` would have
written, the rows point at each other, and a failure leaves nothing behind."""

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.db.models import Value
from django.db.models.functions import Upper
from django.db.models.signals import post_save

from sanshi.audit.models import AuditEntry, AuditJournal
from sanshi.cases.models import Case, CaseEvent, Status
from sanshi.core.db import insert_together, reserve_ids, writing_together
from sanshi.intake.models import Request
from sanshi.registry.models import Level
from sanshi.registry.services import node_create

from .helpers import submit

TEXT = "小区门口的路灯坏了半个月，晚上出入很不方便。"
COMPARED = [f.attname for f in Case._meta.concrete_fields if f.attname not in ("id", "number", "created_at",
                                                                                "updated_at")]


def _case(grid, number: str, **fields) -> Case:
    return Case(title="路灯不亮", grid=grid, status=Status.RECEIVED, number=number, **fields)


def _grid_outside_the_test_transaction():
    district = node_create(code="Y", name="区", level=Level.DISTRICT)
    street = node_create(code="Y1", name="街道", level=Level.STREET, parent=district)
    community = node_create(code="Y1C1", name="社区", level=Level.COMMUNITY, parent=street)
    return node_create(code="Y1C1-G01", name="网格", level=Level.GRID, parent=community)


def test_an_intake_writes_four_rows_that_point_at_each_other(world, client):
    response = submit(client, text=TEXT, grid="T1C1-G01", channel="hotline")

    request = Request.objects.get(pk=response.json()["id"])
    case = request.case
    event = CaseEvent.objects.get(case=case)
    assert (case.status, case.grid, case.title) == (Status.RECEIVED, world.grid, TEXT[:40])
    assert case.created_at is not None and case.closed_at is None and case.catalogue_item_id is None
    assert request.submitted_by_id is None and request.feedback_at is None and request.grid == world.grid
    assert (event.action, event.to_status, event.data) == ("open", Status.RECEIVED,
                                                           {"request": request.pk, "channel": "assigned"})
    assert event.public_note == "诉求已受理（12345热线工单）"
    audit = [r for r in [*AuditJournal.objects.all(), *AuditEntry.objects.all()] if r.event == "case.open"]
    assert [(r.obj_type, r.obj_id) for r in audit] == [("case", str(case.pk))]


def test_rows_written_together_read_back_like_rows_saved_one_by_one(world):
    saved = _case(world.grid, "20261203-SAVED1", kind="SHARED", urgent=True, escalations=2, resolution="议定")
    saved.save()
    together = _case(world.grid, "20261203-TOGETH", kind="SHARED", urgent=True, escalations=2, resolution="议定")
    event = CaseEvent(case=together, action="open", to_status=Status.RECEIVED, at=saved.created_at, data={"a": [1]})

    with transaction.atomic():
        reserve_ids([together])
        event.case = together
        insert_together([together, event])

    fresh, twin = Case.objects.get(pk=together.pk), Case.objects.get(pk=saved.pk)
    assert {f: getattr(fresh, f) for f in COMPARED} == {f: getattr(twin, f) for f in COMPARED}
    assert fresh.created_at is not None and fresh.closed_at is None  # auto_now_add filled, NULL left NULL
    assert together._state.adding is False and event.pk is not None  # the event's id came back
    assert CaseEvent.objects.get(pk=event.pk).data == {"a": [1]}


def test_post_save_is_sent_for_every_row(world):
    seen = []

    def receiver(sender, instance, created, **kwargs):
        seen.append((sender, instance.pk, created))

    post_save.connect(receiver, sender=Case, dispatch_uid="test_insert_together")
    try:
        case = _case(world.grid, "20261203-SIGNAL")
        with transaction.atomic():
            insert_together([case])
    finally:
        post_save.disconnect(dispatch_uid="test_insert_together", sender=Case)

    assert seen == [(Case, case.pk, True)] and case.pk is not None


def test_reserved_ids_are_not_handed_out_again(world):
    with transaction.atomic():
        first, second = _case(world.grid, "20261203-RESER1"), _case(world.grid, "20261203-RESER2")
        reserve_ids([first, second])
        insert_together([first, second])
    later = _case(world.grid, "20261203-LATER1")
    later.save()

    assert second.pk == first.pk + 1 and later.pk > second.pk


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # keep the migrations' rows
def test_a_failing_row_leaves_none_of_the_others_behind():
    """Outside any transaction (the intake path on PostgreSQL): the tracking code is taken, so the
    request's insert fails, and the case written in the same statement is not there either."""
    grid = _grid_outside_the_test_transaction()
    Request.objects.create(tracking_code="TAKEN23456", text=TEXT, channel="resident", sub_channel="web",
                           received_at="2026-12-03T08:00:00+08:00")
    case = _case(grid, "20261203-FAILED")
    request = Request(tracking_code="TAKEN23456", text=TEXT, channel="resident", sub_channel="web",
                      received_at="2026-12-03T08:00:00+08:00")

    with pytest.raises(IntegrityError), writing_together():  # PostgreSQL: no transaction at all
        reserve_ids([case])
        request.case = case
        insert_together([case, request])

    assert not Case.objects.filter(number="20261203-FAILED").exists()
    assert Request.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ids_outside_a_transaction_come_from_postgresql_only():
    """PostgreSQL's sequences hand out ids anywhere; SQLite's sequence table is safe to read only
    under the write lock, so there reserving outside a transaction is refused."""
    case = Case(title="x", status=Status.RECEIVED)
    if connection.vendor == "postgresql":
        reserve_ids([case])
        assert case.pk is not None and not Case.objects.filter(pk=case.pk).exists()
    else:
        with pytest.raises(RuntimeError, match="transaction"):
            reserve_ids([case])
        assert case.pk is None


def test_a_value_given_as_an_expression_is_written_as_save_would(world):
    case = _case(world.grid, "20261203-EXPRES")
    case.title = Upper(Value("lamp"))

    with transaction.atomic():
        insert_together([case])

    assert Case.objects.get(pk=case.pk).title == "LAMP"


def _drop_from_the_server_side(conn) -> int:
    pid = conn.connection.info.backend_pid
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
    finally:
        other.close()
    return pid


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reserving_ids_on_a_connection_the_database_dropped_reconnects(postgres_only):
    """An intake's first statement (reserving ids) is also the connection's health check: when
    PostgreSQL has dropped the kept connection (a restart, an idle timeout), it opens a new one and
    the intake goes on, as with Django's own `SELECT 1` check before the first statement."""
    grid = _grid_outside_the_test_transaction()
    connection.ensure_connection()
    dropped = _drop_from_the_server_side(connection)
    connection.health_check_done = False  # as Django marks a kept connection when a request starts
    case = _case(grid, "20261203-AGAIN1")

    with writing_together():
        reserve_ids([case])
        insert_together([case])

    assert Case.objects.get(number="20261203-AGAIN1").pk == case.pk
    assert connection.connection.info.backend_pid != dropped

