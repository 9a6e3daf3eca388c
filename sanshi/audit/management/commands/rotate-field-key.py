"""`sanshi rotate-field-key`: after SANSHI_FIELD_KEY is replaced (the old key in
SANSHI_FIELD_KEY_PREVIOUS), rewrite every encrypted phone and ID number and its lookup hash under the
new key (sanshi/audit/rotation.py; docs/operations.md, "The field key")."""

from django.core.management.base import BaseCommand, CommandError

from sanshi.audit.rotation import field_key_rotate


class Command(BaseCommand):
    help = ("轮换字段密钥：新密钥放在 SANSHI_FIELD_KEY，旧密钥放在 SANSHI_FIELD_KEY_PREVIOUS，然后运行本命令，"
            "把所有加密的联系电话、身份证号及其查找哈希改用新密钥。可中断后重跑；完成后即可去掉旧密钥。")

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=500, help="每个事务处理的行数（默认 500）")

    def handle(self, *args, batch: int, **options):
        result = field_key_rotate(batch=max(1, batch), say=self.stdout.write)
        self.stdout.write(f"改写 {result.rewritten} 行，{result.unchanged} 行已是新密钥")
        if result.unreadable:
            for item in result.unreadable[:50]:
                self.stdout.write(f"无法解密：{item}")
            raise CommandError(f"{len(result.unreadable)} 个值用新旧密钥都无法解密，保持原样：请在 "
                               "SANSHI_FIELD_KEY_PREVIOUS 中补上加密它们的密钥后重跑")
        self.stdout.write("全部数据已改用新密钥：可以从 SANSHI_FIELD_KEY_PREVIOUS 去掉旧密钥，并立即运行 sanshi backup")
