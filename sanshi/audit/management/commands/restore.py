"""`sanshi restore DIR`: load a backup written by `sanshi backup` into an empty database and an empty
photo folder, check it against its manifest and anchor "restored to head H" (sanshi/audit/backup.py;
docs/operations.md, "Backup and restore"). `--check` only checks the backup, writing nothing.
`sanshi restore --recovered-to TIME` (no DIR): after a PostgreSQL point-in-time recovery, check the
chain as it is and anchor its head as restored."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sanshi.audit.backup import BackupRefused, anchor_recovered, check_backup, restore, summary_lines


class Command(BaseCommand):
    help = ("把 sanshi backup 写的备份恢复到空数据库和空照片目录：先核对清单签名、校验和、字段密钥指纹，"
            "载入后核对各表行数和审计链头，再写入签名的恢复锚点。--check 只核对，不写入。")

    def add_arguments(self, parser):
        parser.add_argument("directory", nargs="?", default="", help="sanshi backup 写的备份目录")
        parser.add_argument("--check", action="store_true",
                            help="只核对备份（签名、校验和、数据库种类、字段密钥指纹），什么都不写")
        parser.add_argument("--no-owner", action="store_true",
                            help="PostgreSQL：不恢复属主和权限（目标集群没有原来的角色时），之后运行 sanshi db-roles")
        parser.add_argument("--recovered-to", default="", metavar="TIME",
                            help="不给备份目录：PostgreSQL 时间点恢复（PITR）之后，核对现有的审计链并把链头锚定为"
                                 "「恢复到 TIME」（recovery_target_time 的值）")

    def handle(self, *args, directory: str, check: bool, no_owner: bool, recovered_to: str, **options):
        write = self.stdout.write
        if bool(directory) == bool(recovered_to):
            raise CommandError("给出备份目录（sanshi restore DIR），或在时间点恢复之后用 --recovered-to TIME，二者取一")
        try:
            if recovered_to:
                anchor_recovered(recovered_to=recovered_to, say=write)
                write("下一步：运行 sanshi audit verify（应通过并显示恢复锚点）")
                return
            if check:
                manifest = check_backup(Path(directory), say=write)
                for line in summary_lines(manifest):
                    write(line)
                write("备份核对通过（未写入任何东西）")
                return
            result = restore(Path(directory), say=write, keep_owners=not no_owner)
        except BackupRefused as exc:
            raise CommandError(f"恢复被拒绝：{exc}") from exc
        for note in result.notes:
            write(note)
        write("下一步：运行 sanshi audit verify（应通过并显示恢复锚点），再启动网站和 worker；"
              "见 docs/operations.md「After a restore」")
