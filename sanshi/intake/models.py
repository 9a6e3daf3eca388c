from django.db import models
from django.utils.translation import gettext_lazy as _

from sanshi.core.fields import EncryptedTextField

from .channels import Channel, SubChannel

MAX_TEXT = 4000


class Request(models.Model):
    """A request (诉求) in the pool. It opens a case; several requests (duplicates) may share one."""

    tracking_code = models.CharField(_("查询码"), max_length=16, unique=True)
    title = models.CharField(_("标题"), max_length=120, blank=True)
    text = models.TextField(_("诉求内容"))
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    sub_channel = models.CharField(_("来源"), max_length=32, choices=SubChannel.choices)
    grid = models.ForeignKey("registry.OrgNode", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="requests", verbose_name=_("所在网格"))
    address = models.CharField(_("地址"), max_length=200, blank=True)
    reporter_name = models.CharField(_("反映人"), max_length=50, blank=True)
    reporter_phone = EncryptedTextField(_("联系电话"), blank=True)  # encrypted at rest
    # exact lookups only: a plain index (db_index would add a second, LIKE-pattern index on PostgreSQL)
    reporter_phone_hash = models.CharField(max_length=64, blank=True, editable=False)
    submitted_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="submitted_requests")
    received_at = models.DateTimeField(_("受理时间"), db_index=True)
    suggestion = models.JSONField(_("分拣建议"), default=dict, blank=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="requests")
    feedback = models.TextField(_("反馈内容"), blank=True)
    feedback_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["reporter_phone_hash"], name="request_phone_hash_idx")]
        verbose_name = _("诉求")
        verbose_name_plural = _("诉求")

    def __str__(self) -> str:
        return self.title or self.text[:20]


class Photo(models.Model):
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="requests/%Y/%m/")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.image.name
