"""`sanshi db-roles --owner ROLE --app ROLE`: least-privilege PostgreSQL roles (sanshi/audit/roles.py).

Connected as a superuser (DATABASE_URL=postgres://postgres@…/sanshi), it creates the owner role that
runs migrations and the run-time role the server and the worker use, hands the schema's objects to the
owner, grants the run-time role what it needs — on the audit tables only SELECT and INSERT — and
prints, in Chinese, what it did and the connection strings to use. Idempotent: run it again after
each `migrate`."""

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from sanshi.audit.roles import RolesRefused, db_roles_ensure


class Command(BaseCommand):
    help = ("PostgreSQL 最小权限角色：属主（迁移）与运行时角色（网站、worker）；审计表只可查询和追加。"
            "以超级用户连接运行；可重复运行。")

    def add_arguments(self, parser):
        parser.add_argument("--owner", required=True, help="属主角色：拥有数据表，运行 sanshi migrate")
        parser.add_argument("--app", required=True, help="运行时角色：网站与 worker 用它连接")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="Django 数据库别名（默认 default）")
        parser.add_argument("--new-passwords", action="store_true",
                            help="给两个角色设新密码并显示（默认只给新建的角色设密码）")

    def handle(self, *args, owner: str, app: str, database: str, new_passwords: bool, **options):
        try:
            report = db_roles_ensure(owner=owner, app=app, using=database, new_passwords=new_passwords)
        except RolesRefused as exc:
            raise CommandError(str(exc)) from exc
        write = self.stdout.write
        write(f"数据库 {report.database}（模式 {report.schema}）已完成：")
        for line in report.done:
            write(f"  - {line}")
        write("核对：")
        for line in report.checks:
            write(f"  - {line}")
        write("")
        write("连接串：")
        write(f"  网站与 worker（运行时）：DATABASE_URL={report.url(report.app)}")
        write(f"  迁移（只在升级时）：DATABASE_URL={report.url(report.owner)} sanshi migrate")
        write(f"  迁移之后再以超级用户运行一次：sanshi db-roles --owner {report.owner} --app {report.app}")
        if report.passwords:
            write(f"新密码只显示这一次（{'、'.join(report.passwords)}）：请存入部署的密钥管理，不要写进代码库。")
        else:
            write("密码未改动（已有的角色）；要设新密码加 --new-passwords。")
