"""Writing several new rows at once with fewer database round trips (the intake path).

Django saves one row per statement, and `transaction.atomic()` adds BEGIN and COMMIT: an intake
(case, request, event, audit row) cost six round trips to PostgreSQL. Here the rows go out as one
statement — `WITH r0 AS (INSERT …), r1 AS (INSERT …) SELECT …` — which PostgreSQL runs as a whole
or not at all, even outside a transaction. Each row's values are prepared as Django's insert
compiler prepares them (field defaults, `pre_save`, database preparation such as encryption; an
expression goes through the compiler itself), and the usual `pre_save` / `post_save` signals are
sent, so a row written here is the row `save()` would have written. The first statement of a
request doubles as the connection's health check (no `SELECT 1` before it).

Other databases (SQLite) save the rows one by one, inside the caller's transaction.
"""

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections, router, transaction
from django.db.models import NOT_PROVIDED, DateField, DateTimeField, Field, Model, TimeField, signals
from django.db.models.sql import InsertQuery


def _fast(alias: str) -> bool:
    return connections[alias].vendor == "postgresql"


def writing_together(*, transaction_needed: bool = False, using: str = DEFAULT_DB_ALIAS) -> AbstractContextManager:
    """Where to call `reserve_ids` and `insert_together`: on PostgreSQL outside a transaction
    nothing (the one statement is atomic by itself: no BEGIN and COMMIT); otherwise — SQLite, a
    caller's transaction (then a savepoint, so a failed insert leaves it usable), or
    `transaction_needed` (e.g. a lock the rows need) — `transaction.atomic()`."""
    if _fast(using) and not transaction_needed and not connections[using].in_atomic_block:
        return nullcontext()
    return transaction.atomic(using=using)


def reserve_ids(objs: Sequence[Model]) -> None:
    """Give new rows their primary keys before they are written, so that rows written together
    can refer to each other. PostgreSQL: one `SELECT nextval(…)` for all of them. SQLite: read from
    its sequence table, which needs the write lock: call inside `transaction.atomic()` (sanshi
    opens SQLite transactions IMMEDIATE, so the lock is held from the first statement)."""
    if not objs:
        return
    alias = router.db_for_write(type(objs[0]))
    connection = connections[alias]
    if _fast(alias):
        sql = "SELECT " + ", ".join("nextval(pg_get_serial_sequence(%s, %s))" for _ in objs)
        params = [p for obj in objs for p in (connection.ops.quote_name(obj._meta.db_table), obj._meta.pk.column)]
        ids = _fetch_as_health_check(connection, sql, params)
        for obj, pk in zip(objs, ids, strict=True):
            obj.pk = pk
        return
    if connection.vendor != "sqlite":
        raise NotImplementedError(f"reserve_ids: {connection.vendor} is not supported")
    if not connection.in_atomic_block:
        raise RuntimeError("reserve_ids on SQLite must run inside transaction.atomic()")
    last: dict[str, int] = {}
    with connection.cursor() as cursor:
        for obj in objs:
            table = obj._meta.db_table
            if table not in last:
                cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
                row = cursor.fetchone()
                if row is None:  # no row inserted yet (or the sequence was never created)
                    cursor.execute(f"SELECT max({connection.ops.quote_name(obj._meta.pk.column)}) "  # noqa: S608
                                   f"FROM {connection.ops.quote_name(table)}")
                    row = cursor.fetchone()
                last[table] = row[0] or 0
            last[table] += 1
            obj.pk = last[table]


def _fetch_as_health_check(connection, sql: str, params: list):
    """One row of a statement that may safely run twice (it writes nothing a retry would double),
    doubling as the connection's health check for this request (CONN_HEALTH_CHECKS): Django would
    otherwise send `SELECT 1` first, one more round trip. A connection found broken is closed, and
    the statement runs once more on a new one, as Django's own check would have arranged."""
    check = (connection.connection is not None and connection.health_check_enabled
             and not connection.health_check_done and not connection.in_atomic_block)
    if check:
        connection.health_check_done = True  # this statement is the check
    try:
        return _fetch_one(connection, sql, params)
    except (OperationalError, InterfaceError):
        if not check or connection.is_usable():
            raise  # the statement failed, not the connection
        connection.close()
        return _fetch_one(connection, sql, params)


def _fetch_one(connection, sql: str, params: list):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def _computes_on_save(field: Field) -> bool:
    """Whether the field's pre_save does more than read the attribute (auto_now, files …)."""
    pre_save = type(field).pre_save
    if pre_save in _DATE_PRE_SAVES:
        return field.auto_now or field.auto_now_add
    return pre_save is not Field.pre_save


_DATE_PRE_SAVES = {DateField.pre_save, DateTimeField.pre_save, TimeField.pre_save}


def _left_out(field: Field, obj: Model) -> bool:
    """Columns not named in the INSERT: an unset primary key (the database assigns it), and a
    nullable column without a database default whose value is None (it is NULL either way), when
    the field does not compute its value on save (auto_now, files). Fewer parameters to send and
    bind; psycopg caches the parsing of statements with at most 50 (an intake has 49)."""
    if field is obj._meta.auto_field:
        return obj.pk is None
    return (field.null and getattr(obj, field.attname) is None and field.db_default is NOT_PROVIDED
            and not _computes_on_save(field))


def _insert_sql(obj: Model, fields: list[Field], alias: str) -> tuple[str, list]:
    """`INSERT INTO … VALUES (…)` for one row and its parameters. The statement's text depends only
    on the model and the columns, so it is built once and kept; the values are prepared as Django's
    insert compiler prepares them (pre_save, then get_db_prep_save). A value that is an expression,
    or a field with its own placeholder (geometry), goes through the compiler itself."""
    connection = connections[alias]
    if any(hasattr(f, "get_placeholder") or hasattr(getattr(obj, f.attname), "resolve_expression") for f in fields):
        query = InsertQuery(type(obj))
        query.insert_values(fields, [obj])
        (sql, params), = query.get_compiler(alias).as_sql()
        return sql, list(params)
    key = (alias, obj._meta.label, tuple(f.column for f in fields))
    sql = _SQL.get(key)
    if sql is None:
        qn = connection.ops.quote_name
        sql = _SQL[key] = (f"INSERT INTO {qn(obj._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608
                           f"VALUES ({', '.join(['%s'] * len(fields))})")
    return sql, [field.get_db_prep_save(field.pre_save(obj, True), connection=connection) for field in fields]


_SQL: dict[tuple, str] = {}


def insert_together(objs: Sequence[Model]) -> None:
    """Insert these new rows (plain models, no inherited tables) as one statement on PostgreSQL;
    rows without a primary key get theirs from the database. Elsewhere each is saved in turn (call
    inside `transaction.atomic()` there). Either way all are written or none."""
    if not objs:
        return
    alias = router.db_for_write(type(objs[0]))
    if not _fast(alias):
        for obj in objs:
            obj.save(force_insert=True, using=alias)
        return
    connection = connections[alias]
    parts, params, names = [], [], []
    for n, obj in enumerate(objs):
        meta = obj._meta
        if meta.parents:
            raise ValueError(f"insert_together: {meta.label} inherits from another model")
        signals.pre_save.send(sender=type(obj), instance=obj, raw=False, using=alias, update_fields=None)
        sql, values = _insert_sql(obj, [f for f in meta.local_concrete_fields if not _left_out(f, obj)], alias)
        names.append(f"r{n}")
        parts.append(f"r{n} AS ({sql} RETURNING {connection.ops.quote_name(meta.pk.column)})")
        params.extend(values)
    select = ", ".join(f"(SELECT * FROM {name})" for name in names)  # noqa: S608 (names are ours)
    with connection.cursor() as cursor:
        cursor.execute(f"WITH {', '.join(parts)} SELECT {select}", params)
        ids = cursor.fetchone()
    for obj, pk in zip(objs, ids, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = alias
        signals.post_save.send(sender=type(obj), instance=obj, created=True, update_fields=None, raw=False,
                               using=alias)
