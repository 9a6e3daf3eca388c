import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from .fields import EncryptedTextField


class Job(models.Model):
    """A unit of work for `sanshi worker`: enqueued after commit, retried with back-off."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待执行")
        DONE = "done", _("已完成")
        FAILED = "failed", _("已失败")

    kind = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    run_at = models.DateTimeField(db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    result = models.JSONField(default=dict, blank=True)  # what a finished run did (its handler's dict)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "run_at"], name="job_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk} ({self.status})"


class Notification(models.Model):
    """A message in the app (the staff inbox), written by `core.notify.notify()` in the caller's
    transaction. Its copies on other channels are `Delivery` rows sent by the worker."""

    # derived from the job that wrote it (`core.jobs.effect_ids`): a job run again adds no second row.
    # Rows written before migration 0005 have none.
    uid = models.UUIDField(default=uuid.uuid4, unique=True, null=True, editable=False)
    recipient = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="notifications")
    request = models.ForeignKey("intake.Request", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="notifications")
    channel = models.CharField(max_length=32, default="in_app")
    kind = models.CharField(_("类别"), max_length=64, blank=True)  # e.g. clock_breach, ledger_warning
    link = models.CharField(_("链接"), max_length=300, blank=True)  # a path in the app to act on it
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_inbox_idx")]
        verbose_name = _("站内通知")
        verbose_name_plural = _("站内通知")

    def __str__(self) -> str:
        return self.subject


class NotificationPreference(models.Model):
    """A staff member's choice of external channels, and the mobile number for SMS (encrypted).
    Without a row: e-mail on (when the account has an address), no SMS."""

    user = models.OneToOneField("accounts.User", on_delete=models.CASCADE, related_name="notification_preference")
    email = models.BooleanField(_("接收邮件"), default=True)
    sms = models.BooleanField(_("接收短信"), default=True)
    phone = EncryptedTextField(_("短信号码"), blank=True)  # encrypted at rest

    class Meta:
        verbose_name = _("通知偏好")
        verbose_name_plural = _("通知偏好")

    def __str__(self) -> str:
        return str(self.user)


class WebhookEndpoint(models.Model):
    """A URL that receives notifications as signed JSON POSTs (e.g. a relay to a chat group)."""

    name = models.CharField(_("名称"), max_length=100)
    url = models.URLField(_("地址"), max_length=500, help_text=_("http:// 或 https:// 开头"))
    secret = models.CharField(_("签名密钥"), max_length=200, blank=True,
                              help_text=_("用于 HMAC-SHA256 签名（X-Sanshi-Signature 头）；为空则不签名"))
    kinds = models.CharField(_("事件类别"), max_length=500, blank=True,
                             help_text=_("逗号分隔的通知类别，如 clock_breach,whistle_call；为空表示全部"))
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Webhook 接收地址")
        verbose_name_plural = _("Webhook 接收地址")

    def __str__(self) -> str:
        return self.name

    def kind_list(self) -> list[str]:
        return [k.strip() for k in self.kinds.replace("，", ",").split(",") if k.strip()]

    def wants(self, kind: str) -> bool:
        kinds = self.kind_list()
        return not kinds or kind in kinds


class Delivery(models.Model):
    """One message on one external channel (e-mail, webhook, SMS), sent by the worker after the
    transaction that created it committed, retried with back-off; its status is the record."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("电子邮件")
        WEBHOOK = "webhook", _("Webhook")
        SMS = "sms", _("短信")

    class Status(models.TextChoices):
        PENDING = "pending", _("待发送")
        SENT = "sent", _("已送达")
        FAILED = "failed", _("发送失败")
        SKIPPED = "skipped", _("未发送")

    # the receiver's dedupe key (X-Sanshi-Delivery); derived from the job that wrote it (`core.jobs.effect_ids`)
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    kind = models.CharField(_("类别"), max_length=64, blank=True)
    notification = models.ForeignKey(Notification, null=True, blank=True, on_delete=models.CASCADE,
                                     related_name="deliveries")
    request = models.ForeignKey("intake.Request", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="deliveries")  # SMS to a reporter: the phone stays encrypted there
    endpoint = models.ForeignKey(WebhookEndpoint, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="deliveries")
    target = models.CharField(_("发送对象"), max_length=500, blank=True)  # address, URL or masked phone only
    payload = models.JSONField(default=dict)  # what is sent: subject/body, the webhook JSON, the SMS text
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("尝试次数"), default=0)
    last_error = models.TextField(_("最近错误"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "channel"], name="delivery_status_idx")]
        verbose_name = _("外部投递")
        verbose_name_plural = _("外部投递")

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.target} ({self.get_status_display()})"


class WorkerHeartbeat(models.Model):
    """When a worker's sweeper last finished a round (clocks, deadlines, audit sealing): one row per
    host, written at most once a second (`core.heartbeat.beat`), read by /readyz."""

    worker = models.CharField(max_length=100, unique=True)  # the host name
    swept_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.worker} swept at {self.swept_at:%Y-%m-%d %H:%M:%S}"
