"""Least-privilege PostgreSQL roles (`sanshi db-roles`; docs/security.md, docs/audit.md).

The documented set-up used to connect the server as the superuser, who can switch the audit
trail's triggers off; and any role could delete audit rows after `SET LOCAL sanshi.audit_purge`.
`db_roles_ensure` sets up two roles instead, connected as a superuser:

- the *owner* runs `sanshi migrate`: it owns the schema's tables, their sequences and the functions,
  and may create tables in the schema; the server never uses it;
- the *app* role is what the web server and the worker connect as: LOGIN, no superuser, cannot
  create roles or databases; SELECT/INSERT/UPDATE/DELETE on the application's tables and USAGE on
  the sequences, but on the audit tables only SELECT and INSERT — no UPDATE, DELETE or TRUNCATE,
  whatever it sets in its session. Journal rows leave only through `sanshi_audit_seal()`, chain rows
  only through `sanshi_audit_purge()` (migration audit/0007): SECURITY DEFINER functions owned by the
  owner, which the app may execute and which refuse anything but sealing and a ≥ 184-day purge.

Tables the owner creates later get the app's grants by default privileges. Run again after each
`migrate` (it is idempotent: same roles, same grants): a new audit table loses UPDATE/DELETE then,
and tables created by another role are handed to the owner."""

import re
import secrets
from dataclasses import dataclass, field

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from psycopg import sql

AUDIT_TABLES = ("audit_auditentry", "audit_auditjournal")
AUDIT_FUNCTIONS = ("sanshi_audit_seal(bigint[], bigint)", "sanshi_audit_purge(integer)")
APP_TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE")
ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
RELATION_KINDS = {"r": "TABLE", "p": "TABLE", "f": "FOREIGN TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW",
                  "S": "SEQUENCE"}


class RolesRefused(Exception):
    """Nothing was changed; the message says why, in Chinese."""


@dataclass
class RolesReport:
    database: str
    schema: str
    owner: str
    app: str
    host: str
    port: str
    passwords: dict[str, str] = field(default_factory=dict)  # set by this run (a new role, or asked for)
    done: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    def url(self, role: str) -> str:
        password = self.passwords.get(role, f"<{role} 的密码>")
        return f"postgres://{role}:{password}@{self.host}:{self.port}/{self.database}"


def db_roles_ensure(*, owner: str, app: str, using: str = DEFAULT_DB_ALIAS,
                    new_passwords: bool = False) -> RolesReport:
    """Create or bring in line the owner and app roles for the connected database, in one transaction."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        raise RolesRefused("sanshi db-roles 只用于 PostgreSQL（当前数据库是 %s）" % connection.vendor)
    for name in (owner, app):
        if not ROLE_NAME.match(name) or name.startswith("pg_"):
            raise RolesRefused(f"角色名 {name!r} 不可用：只用小写字母、数字和下划线，以字母或下划线开头，不以 pg_ 开头")
    if owner == app:
        raise RolesRefused("属主角色和运行时角色必须是两个不同的角色")
    settings = connection.settings_dict
    with transaction.atomic(using=using), connection.cursor() as cursor:
        def run(query: sql.Composable) -> None:
            cursor.execute(query.as_string(connection.connection))

        def one(query: str, params: list | None = None):
            cursor.execute(query, params)
            return cursor.fetchone()

        me, database, schema, superuser = one(
            "SELECT current_user, current_database(), current_schema(), "
            "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user)")
        if not superuser:
            raise RolesRefused(f"请以超级用户连接数据库再运行（当前用户 {me} 不是超级用户）")
        if me in (owner, app):
            raise RolesRefused(f"当前连接的用户 {me} 不能同时用作属主或运行时角色")
        if one("SELECT to_regprocedure('sanshi_audit_seal(bigint[],bigint)') IS NULL")[0]:
            raise RolesRefused("数据库还没有审计函数：请先以超级用户或属主运行 sanshi migrate（迁移 audit 0007）")
        report = RolesReport(database=database, schema=schema, owner=owner, app=app,
                             host=settings.get("HOST") or "localhost", port=str(settings.get("PORT") or 5432))
        role, db, ns = sql.Identifier(owner), sql.Identifier(database), sql.Identifier(schema)
        app_role = sql.Identifier(app)

        # 1. the two roles: created if missing, their attributes set every time
        for name, purpose in ((owner, "属主：运行 sanshi migrate，拥有数据表"), (app, "运行时：网站与 worker")):
            found = one("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [name])
            if found is None:
                run(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(name)))
                report.done.append(f"创建角色 {name}（{purpose}）")
            elif found[0]:
                raise RolesRefused(f"角色 {name} 是超级用户，不能用作{purpose.split('：')[0]}角色：请换一个名字")
            else:
                report.done.append(f"角色 {name} 已存在（{purpose}），属性已核对")
            run(sql.SQL("ALTER ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS")
                .format(sql.Identifier(name)))
            if found is None or new_passwords:
                password = secrets.token_urlsafe(24)
                # hashed here (SCRAM): the password itself never reaches the server's statement log
                verifier = connection.connection.pgconn.encrypt_password(
                    password.encode(), name.encode(), b"scram-sha-256").decode()
                run(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(name), sql.Literal(verifier)))
                report.passwords[name] = password
        for name in (owner, app):
            borrowed = one("SELECT string_agg(r.rolname, ', ') FROM pg_roles r WHERE r.rolname <> %s "
                           "AND pg_has_role(%s, r.oid, 'MEMBER') AND (r.rolsuper OR r.rolname IN (%s, %s))",
                           [name, name, owner, app])[0]
            if borrowed:
                raise RolesRefused(f"角色 {name} 是 {borrowed} 的成员，会借用其权限：请先 REVOKE {borrowed} FROM {name}")

        # 2. database and schema: only the owner creates objects
        run(sql.SQL("GRANT CONNECT, TEMPORARY ON DATABASE {} TO {}").format(db, role))
        run(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(db, app_role))
        run(sql.SQL("REVOKE CREATE ON SCHEMA {} FROM PUBLIC, {}").format(ns, app_role))
        run(sql.SQL("GRANT USAGE, CREATE ON SCHEMA {} TO {}").format(ns, role))
        run(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(ns, app_role))
        report.done.append(f"数据库 {database}：两个角色可连接；模式 {schema} 只有 {owner} 可建对象")

        # 3. the owner owns every table, view and free-standing sequence (a column's sequence follows its
        #    table) and every function of the schema, extensions' objects excepted
        cursor.execute(
            "SELECT c.relkind, c.relname FROM pg_class c WHERE c.relnamespace = %s::regnamespace "
            "AND c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S') AND c.relowner <> %s::regrole "
            "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
            "AND d.objid = c.oid AND d.deptype IN ('e', 'a', 'i')) ORDER BY c.relkind <> 'S', c.relname",
            [schema, owner])
        relations = cursor.fetchall()
        for kind, name in relations:
            run(sql.SQL("ALTER {} {}.{} OWNER TO {}").format(sql.SQL(RELATION_KINDS[kind]), ns,
                                                              sql.Identifier(name), role))
        cursor.execute(
            "SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.pronamespace = %s::regnamespace "
            "AND p.prokind IN ('f', 'p') AND p.proowner <> %s::regrole AND NOT EXISTS (SELECT 1 FROM pg_depend d "
            "WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')", [schema, owner])
        routines = [r[0] for r in cursor.fetchall()]
        for signature in routines:  # regprocedure's text is quoted by the server
            run(sql.SQL("ALTER ROUTINE {} OWNER TO {}").format(sql.SQL(signature), role))
        report.done.append(f"属主改为 {owner}：{len(relations)} 个表/视图/序列，{len(routines)} 个函数"
                           "（原本已属于它的不计；列的序列随表）")

        # 4. the app's grants, from nothing each time (so a second run leaves the same grants)
        run(sql.SQL("REVOKE ALL ON ALL TABLES IN SCHEMA {} FROM {}").format(ns, app_role))
        run(sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}").format(ns, app_role))
        for table in AUDIT_TABLES:
            target = sql.SQL("{}.{}").format(ns, sql.Identifier(table))
            run(sql.SQL("REVOKE ALL ON TABLE {} FROM PUBLIC, {}").format(target, app_role))
            run(sql.SQL("GRANT SELECT, INSERT ON TABLE {} TO {}").format(target, app_role))
        run(sql.SQL("REVOKE ALL ON ALL SEQUENCES IN SCHEMA {} FROM {}").format(ns, app_role))
        run(sql.SQL("GRANT USAGE ON ALL SEQUENCES IN SCHEMA {} TO {}").format(ns, app_role))
        for function in AUDIT_FUNCTIONS:
            run(sql.SQL("REVOKE ALL ON FUNCTION {}.{} FROM PUBLIC").format(ns, sql.SQL(function)))
            run(sql.SQL("GRANT EXECUTE ON FUNCTION {}.{} TO {}").format(ns, sql.SQL(function), app_role))
        report.done.append(f"{app}：各数据表 SELECT/INSERT/UPDATE/DELETE，序列 USAGE；审计表 "
                           f"{'、'.join(AUDIT_TABLES)} 只有 SELECT/INSERT（无 UPDATE、DELETE、TRUNCATE）")
        report.done.append(f"入链与清理只经 sanshi_audit_seal()、sanshi_audit_purge()（SECURITY DEFINER，属主 {owner}）："
                           f"{app} 可执行，其他角色不可；清理拒绝少于 184 天")

        # 5. tables and sequences the owner creates later (migrations) get the same grants
        run(sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT SELECT, INSERT, UPDATE, DELETE "
                    "ON TABLES TO {}").format(role, ns, app_role))
        run(sql.SQL("ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT USAGE ON SEQUENCES TO {}")
            .format(role, ns, app_role))
        report.done.append(f"默认权限：{owner} 今后建的表和序列自动授予 {app} 同样的权限（新的审计表要再运行本命令）")

        _check(report, one)
    return report


def _check(report: RolesReport, one) -> None:
    """Read back what the app may do (PUBLIC and memberships included); refuse, rolling back, if the audit
    tables are open to it."""
    owner, app, schema = report.owner, report.app, report.schema
    for table in AUDIT_TABLES:
        qualified = f'"{schema}"."{table}"'
        may = {p: one("SELECT has_table_privilege(%s, %s, %s)", [app, qualified, p])[0]
               for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "TRIGGER", "REFERENCES")}
        if not (may["SELECT"] and may["INSERT"]) or any(may[p] for p in may if p not in ("SELECT", "INSERT")):
            raise RolesRefused(f"核对失败：{app} 对 {table} 的权限是 {may}")
        report.checks.append(f"{app} 对 {table}：SELECT、INSERT 可；UPDATE、DELETE、TRUNCATE 不可 ✓")
    missing = one(
        "SELECT count(*) FROM pg_class c WHERE c.relnamespace = %s::regnamespace AND c.relkind IN ('r', 'p') "
        "AND c.relname <> ALL (%s) AND NOT (has_table_privilege(%s, c.oid, 'SELECT') AND "
        "has_table_privilege(%s, c.oid, 'INSERT') AND has_table_privilege(%s, c.oid, 'UPDATE') AND "
        "has_table_privilege(%s, c.oid, 'DELETE'))", [schema, list(AUDIT_TABLES), app, app, app, app])[0]
    if missing:
        raise RolesRefused(f"核对失败：{app} 缺少 {missing} 个数据表的读写权限")
    foreign = one("SELECT count(*) FROM pg_class c WHERE c.relnamespace = %s::regnamespace "
                  "AND c.relkind IN ('r', 'p', 'S') AND c.relowner <> %s::regrole "
                  "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_class'::regclass "
                  "AND d.objid = c.oid AND d.deptype = 'e')", [schema, owner])[0]
    if foreign:
        raise RolesRefused(f"核对失败：仍有 {foreign} 个表或序列不属于 {owner}")
    report.checks.append(f"其余数据表 {app} 均可读写；所有表和序列属于 {owner} ✓")
    for function in AUDIT_FUNCTIONS:
        name = function.replace(" ", "")
        owned, callable_ = one("SELECT pg_get_userbyid(p.proowner) = %s, has_function_privilege(%s, p.oid, 'EXECUTE') "
                               "FROM pg_proc p WHERE p.oid = to_regprocedure(%s)", [owner, app, name])
        if not (owned and callable_):
            raise RolesRefused(f"核对失败：{function} 属主或执行权限不对")
    report.checks.append(f"sanshi_audit_seal、sanshi_audit_purge 属于 {owner}，{app} 可执行 ✓")
