import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sanshi.accounts.models import User
from sanshi.demo.builder import DEMO_ACCOUNTS, build_demo, district_is_empty
from sanshi.demo.scenarios import SCENARIOS, build_scenario

# the accounts each scenario's figures are meant to be read with, and where to look
SCENARIO_ACCOUNTS = {
    "chengzi": [("demo-cz-operator", "城子街道指挥中心：/staff/dashboard/ 近12个月，办结公事56、共事131、家事273，"
                                     "12345热线工单同比 -14.11%")],
    "jiangjin": [("demo-district", "区级：/staff/dashboard/ 近12个月，化解率 97.75%、基层化解率 96.97%")],
}


class Command(BaseCommand):
    help = "Load the demo district (鼎山街道 + 城子街道) and print the demo accounts."

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true", help="only when the database has no district yet")
        parser.add_argument("--requests", type=int, default=320, help="how many demo requests (default 320)")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--accounts", action="store_true", help="only print the demo accounts")
        parser.add_argument("--remove-accounts", action="store_true",
                            help="deactivate every demo account (before going to production)")
        parser.add_argument("--scenario", choices=SCENARIOS,
                            help="instead of the plain demo, a district that replays a seed's figures (docs/scenarios.md)")
        parser.add_argument("--scale", type=float, default=1.0,
                            help="jiangjin only: this share of its 30,041 matters, with the same rates (default 1)")

    def handle(self, *args, **opts):
        if opts["remove_accounts"]:
            n = User.objects.filter(is_demo=True).update(is_active=False, is_demo=False, is_superuser=False,
                                                         is_staff=False, password="!")  # noqa: S106
            self.stdout.write(f"已停用 {n} 个演示账号")
            return
        if opts["accounts"]:
            return self.print_accounts()
        if opts["scenario"]:
            return self.scenario(opts)
        if not district_is_empty():
            if opts["if_empty"]:
                self.stdout.write("数据库中已有行政区划，跳过演示数据。")
                return self.print_accounts()
            raise CommandError("数据库中已有行政区划；演示数据只能装入空数据库（或使用 --if-empty）。")
        build_demo(requests=opts["requests"], seed=opts["seed"], out=self.stdout.write)
        self.print_accounts()

    def scenario(self, opts):
        name = opts["scenario"]
        if not 0 < opts["scale"] <= 1:
            raise CommandError("--scale 须大于 0、不超过 1")
        if not district_is_empty():
            if opts["if_empty"]:
                self.stdout.write(f"数据库中已有行政区划，跳过场景 {name}。")
                return self.print_accounts()
            raise CommandError(f"数据库中已有行政区划；场景 {name} 只能装入空数据库"
                               "（新建一个数据库，运行 sanshi migrate 后再试）。")
        started = time.monotonic()
        build_scenario(name, seed=opts["seed"], scale=opts["scale"], out=self.stdout.write)
        self.stdout.write(f"场景 {name} 已建成，用时 {time.monotonic() - started:.0f} 秒。")
        self.stdout.write("")
        self.stdout.write("先用这些账号看数据：")
        for username, what in SCENARIO_ACCOUNTS[name]:
            self.stdout.write(f"  {username:<18} {what}")
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
