"""张榜公示: one notice per publication of a SHARED or PUBLIC matter (a matter published again after
an upheld objection or a redo gets a new one), what residents write on it during the objection
period, and one event row per state change of either. Everything a notice shows the public is
stored masked (no phone or ID number, names as 张*) when it is posted; a commenter's phone is
encrypted at rest and shown only to the staff who moderate."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from sanshi.catalog.models import Kind
from sanshi.core.fields import EncryptedTextField

from .transitions import CommentKind, CommentStatus, NoticeStatus


class Notice(models.Model):
    """A public notice of a case's resolution and result. Status changes only through
    `services._notice_move`."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="public_notices")
    event = models.OneToOneField("cases.CaseEvent", on_delete=models.PROTECT, related_name="public_notice",
                                 help_text="the case's publicise event this notice was posted by")
    node = models.ForeignKey("registry.OrgNode", on_delete=models.PROTECT, related_name="notices",
                             verbose_name=_("公示单位"))
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices)
    title = models.CharField(_("事项"), max_length=120)
    resolution = models.TextField(_("议定事项"), blank=True)
    result = models.TextField(_("办理结果"), blank=True)
    text = models.TextField(_("公示内容"), blank=True)
    vote = models.ForeignKey("votes.Vote", null=True, blank=True, on_delete=models.PROTECT, related_name="notices",
                             verbose_name=_("业主表决"))
    published_at = models.DateTimeField(_("公示时间"))
    objection_until = models.DateTimeField(_("异议期至"))
    status = models.CharField(_("状态"), max_length=16, choices=NoticeStatus.choices, default=NoticeStatus.POSTED)

    class Meta:
        ordering = ["-published_at", "-id"]
        indexes = [models.Index(fields=["node", "published_at"], name="notice_node_published_idx"),
                   models.Index(fields=["status", "objection_until"], name="notice_status_until_idx")]
        verbose_name = _("公示")
        verbose_name_plural = _("公示")

    def __str__(self) -> str:
        return self.title


class Comment(models.Model):
    """A resident's comment or objection on a notice. Nothing is shown until staff moderate it;
    status changes only through `services._comment_move`."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="comments")
    kind = models.CharField(_("类型"), max_length=16, choices=CommentKind.choices, default=CommentKind.COMMENT)
    text = models.TextField(_("内容"), max_length=1000)
    name = models.CharField(_("称呼"), max_length=50, blank=True)
    phone = EncryptedTextField(_("联系电话"), blank=True)  # encrypted at rest; the moderators' only
    status = models.CharField(_("状态"), max_length=16, choices=CommentStatus.choices, default=CommentStatus.PENDING)
    reason = models.CharField(_("审核说明"), max_length=200, blank=True)
    # what everyone reads once staff publish it: the text and, for an upheld objection, staff's note,
    # masked when published (numbers, the commenter's and the case's people's names as 张*)
    shown_text = models.TextField(blank=True)
    shown_reply = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField()
    moderated_at = models.DateTimeField(null=True, blank=True)
    moderated_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["notice", "status"], name="comment_notice_status_idx")]
        verbose_name = _("公示意见")
        verbose_name_plural = _("公示意见")

    def __str__(self) -> str:
        return f"{self.notice_id}: {self.kind}"


class NoticeEvent(models.Model):
    """One row per move of a notice or one of its comments: who, when, from, to, why."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="events")
    comment = models.ForeignKey(Comment, null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(max_length=16)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=60, blank=True)
    at = models.DateTimeField()
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.notice_id}: {self.action} {self.from_status}→{self.to_status}"
