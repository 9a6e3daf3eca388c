from django.db import models

from .channels import Channel, SubChannel

MAX_TEXT = 4000


class Request(models.Model):
    """A request (诉求) in the pool. It opens a case; several requests (duplicates) may share one."""

    tracking_code = models.CharField("查询码", max_length=16, unique=True)
    title = models.CharField("标题", max_length=120, blank=True)
    text = models.TextField("诉求内容")
    channel = models.CharField("渠道", max_length=16, choices=Channel.choices)
    sub_channel = models.CharField("来源", max_length=32, choices=SubChannel.choices)
    grid = models.ForeignKey("registry.OrgNode", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="requests", verbose_name="所在网格")
    address = models.CharField("地址", max_length=200, blank=True)
    reporter_name = models.CharField("反映人", max_length=50, blank=True)
    reporter_phone = models.CharField("联系电话", max_length=20, blank=True)
    submitted_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="submitted_requests")
    received_at = models.DateTimeField("受理时间", db_index=True)
    suggestion = models.JSONField("分拣建议", default=dict, blank=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="requests")
    feedback = models.TextField("反馈内容", blank=True)
    feedback_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name = "诉求"
        verbose_name_plural = "诉求"

    def __str__(self) -> str:
        return self.title or self.text[:20]


class Photo(models.Model):
    request = models.ForeignKey(Request, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to="requests/%Y/%m/")
    uploaded_at = models.DateTimeField(auto_now_add=True)
