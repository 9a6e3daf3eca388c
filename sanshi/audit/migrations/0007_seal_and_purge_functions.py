"""PostgreSQL: rows leave the audit tables only through two SECURITY DEFINER functions, never through a
session setting (issue 18).

Before, the triggers of 0002 and 0004 let a DELETE through when the transaction had run
`SET LOCAL sanshi.audit_purge = 'on'` (or `sanshi.audit_seal`), which any role may run. Now:

- `sanshi_audit_seal(journal_ids, first_seq)` deletes journal rows only when each of them is, field
  for field and in order, one of the chain's newest rows from `first_seq` on, correctly hashed and
  chained to the row before it (the caller has just inserted them, in the same transaction);
- `sanshi_audit_purge(days)` refuses fewer than 184 days (MIN_RETENTION_DAYS), deletes the rows older
  than that from the start of the chain and writes the `audit.purge` checkpoint itself, hashed here
  exactly as `AuditEntry.canonical()` does in Python;
- the triggers refuse every UPDATE, and a DELETE unless it is issued by the matching function (its
  frame is on the call stack: `PG_CONTEXT`), whatever the session has set. They are the second line:
  the first is that the run-time role (`sanshi db-roles`) has no UPDATE, DELETE or TRUNCATE on these
  tables, and the functions belong to the owner role, so they run with its rights.

Nobody but the owner (and superusers) may execute the functions until `sanshi db-roles` grants them
to the run-time role. SQLite has none of this; `sanshi audit verify` finds changes there."""

from django.db import migrations

AUDIT_LOCK_KEY = 387861137473  # services.AUDIT_LOCK_KEY (0x5A4E534841), the chain's advisory lock
MIN_RETENTION_DAYS = 184  # services.MIN_RETENTION_DAYS

FUNCTIONS = """
-- AuditEntry.canonical(): JSON of the fields in a fixed order, no spaces, UTC with microseconds;
-- reason only when non-empty. to_json() escapes strings as Python's json.dumps(ensure_ascii=False).
-- Called only from the functions below, whose search_path is fixed; no SET clause of its own, so that
-- PostgreSQL inlines it (5,000 rows: 35 ms instead of 75 ms).
CREATE OR REPLACE FUNCTION sanshi_audit_canonical(e audit_auditentry) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT '[' || e.seq::text
        || ',' || to_json(to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text
        || ',' || coalesce(e.actor_id::text, 'null')
        || ',' || to_json(e.actor_username)::text || ',' || to_json(e.role)::text
        || ',' || to_json(e.node)::text || ',' || to_json(e.event)::text
        || ',' || to_json(e.obj_type)::text || ',' || to_json(e.obj_id)::text
        || ',' || to_json(e.outcome)::text || ',' || to_json(e.ip)::text
        || ',' || to_json(e.request_id)::text || ',' || to_json(e.prev_hash)::text
        || CASE WHEN coalesce(e.reason, '') <> '' THEN ',' || to_json(e.reason)::text ELSE '' END
        || ']'
$$;

CREATE OR REPLACE FUNCTION sanshi_audit_seal(journal_ids bigint[], first_seq bigint) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {path} AS $$
DECLARE
    n integer := coalesce(cardinality(journal_ids), 0);
    matched integer;
    removed integer;
BEGIN
    IF n = 0 THEN
        RETURN 0;
    END IF;
    PERFORM pg_advisory_xact_lock({lock});
    IF (SELECT max(seq) FROM audit_auditentry) IS DISTINCT FROM first_seq + n - 1 THEN
        RAISE EXCEPTION 'sanshi_audit_seal refused: seq % to % are not the newest rows of the chain',
            first_seq, first_seq + n - 1 USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- the chain's rows from first_seq on (and the one before, for its hash), hashed once each
    WITH sealed AS MATERIALIZED (
        SELECT e.*, encode(sha256(convert_to(sanshi_audit_canonical(e), 'UTF8')), 'hex') AS computed,
               lag(e.hash) OVER (ORDER BY e.seq) AS before
          FROM audit_auditentry e
         WHERE e.seq BETWEEN first_seq - 1 AND first_seq + n - 1)
    SELECT count(DISTINCT u.id) INTO matched
      FROM unnest(journal_ids) WITH ORDINALITY AS u(id, i)
      JOIN audit_auditjournal j ON j.id = u.id
      JOIN sealed e ON e.seq = first_seq + u.i - 1
     WHERE (j.at, j.actor_id, j.actor_username, j.role, j.node, j.event, j.obj_type, j.obj_id, j.outcome,
            j.ip, j.request_id, j.reason)
           IS NOT DISTINCT FROM
           (e.at, e.actor_id, e.actor_username, e.role, e.node, e.event, e.obj_type, e.obj_id, e.outcome,
            e.ip, e.request_id, e.reason)
       AND e.hash = e.computed
       AND (e.prev_hash = e.before OR (e.before IS NULL AND e.seq = 1 AND e.prev_hash = repeat('0', 64)));
    IF matched <> n THEN
        RAISE EXCEPTION 'sanshi_audit_seal refused: % of % journal rows are not on the chain as sealed rows',
            n - matched, n USING ERRCODE = 'insufficient_privilege';
    END IF;
    DELETE FROM audit_auditjournal WHERE id = ANY (journal_ids);
    GET DIAGNOSTICS removed = ROW_COUNT;
    RETURN removed;
END;
$$;

CREATE OR REPLACE FUNCTION sanshi_audit_purge(days integer)
RETURNS TABLE (deleted bigint, first_seq bigint, checkpoint_id bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {path} AS $$
DECLARE
    head audit_auditentry;
    checkpoint audit_auditentry;
    stamp timestamptz := clock_timestamp();
BEGIN
    IF days IS NULL OR days < {min_days} THEN
        RAISE EXCEPTION 'audit records must be kept at least {min_days} days (got %)', days
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM pg_advisory_xact_lock({lock});
    SELECT * INTO head FROM audit_auditentry ORDER BY seq DESC LIMIT 1;
    -- a contiguous prefix: every row before the first one younger than the cut
    SELECT min(e.seq) INTO first_seq FROM audit_auditentry e WHERE e.at >= stamp - days * interval '24 hours';
    first_seq := coalesce(first_seq, coalesce(head.seq, 0) + 1);
    checkpoint.seq := coalesce(head.seq, 0) + 1;
    checkpoint.at := stamp;
    checkpoint.actor_username := '';
    checkpoint.role := '';
    checkpoint.node := '';
    checkpoint.event := 'audit.purge';
    checkpoint.obj_type := 'audit_chain';
    checkpoint.obj_id := first_seq::text;
    checkpoint.outcome := 'ok';
    checkpoint.ip := '';
    checkpoint.request_id := '';
    checkpoint.reason := '';
    checkpoint.prev_hash := coalesce(head.hash, repeat('0', 64));
    checkpoint.hash := encode(sha256(convert_to(sanshi_audit_canonical(checkpoint), 'UTF8')), 'hex');
    INSERT INTO audit_auditentry (seq, at, actor_id, actor_username, role, node, event, obj_type, obj_id, outcome,
                                  ip, request_id, reason, prev_hash, hash)
    VALUES (checkpoint.seq, checkpoint.at, NULL, '', '', '', checkpoint.event, checkpoint.obj_type,
            checkpoint.obj_id, checkpoint.outcome, '', '', '', checkpoint.prev_hash, checkpoint.hash)
    RETURNING id INTO checkpoint_id;
    DELETE FROM audit_auditentry e WHERE e.seq < first_seq;
    GET DIAGNOSTICS deleted = ROW_COUNT;
    RETURN NEXT;
END;
$$;

REVOKE ALL ON FUNCTION sanshi_audit_seal(bigint[], bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION sanshi_audit_purge(integer) FROM PUBLIC;

CREATE OR REPLACE FUNCTION sanshi_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    stack text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        GET DIAGNOSTICS stack = PG_CONTEXT;
        IF stack ~ '\\nPL/pgSQL function sanshi_audit_purge\\(integer\\) line [0-9]+ at SQL statement' THEN
            RETURN NULL;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_auditentry is append-only: % refused (rows leave it only through sanshi_audit_purge)',
        TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE OR REPLACE FUNCTION sanshi_audit_journal_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    stack text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        GET DIAGNOSTICS stack = PG_CONTEXT;
        IF stack ~ '\\nPL/pgSQL function sanshi_audit_seal\\(bigint\\[\\],bigint\\) line [0-9]+ at SQL statement' THEN
            RETURN NULL;
        END IF;
    END IF;
    RAISE EXCEPTION 'audit_auditjournal is append-only: % refused (rows leave it only through sanshi_audit_seal)',
        TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;

-- one check per statement instead of per row: a purge deletes months of rows at once
DROP TRIGGER IF EXISTS audit_auditentry_append_only ON audit_auditentry;
CREATE TRIGGER audit_auditentry_append_only
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION sanshi_audit_append_only();
DROP TRIGGER IF EXISTS audit_auditjournal_append_only ON audit_auditjournal;
CREATE TRIGGER audit_auditjournal_append_only
    BEFORE UPDATE OR DELETE ON audit_auditjournal
    FOR EACH STATEMENT EXECUTE FUNCTION sanshi_audit_journal_guard();
"""

# back to 0006: the triggers of 0002 and 0004, per row, with their session switches
PREVIOUS = """
DROP FUNCTION IF EXISTS sanshi_audit_seal(bigint[], bigint);
DROP FUNCTION IF EXISTS sanshi_audit_purge(integer);
DROP FUNCTION IF EXISTS sanshi_audit_canonical(audit_auditentry);

CREATE OR REPLACE FUNCTION sanshi_audit_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND coalesce(current_setting('sanshi.audit_purge', true), '') = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_auditentry is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION sanshi_audit_journal_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND coalesce(current_setting('sanshi.audit_seal', true), '') = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_auditjournal is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS audit_auditentry_append_only ON audit_auditentry;
CREATE TRIGGER audit_auditentry_append_only
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION sanshi_audit_append_only();
DROP TRIGGER IF EXISTS audit_auditjournal_append_only ON audit_auditjournal;
CREATE TRIGGER audit_auditjournal_append_only
    BEFORE UPDATE OR DELETE ON audit_auditjournal
    FOR EACH ROW EXECUTE FUNCTION sanshi_audit_journal_guard();
"""


def install(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT current_schema()")
        schema = cursor.fetchone()[0]
    # SECURITY DEFINER: no object may be found in a schema the caller controls (pg_temp last)
    path = f"pg_catalog, {schema_editor.quote_name(schema)}, pg_temp"
    schema_editor.execute(FUNCTIONS.format(path=path, lock=AUDIT_LOCK_KEY, min_days=MIN_RETENTION_DAYS),
                          params=None)


def remove(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PREVIOUS, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0006_audit_reason")]

    operations = [migrations.RunPython(install, remove, elidable=False)]
