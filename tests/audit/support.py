"""Helpers for the audit tests that commit on connections of their own (PostgreSQL)."""

import threading

from django.db import connection, transaction


def in_own_connection(func) -> None:
    """Run `func` on a thread of its own: its own connection, committing for real."""
    errors: list[BaseException] = []

    def run():
        try:
            func()
        except BaseException as exc:  # noqa: BLE001 — re-raised below
            errors.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    if errors:
        raise errors[0]


def remove_committed_audit_rows() -> None:
    """Delete what threads committed to the audit tables, as the superuser the tests connect as: with
    triggers off for this transaction only (`session_replication_role`, a superuser's setting — no
    session switch opens the tables since migration 0007)."""

    def remove():
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("DELETE FROM audit_auditentry")
            cursor.execute("DELETE FROM audit_auditjournal")

    in_own_connection(remove)
