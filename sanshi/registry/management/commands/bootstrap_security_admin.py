"""`sanshi bootstrap_security_admin --username NAME`: the first security administrator (安全管理员)
at the root (district) node, for a production database where nobody can grant roles yet (it has
no superuser). The password comes from SANSHI_BOOTSTRAP_PASSWORD or is asked for (never echoed,
never a command-line argument: it would stay in the shell history and the process list). Refused
while an active security administrator exists; audited as `role.bootstrap`."""

import getpass
import os

from django.core.management.base import BaseCommand, CommandError

from sanshi.core.errors import ApplicationError
from sanshi.registry.models import OrgNode
from sanshi.registry.services import security_admin_bootstrap

PASSWORD_ENV = "SANSHI_BOOTSTRAP_PASSWORD"  # noqa: S105 — the name of the variable, not a password


class Command(BaseCommand):
    help = (f"Create the first security administrator at the root node (password from {PASSWORD_ENV} "
            "or asked for); refused when an active security administrator exists.")

    def add_arguments(self, parser):
        parser.add_argument("--username", required=True, help="the new account's user name")
        parser.add_argument("--display-name", default="", help="姓名 (optional)")
        parser.add_argument("--node", default="", help="the root node's code, when there are several roots")

    def handle(self, *args, username: str, display_name: str, node: str, **options):
        root = None
        if node:
            root = OrgNode.objects.filter(code=node).first()
            if root is None:
                raise CommandError(f"节点“{node}”不存在")
        password = os.environ.get(PASSWORD_ENV) or self._ask()
        try:
            role = security_admin_bootstrap(username=username, password=password, display_name=display_name,
                                            node=root)
        except ApplicationError as exc:
            details = "；".join(exc.field_errors().values())
            raise CommandError(f"{exc.detail()}{'：' + details if details else ''}") from None
        self.stdout.write(self.style.SUCCESS(
            f"已创建安全管理员 {role.user.username}（{role.node.name} {role.node.code}），已记入审计日志（role.bootstrap）。"))
        self.stdout.write(
            "下一步：\n"
            "  1. 用该账号登录 /accounts/login/（生产环境须先绑定动态口令）；\n"
            "  2. 打开“岗位与账号”页面 /staff/roles/：创建其他同事的账号、分配岗位；系统管理员、安全管理员、"
            "审计管理员须由三个不同的账号担任；\n"
            f"  3. 如果用环境变量 {PASSWORD_ENV} 传了密码，现在把它从环境和部署配置中删除。")

    def _ask(self) -> str:
        try:
            first = getpass.getpass("安全管理员的密码：")
            second = getpass.getpass("再输入一次：")
        except (EOFError, KeyboardInterrupt):
            raise CommandError(f"没有读到密码：请在终端中运行，或设置环境变量 {PASSWORD_ENV}") from None
        if not first:
            raise CommandError("密码不能为空")
        if first != second:
            raise CommandError("两次输入的密码不一致")
        return first
