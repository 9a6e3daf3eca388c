"""While the database is down every request answers 503 with Retry-After (issue 19: the API answered
Django's English HTML 500): the API in its documented JSON, pages a plain Chinese page. An anonymous
read writes nothing: an unknown tracking code is a 404 even when the database is read-only, logged
on one line without the code; a staff read that must be audited answers 503 when its audit row
cannot be written."""

import pytest
from django.db import DatabaseError, IntegrityError, OperationalError, connection, connections
from django.test import Client

from sanshi.audit.models import AuditEntry, AuditJournal

from ..conftest import require_or_skip
from ..helpers import submit
from .test_logs_redacted import log_output  # noqa: F401 — the fixture


@pytest.fixture
def client():
    return Client(raise_request_exception=False)  # a 500 must show as a 500, not as the test's exception


@pytest.fixture
def database_down(db):
    """Opening a connection fails, as with the server stopped (the test's own connection stays open
    underneath, for the test's rollback once the database is back)."""
    def refused():
        raise OperationalError('connection failed: connection to server at "127.0.0.1", port 5432 failed: '
                               "Connection refused")

    wrapper = connections["default"]
    wrapper.ensure_connection = refused
    yield
    del wrapper.ensure_connection


def assert_json_503(response) -> None:
    assert response.status_code == 503, response.content
    assert response["Content-Type"].startswith("application/json") and response["Retry-After"] == "30"
    assert response.json() == {"detail": "服务暂时不可用（数据库无法访问），请稍后重试", "errors": {}}


def test_the_api_answers_json_503_while_the_database_cannot_be_reached(database_down, client, log_output):  # noqa: F811
    assert_json_503(client.get("/api/v1/catalogue"))
    assert_json_503(client.get("/api/v1/track/ABCD2345"))
    assert_json_503(submit(client, text="路灯坏了"))
    assert_json_503(client.get("/api/v1/cases", HTTP_AUTHORIZATION="Bearer not-checked-while-down"))
    output = log_output.getvalue()
    causes = [line for line in output.splitlines() if "sanshi.outage" in line]
    assert len(causes) == 4 and all("OperationalError: connection failed" in line for line in causes)
    assert "Traceback" not in output and "ABCD2345" not in output  # the tracking code is a credential


def test_pages_answer_a_plain_chinese_503(database_down, client):
    for url in ("/report/", "/track/ABCD2345/", "/staff/"):
        response = client.get(url)
        assert response.status_code == 503 and response["Retry-After"] == "30", url
        assert "服务暂时不可用" in response.content.decode() and response["Content-Type"].startswith("text/html")


def test_a_database_lost_inside_an_api_operation_is_a_503(db, client, monkeypatch):
    def lost():
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("sanshi.catalog.api.current_items", lost)
    assert_json_503(client.get("/api/v1/catalogue"))


def test_an_error_of_our_own_statement_stays_a_500(db, client, monkeypatch):
    def wrong():
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr("sanshi.catalog.api.current_items", wrong)
    response = client.get("/api/v1/catalogue")
    assert response.status_code == 500 and "Retry-After" not in response


def test_a_database_lost_in_a_middleware_after_the_view_is_a_503(db, client, monkeypatch):
    """The refusals are written by the audit middleware after the view: handler500 is the last net."""
    def lost(context):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr("sanshi.audit.middleware.flush_pending", lost)
    assert_json_503(client.get("/api/v1/catalogue"))
    page = client.get("/report/")
    assert page.status_code == 503 and "服务暂时不可用" in page.content.decode()


def test_an_audited_staff_read_answers_503_when_its_audit_row_cannot_be_written(world, client, monkeypatch):
    def cannot_write(**kwargs):
        raise DatabaseError("cannot execute INSERT in a read-only transaction")

    monkeypatch.setattr("sanshi.cases.exports.audit_record", cannot_write)  # every list export writes it there
    client.force_login(world.street_officer)
    response = client.get("/staff/ledger/export/")
    assert response.status_code == 503 and response["Retry-After"] == "30"
    assert "spreadsheetml" not in response["Content-Type"]  # no export without its audit row


def test_an_unknown_tracking_code_is_logged_without_the_code_and_not_audited(db, client, log_output):  # noqa: F811
    entries, journal = AuditEntry.objects.count(), AuditJournal.objects.count()
    assert client.get("/api/v1/track/NOPE2345").status_code == 404
    assert client.get("/track/NOPE2345/").status_code == 404
    assert client.get("/report/done/NOPE2345/").status_code == 404
    assert (AuditEntry.objects.count(), AuditJournal.objects.count()) == (entries, journal)
    output = log_output.getvalue()
    assert "NOPE2345" not in output
    [api_line] = [line for line in output.splitlines() if "/api/v1/track/" in line]
    assert "Not Found" in api_line and "[已隐去#" in api_line


def test_a_signed_in_callers_refusal_is_still_audited(world, client, token_for):
    before = AuditEntry.objects.filter(event="access.denied").count()
    assert client.get("/api/v1/cases/999999", **token_for(world.operator)).status_code == 404
    assert AuditEntry.objects.filter(event="access.denied").count() == before + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # a session setting, outside a test transaction
def test_an_unknown_tracking_code_under_a_read_only_database_is_a_404(client):
    """PostgreSQL, the session made read-only (as a hot standby is): the anonymous 404 writes nothing;
    a write answers 503, not 500."""
    require_or_skip(connection.vendor == "postgresql", "SANSHI_REQUIRE_POSTGRES",
                    "this test needs PostgreSQL (run with DATABASE_URL=postgres://…)")
    with connection.cursor() as cursor:
        cursor.execute("SET default_transaction_read_only = on")
    try:
        assert client.get("/api/v1/track/NOPE2345").status_code == 404
        assert client.get("/track/NOPE2345/").status_code == 404
        assert_json_503(submit(client, text="路灯坏了一个星期"))
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET default_transaction_read_only = off")
