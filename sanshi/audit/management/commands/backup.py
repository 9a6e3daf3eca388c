"""`sanshi backup DIR`: a consistent backup of the database in DATABASE_URL, the photos and the triage
model, with a signed manifest (sanshi/audit/backup.py; docs/operations.md, "Backup and restore").
Never the field key: keep SANSHI_FIELD_KEY elsewhere."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from sanshi.audit.backup import BackupRefused, backup


class Command(BaseCommand):
    help = ("备份数据库（PostgreSQL：pg_dump -Fc；SQLite：在线备份）、照片和分拣模型到一个新目录，"
            "附签名清单（各表行数、审计链头、校验和、字段密钥指纹）。不含 SANSHI_FIELD_KEY。")

    def add_arguments(self, parser):
        parser.add_argument("directory", help="备份目录：新目录或空目录，如 /srv/backups/sanshi/$(date +%%F)")

    def handle(self, *args, directory: str, **options):
        try:
            backup(Path(directory), say=self.stdout.write)
        except BackupRefused as exc:
            raise CommandError(f"备份失败：{exc}") from exc
