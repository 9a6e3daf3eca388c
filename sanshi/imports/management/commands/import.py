"""sanshi import households|residents|accounts FILE --as USERNAME [--dry-run]
sanshi import households|residents|accounts --template FILE

The same services as the page (/staff/imports/), run as the account named by --as, whose roles
decide what it may import (the scope module): a community secretary or grid staff for households
and residents of their area, a security administrator for accounts. Progress goes to the screen;
every problem is printed as 第N行 · 列：问题, and then nothing is written."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from sanshi.core.errors import ApplicationError
from sanshi.imports.services import IMPORTERS
from sanshi.imports.sheets import SHEETS


class Command(BaseCommand):
    help = "从 Excel 导入住户、居民或工作人员账号（先 --dry-run 预检）"

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(SHEETS), help="households（住户）、residents（居民）或 accounts（账号）")
        parser.add_argument("file", help="按模板填写的 .xlsx 文件（--template：写出模板的位置）")
        parser.add_argument("--as", dest="username", default="", help="以哪个账号的身份导入（决定可导入的范围）")
        parser.add_argument("--dry-run", action="store_true", help="只预检：逐行报告问题，不写入")
        parser.add_argument("--template", action="store_true", help="写出空白模板到 FILE")

    def handle(self, *args, kind: str, file: str, username: str, dry_run: bool, template: bool, **options):
        sheet = SHEETS[kind]
        path = Path(file)
        if template:
            path.write_bytes(sheet.template())
            self.stdout.write(f"模板已写到 {path}")
            return
        actor = get_user_model().objects.filter(username=username, is_active=True).first() if username else None
        if actor is None:
            raise CommandError("请用 --as 指定一个在用的账号：导入以它的岗位和范围进行")
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        self.stdout.write(f"{'预检' if dry_run else '导入'}{sheet.title}：{path}（{path.stat().st_size} 字节），以 {actor.username} 的身份")
        with path.open("rb") as handle:
            upload = File(handle, name=path.name)
            try:
                report = IMPORTERS[kind](actor=actor, upload=upload, dry_run=dry_run,
                                         progress=lambda line: self.stdout.write(f"  {line}"))
            except ApplicationError as exc:
                raise CommandError(exc.detail() + "".join("：" + str(m) for m in exc.errors.values())) from None
        if report.errors:
            for e in report.errors:
                where = f"第{e.row}行" if e.row else "文件"
                self.stdout.write(f"{where} · {e.column or '—'}：{e.message}")
            raise CommandError(f"发现 {len(report.errors)} 个问题，未导入任何数据")
        summary = f"共 {report.rows} 行：新增 {report.created}，更新 {report.updated}，已登记未改动 {report.unchanged}"
        if dry_run:
            self.stdout.write(f"预检通过。{summary}。去掉 --dry-run 即导入。")
            return
        self.stdout.write(self.style.SUCCESS(f"导入完成。{summary}。"))
        for user in report.accounts:  # no activation link here: it is a credential, handed over by the page
            self.stdout.write(f"  {user.username}：已创建，未分配岗位。在“分配岗位”授予岗位后，"
                              "在“岗位与账号”列表中点“重新生成激活链接”交给本人")
