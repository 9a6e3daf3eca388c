"""The security audit trail (等保 2.0 level 3): one append-only, hash-chained row per auditable event.

A row holds who (user id + username snapshot of a staff member, never a resident's data), in what
role and at which node, did what to which object, with what outcome, from which IP and request.
No personal data: no phone, ID number, resident name, password, token or tracking code.
"""

import hashlib
import json
from datetime import UTC

from django.db import models
from django.utils.translation import gettext_lazy as _

GENESIS_HASH = "0" * 64


class Outcome(models.TextChoices):
    OK = "ok", _("成功")
    DENIED = "denied", _("拒绝")
    FAILED = "failed", _("失败")


class AuditFields(models.Model):
    """What an audit row says: who, in what role at which node, did what to which object, with what
    outcome, from where. Shared by the chain and by the journal of rows not yet chained."""

    at = models.DateTimeField(_("时间"), db_index=True)
    actor_id = models.PositiveBigIntegerField(_("用户ID"), null=True, blank=True)  # no FK: rows outlive users
    actor_username = models.CharField(_("用户名"), max_length=150, blank=True)
    role = models.CharField(_("角色"), max_length=32, blank=True)
    node = models.CharField(_("组织节点"), max_length=64, blank=True)
    event = models.CharField(_("事件"), max_length=64, db_index=True)
    obj_type = models.CharField(_("对象类型"), max_length=32, blank=True)
    obj_id = models.CharField(_("对象ID"), max_length=64, blank=True)
    outcome = models.CharField(_("结果"), max_length=8, choices=Outcome.choices, default=Outcome.OK)
    ip = models.CharField(_("IP"), max_length=45, blank=True)
    request_id = models.CharField(_("请求ID"), max_length=64, blank=True)
    # why a staff member looked at personal data (a reveal), in their words; never personal data itself
    reason = models.CharField(_("理由"), max_length=200, blank=True, default="", db_default="")

    FIELDS = ("at", "actor_id", "actor_username", "role", "node", "event", "obj_type", "obj_id", "outcome", "ip",
              "request_id", "reason")

    class Meta:
        abstract = True


class AuditJournal(AuditFields):
    """Audit rows as the acts write them, in the act's own transaction, before they are chained.
    With deferred sealing (PostgreSQL's default) the worker moves them onto the chain within about
    a second (`audit_seal`), so that no act waits for the chain's lock; inline sealing (SQLite)
    chains each row at once and this table stays empty. Append-only on PostgreSQL like the chain.

    Only the primary key is indexed: the sealer reads in id order, nothing searches here, and every
    audited act inserts a row (the chain keeps its indexes on time and event)."""

    at = models.DateTimeField(_("时间"))
    event = models.CharField(_("事件"), max_length=64)

    class Meta:
        ordering = ["id"]
        verbose_name = _("待入链审计记录")
        verbose_name_plural = _("待入链审计记录")

    def __str__(self) -> str:
        return f"journal {self.pk} {self.event} {self.outcome}"


class AuditEntry(AuditFields):
    seq = models.PositiveBigIntegerField(_("链序号"), unique=True, help_text="position in the hash chain, 1, 2, 3 …")
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64, unique=True)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["obj_type", "obj_id"], name="audit_object_idx")]
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")

    def __str__(self) -> str:
        return f"#{self.seq} {self.event} {self.outcome}"

    def canonical(self) -> bytes:
        """The fields the hash covers, in a fixed order and format (UTC, microseconds)."""
        at = self.at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        fields = [self.seq, at, self.actor_id, self.actor_username, self.role, self.node, self.event,
                  self.obj_type, self.obj_id, self.outcome, self.ip, self.request_id, self.prev_hash]
        if self.reason:  # rows from before reasons were kept hash as they did
            fields.append(self.reason)
        return json.dumps(fields, ensure_ascii=False, separators=(",", ":")).encode()

    def compute_hash(self) -> str:
        return hashlib.sha256(self.canonical()).hexdigest()
