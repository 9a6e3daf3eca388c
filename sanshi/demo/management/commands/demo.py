from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sanshi.accounts.models import User
from sanshi.demo.builder import DEMO_ACCOUNTS, build_demo, district_is_empty


class Command(BaseCommand):
    help = "Load the demo district (鼎山街道 + 城子街道) and print the demo accounts."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="only when the database has no district yet")
        parser.add_argument("--requests", type=int, default=320, help="how many demo requests (default 320)")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--accounts", action="store_true", help="only print the demo accounts")
        parser.add_argument("--remove-accounts", action="store_true",
                            help="deactivate every demo account (before going to production)")

    def handle(self, *args, **opts):
        if opts["remove_accounts"]:
            n = User.objects.filter(is_demo=True).update(is_active=False, is_demo=False, is_superuser=False,
                                                         is_staff=False, password="!")  # noqa: S106
            self.stdout.write(f"已停用 {n} 个演示账号")
            return
        if opts["accounts"]:
            return self.print_accounts()
        if not district_is_empty():
            if opts["if_empty"]:
                self.stdout.write("数据库中已有行政区划，跳过演示数据。")
                return self.print_accounts()
            raise CommandError("数据库中已有行政区划；演示数据只能装入空数据库（或使用 --if-empty）。")
        build_demo(requests=opts["requests"], seed=opts["seed"], out=self.stdout.write)
        self.print_accounts()

    def print_accounts(self):
        users = {u.username: u for u in User.objects.filter(is_demo=True, is_active=True,
                                                            username__startswith="demo-")}
        if not users:
            return
        self.stdout.write("")
        self.stdout.write(f"演示账号（密码均为 SANSHI_DEMO_PASSWORD，默认 {settings.SANSHI_DEMO_PASSWORD!r}）：")
        rows = [(name, role, what) for name, role, _place, _dept, what in DEMO_ACCOUNTS]
        rows.append(("demo-admin", "系统管理员", "后台 /admin/"))
        for name, role, what in rows:
            if name in users:
                self.stdout.write(f"  {name:<18} {str(getattr(role, 'label', role)):<14} {what}")
