"""PostgreSQL, as the run-time role (issue 18): `sanshi db-roles` creates an owner and an app role; the app
role — what the server and the worker connect as — cannot change, delete or truncate audit rows
whatever it sets in its session, nor switch the triggers off, yet seals and purges through the
SECURITY DEFINER functions; `verify`, run as the app role, finds what the superuser cut or re-hashed.

These tests commit (the app role's connection sees only committed rows): transactional, flushed after,
and the roles are dropped again (they are the cluster's, named after the test database)."""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from io import StringIO
from urllib.parse import urlsplit

import psycopg
import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.utils import timezone
from psycopg import errors, sql

from sanshi.audit import anchor
from sanshi.audit.models import AuditEntry, AuditJournal
from sanshi.audit.services import audit_purge, audit_record, audit_seal

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
AUDIT_TABLES = ("audit_auditentry", "audit_auditjournal")
CHANGES = ("DELETE FROM audit_auditentry", "UPDATE audit_auditentry SET obj_id = 'x'", "TRUNCATE audit_auditentry",
           "DELETE FROM audit_auditjournal", "UPDATE audit_auditjournal SET obj_id = 'x'",
           "TRUNCATE audit_auditjournal")


@dataclass(frozen=True)
class Roles:
    owner: str
    app: str
    app_password: str
    output: str


def _drop_roles(*names: str) -> None:
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [name])
            if cursor.fetchone():
                role = sql.Identifier(name).as_string(connection.connection)
                cursor.execute(f"REASSIGN OWNED BY {role} TO CURRENT_USER")
                cursor.execute(f"DROP OWNED BY {role}")
                cursor.execute(f"DROP ROLE {role}")


@pytest.fixture
def roles(postgres_only):
    database = connection.settings_dict["NAME"]
    owner, app = f"{database}_owner", f"{database}_app"
    _drop_roles(app, owner)  # left by an interrupted run
    out = StringIO()
    call_command("db-roles", "--owner", owner, "--app", app, stdout=out)
    url = next(line.split("DATABASE_URL=", 1)[1].split()[0] for line in out.getvalue().splitlines()
               if f"DATABASE_URL=postgres://{app}:" in line)
    yield Roles(owner=owner, app=app, app_password=urlsplit(url).password or "", output=out.getvalue())
    connection.close()
    _drop_roles(app, owner)


@contextmanager
def app_connection(roles: Roles):
    """A second connection, as the app role (psycopg directly, autocommit)."""
    settings = connection.settings_dict
    conn = psycopg.connect(host=settings["HOST"] or None, port=settings["PORT"] or None, dbname=settings["NAME"],
                           user=roles.app, password=roles.app_password, autocommit=True)
    try:
        yield conn
    finally:
        conn.close()


@contextmanager
def django_as_app(roles: Roles):
    """The ORM and the services on a connection as the app role, as the server and the worker run."""
    settings = connection.settings_dict
    saved = settings["USER"], settings["PASSWORD"]
    connection.close()
    settings["USER"], settings["PASSWORD"] = roles.app, roles.app_password
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, session_user")
            assert cursor.fetchone() == (roles.app, roles.app)
        yield
    finally:
        connection.close()
        settings["USER"], settings["PASSWORD"] = saved


def grants(roles: Roles) -> dict:
    """Everything the app role may do in the schema, and the owner's default privileges."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relkind, pg_get_userbyid(c.relowner), "
            "array_remove(ARRAY[CASE WHEN has_table_privilege(%s, c.oid, 'SELECT') THEN 'SELECT' END, "
            "CASE WHEN has_table_privilege(%s, c.oid, 'INSERT') THEN 'INSERT' END, "
            "CASE WHEN has_table_privilege(%s, c.oid, 'UPDATE') THEN 'UPDATE' END, "
            "CASE WHEN has_table_privilege(%s, c.oid, 'DELETE') THEN 'DELETE' END, "
            "CASE WHEN has_table_privilege(%s, c.oid, 'TRUNCATE') THEN 'TRUNCATE' END], NULL) "
            "FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind IN ('r', 'p') "
            "ORDER BY 1", [roles.app] * 5)
        tables = {name: (kind, owner, tuple(privileges)) for name, kind, owner, privileges in cursor.fetchall()}
        cursor.execute(
            "SELECT c.relname, pg_get_userbyid(c.relowner), has_sequence_privilege(%s, c.oid, 'USAGE') "
            "FROM pg_class c WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'S' ORDER BY 1",
            [roles.app])
        sequences = cursor.fetchall()
        cursor.execute("SELECT defaclobjtype, defaclacl::text FROM pg_default_acl WHERE defaclrole = %s::regrole "
                       "ORDER BY 1", [roles.owner])
        defaults = cursor.fetchall()
        cursor.execute("SELECT p.proname, pg_get_userbyid(p.proowner), p.prosecdef, "
                       "has_function_privilege(%s, p.oid, 'EXECUTE') FROM pg_proc p "
                       "WHERE p.proname IN ('sanshi_audit_seal', 'sanshi_audit_purge') ORDER BY 1", [roles.app])
        functions = cursor.fetchall()
        cursor.execute("SELECT rolname, rolsuper, rolcreaterole, rolcreatedb, rolcanlogin, rolbypassrls FROM pg_roles "
                       "WHERE rolname IN (%s, %s) ORDER BY 1", [roles.owner, roles.app])
        attributes = cursor.fetchall()
    return {"tables": tables, "sequences": sequences, "defaults": defaults, "functions": functions,
            "roles": attributes}


# --- the roles ---------------------------------------------------------------------------------------

def test_db_roles_sets_up_both_roles_and_a_second_run_changes_nothing(roles):
    first = grants(roles)

    out = StringIO()
    call_command("db-roles", "--owner", roles.owner, "--app", roles.app, stdout=out)

    assert grants(roles) == first
    assert f"角色 {roles.app} 已存在" in out.getvalue() and "密码未改动" in out.getvalue()
    assert first["roles"] == [(roles.app, False, False, False, True, False),
                              (roles.owner, False, False, False, True, False)]
    tables = first["tables"]
    assert {owner for _, owner, _ in tables.values()} == {roles.owner}
    assert {owner for _, owner, _ in first["sequences"]} == {roles.owner}
    assert all(usage for _, _, usage in first["sequences"])
    for name, (_, _, privileges) in tables.items():
        expected = ("SELECT", "INSERT") if name in AUDIT_TABLES else ("SELECT", "INSERT", "UPDATE", "DELETE")
        assert privileges == expected, name
    assert first["functions"] == [("sanshi_audit_purge", roles.owner, True, True),
                                  ("sanshi_audit_seal", roles.owner, True, True)]
    assert f"DATABASE_URL=postgres://{roles.app}:" in roles.output
    assert f"DATABASE_URL=postgres://{roles.owner}:" in roles.output and "sanshi migrate" in roles.output


def test_tables_the_owner_creates_later_are_granted_to_the_app_role(roles):
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql.SQL("SET LOCAL ROLE {}").format(sql.Identifier(roles.owner))
                       .as_string(connection.connection))
        cursor.execute("CREATE TABLE roles_probe (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, v text)")
        cursor.execute("SELECT has_table_privilege(%s, 'roles_probe', 'UPDATE'), "
                       "has_table_privilege(%s, 'roles_probe', 'TRUNCATE'), "
                       "has_sequence_privilege(%s, 'roles_probe_id_seq', 'USAGE')", [roles.app] * 3)
        assert cursor.fetchone() == (True, False, True)
        transaction.set_rollback(True)


# --- what the app role cannot do -----------------------------------------------------------------------

def test_the_app_role_cannot_change_delete_or_truncate_audit_rows_whatever_it_sets(roles):
    entry = audit_record(event="export", obj_id="1")
    with override_settings(SANSHI_AUDIT_SEALING="deferred"):
        journal = audit_record(event="export", obj_id="2")
    refused = []

    with app_connection(roles) as conn:
        for statement in CHANGES:
            with pytest.raises(errors.InsufficientPrivilege), conn.transaction():
                conn.execute("SET LOCAL sanshi.audit_purge = 'on'")
                conn.execute("SET LOCAL sanshi.audit_seal = 'on'")
                conn.execute(statement)
            refused.append(statement)
        for statement in ("ALTER TABLE audit_auditentry DISABLE TRIGGER audit_auditentry_append_only",
                          "ALTER TABLE audit_auditjournal DISABLE TRIGGER ALL"):
            with pytest.raises(errors.InsufficientPrivilege, match="must be owner"):
                conn.execute(statement)
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute("SET session_replication_role = replica")  # the superuser's way past triggers
        with pytest.raises(errors.InsufficientPrivilege, match="184"):
            conn.execute("SELECT * FROM sanshi_audit_purge(1)")
        # what it may do: read and append
        assert conn.execute("SELECT count(*) FROM audit_auditentry").fetchone() == (1,)
        conn.execute("INSERT INTO audit_auditjournal (at, actor_username, role, node, event, obj_type, obj_id, "
                     "outcome, ip, request_id, reason) VALUES (now(), '', '', '', 'export', '', '3', 'ok', '', '', '')")

    assert len(refused) == 6
    assert AuditEntry.objects.get().obj_id == entry.obj_id == "1"
    assert sorted(AuditJournal.objects.values_list("obj_id", flat=True)) == [journal.obj_id, "3"]


def test_the_app_role_cannot_seal_away_journal_rows_that_are_not_on_the_chain(roles):
    with app_connection(roles) as conn:
        [(journal_id,)] = conn.execute(
            "INSERT INTO audit_auditjournal (at, actor_username, role, node, event, obj_type, obj_id, outcome, ip, "
            "request_id, reason) VALUES (now(), '', '', '', 'export', '', '1', 'ok', '', '', '') RETURNING id")
        with pytest.raises(errors.InsufficientPrivilege, match="not the newest rows"), conn.transaction():
            conn.execute("SELECT sanshi_audit_seal(ARRAY[%s]::bigint[], 1)", [journal_id])
        # a chain row with the journal row's fields but no valid hash does not count as sealed
        with pytest.raises(errors.InsufficientPrivilege, match="not on the chain"), conn.transaction():
            conn.execute("INSERT INTO audit_auditentry (seq, at, actor_username, role, node, event, obj_type, obj_id,"
                         " outcome, ip, request_id, reason, prev_hash, hash) SELECT 1, at, '', '', '', event, '', "
                         "obj_id, outcome, '', '', '', repeat('0', 64), repeat('f', 64) FROM audit_auditjournal "
                         "WHERE id = %s", [journal_id])
            conn.execute("SELECT sanshi_audit_seal(ARRAY[%s]::bigint[], 1)", [journal_id])

    assert AuditJournal.objects.filter(pk=journal_id).exists()
    assert not AuditEntry.objects.exists()


# --- what it does through the functions --------------------------------------------------------------

def test_the_app_role_seals_through_the_function_and_anchors_the_head(roles, anchor_file):
    with django_as_app(roles), override_settings(SANSHI_AUDIT_SEALING="deferred"):
        for n in range(3):
            audit_record(event="export", obj_id=str(n))
        assert AuditJournal.objects.count() == 3

        assert audit_seal() == 3

        assert not AuditJournal.objects.exists()
        assert list(AuditEntry.objects.values_list("seq", "obj_id")) == [(1, "0"), (2, "1"), (3, "2")]
        out = StringIO()
        call_command("audit", "verify", stdout=out)
        head = AuditEntry.objects.get(seq=3)
    assert "anchor seq 3 (seal" in out.getvalue() and "the chain holds it" in out.getvalue()
    newest = anchor.newest(path=anchor_file).trusted
    assert newest is not None and (newest.kind, newest.seq, newest.hash) == ("seal", 3, head.hash)


def test_the_app_role_purges_old_rows_through_the_function_and_young_rows_stay(roles, anchor_file):
    with time_machine.travel(timezone.now() - timedelta(days=200), tick=False):
        old = [audit_record(event="export", obj_id=f"old-{n}") for n in range(4)]
    young = [audit_record(event="export", obj_id=f"young-{n}") for n in range(2)]

    with django_as_app(roles):
        with pytest.raises(DatabaseError, match="at least 184 days"), transaction.atomic(), \
                connection.cursor() as cursor:
            cursor.execute("SELECT * FROM sanshi_audit_purge(183)")  # refused by the function itself
        assert AuditEntry.objects.count() == 6

        result = audit_purge(days=184)

        kept = list(AuditEntry.objects.order_by("seq"))
        out = StringIO()
        call_command("audit", "verify", stdout=out)
    assert (result.deleted, result.first_seq) == (4, young[0].seq)
    assert [e.obj_id for e in kept] == ["young-0", "young-1", str(young[0].seq)]
    checkpoint = kept[-1]
    assert (checkpoint.event, checkpoint.obj_type, checkpoint.seq) == ("audit.purge", "audit_chain", 7)
    assert checkpoint.hash == checkpoint.compute_hash()  # hashed in SQL exactly as in Python
    assert not AuditEntry.objects.filter(pk__in=[e.pk for e in old]).exists()
    assert "audit chain intact" in out.getvalue() and "anchor seq 7 (purge" in out.getvalue()


# --- verify, as the app role, against the anchor ------------------------------------------------------

def _as_superuser_without_triggers(*statements: tuple[str, list]) -> None:
    """What a superuser can still do to the database (and what the anchor is for)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL session_replication_role = replica")
        for statement, params in statements:
            cursor.execute(statement, params)


def _verify_as_app(roles: Roles) -> str:
    out = StringIO()
    with django_as_app(roles), pytest.raises(CommandError, match="audit chain broken"):
        call_command("audit", "verify", stdout=out)
    return out.getvalue()


def _seal_as_app(roles: Roles, n: int) -> list[AuditEntry]:
    with django_as_app(roles), override_settings(SANSHI_AUDIT_SEALING="deferred"):
        for i in range(n):
            audit_record(event="export", obj_id=str(i))
        audit_seal()
        return list(AuditEntry.objects.order_by("seq"))


def test_verify_as_the_app_role_finds_the_newest_rows_the_superuser_deleted(roles):
    _seal_as_app(roles, 5)
    _as_superuser_without_triggers(("DELETE FROM audit_auditentry WHERE seq > %s", [3]))

    out = _verify_as_app(roles)

    assert "seq 5: truncated" in out and "(seq 4–5) were deleted" in out


def test_verify_as_the_app_role_finds_a_chain_the_superuser_rewrote_and_rehashed(roles):
    rows = _seal_as_app(roles, 4)
    statements, prev = [], rows[0].hash
    for entry in rows[1:]:
        entry.obj_id, entry.prev_hash = ("forged" if entry.seq == 2 else entry.obj_id), prev
        entry.hash = prev = entry.compute_hash()
        statements.append(("UPDATE audit_auditentry SET obj_id = %s, prev_hash = %s, hash = %s WHERE id = %s",
                           [entry.obj_id, entry.prev_hash, entry.hash, entry.pk]))
    _as_superuser_without_triggers(*statements)

    out = _verify_as_app(roles)

    assert "seq 4: rehashed" in out
    assert "altered" not in out and "inserted" not in out  # the chain itself is whole


def test_verify_as_the_app_role_reports_an_anchor_line_with_a_wrong_signature(roles, anchor_file):
    _seal_as_app(roles, 2)
    text = anchor_file.read_text().replace('"seq":2', '"seq":1')
    anchor_file.write_text(text)

    out = _verify_as_app(roles)

    assert "seq 1: signature" in out
