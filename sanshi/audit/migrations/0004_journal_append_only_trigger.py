"""PostgreSQL: the audit journal (rows not yet chained) is append-only too. UPDATE is always
refused; DELETE only inside a transaction that ran `SET LOCAL sanshi.audit_seal = 'on'`, which only
`audit_seal` does, in the transaction that puts the same rows on the chain."""

from django.db import migrations

INSTALL = """
CREATE OR REPLACE FUNCTION sanshi_audit_journal_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND coalesce(current_setting('sanshi.audit_seal', true), '') = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_auditjournal is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER audit_auditjournal_append_only
    BEFORE UPDATE OR DELETE ON audit_auditjournal
    FOR EACH ROW EXECUTE FUNCTION sanshi_audit_journal_guard();
"""

REMOVE = """
DROP TRIGGER IF EXISTS audit_auditjournal_append_only ON audit_auditjournal;
DROP FUNCTION IF EXISTS sanshi_audit_journal_guard();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(INSTALL, params=None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REMOVE, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_auditjournal")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
