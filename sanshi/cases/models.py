from django.db import models
from django.utils.translation import gettext_lazy as _

from sanshi.catalog.models import Kind
from sanshi.registry.models import Level

from .routing import Body


class Status(models.TextChoices):
    RECEIVED = "received", _("已受理")
    TRIAGED = "triaged", _("已分拣")
    DELIBERATING = "deliberating", _("议事中")
    HANDLING = "handling", _("办理中")
    PUBLICISED = "publicised", _("公示中")
    EVALUATING = "evaluating", _("评价中")
    CLOSED = "closed", _("已办结")


OPEN_STATUSES = [s for s in Status.values if s != Status.CLOSED]


class Case(models.Model):
    """A matter (事项) in its life cycle. Status changes only through cases.services.transition."""

    number = models.CharField(_("编号"), max_length=32, unique=True, null=True)
    title = models.CharField(_("事项"), max_length=120)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.RECEIVED,
                              db_index=True)
    kind = models.CharField(_("类别"), max_length=16, choices=Kind.choices, blank=True)
    catalogue_item = models.ForeignKey("catalog.CatalogueItem", null=True, blank=True,
                                       on_delete=models.PROTECT, verbose_name=_("清单事项"))
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices, blank=True)
    body = models.CharField(_("议事主体"), max_length=32, choices=Body.choices, blank=True)
    org = models.ForeignKey("registry.OrgNode", null=True, blank=True, on_delete=models.PROTECT,
                            related_name="cases", verbose_name=_("责任主体"))
    grid = models.ForeignKey("registry.OrgNode", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="grid_cases", verbose_name=_("所在网格"))
    urgent = models.BooleanField(_("紧急"), default=False)
    escalations = models.PositiveSmallIntegerField(_("提级次数"), default=0)
    resolution = models.TextField(_("议定事项"), blank=True)
    result = models.TextField(_("办理结果"), blank=True)
    notice = models.TextField(_("公示内容"), blank=True)
    # the triage suggestion the case was opened with (its first request's): overriding it needs a reason
    suggestion = models.JSONField(_("分拣建议"), default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["org", "status"], name="case_org_status_idx"),
                   # the board's urgent events: a few among a million open cases
                   models.Index(fields=["status"], condition=models.Q(urgent=True), name="case_urgent_status_idx")]
        verbose_name = _("事项")
        verbose_name_plural = _("事项")

    def __str__(self) -> str:
        return f"{self.number} {self.title}"


class CaseEvent(models.Model):
    """One row per move of a case (STYLE habit 4: the event log is the timeline)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=32)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    actor = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL)
    actor_label = models.CharField(max_length=60, blank=True, help_text="public description of who acted")
    at = models.DateTimeField(db_index=True)
    note = models.TextField(blank=True)
    public_note = models.TextField(blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        # who reached which stage when: scope (raters see a case from its notice on) and the figures
        indexes = [models.Index(fields=["action", "at"], name="caseevent_action_at_idx")]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.action} {self.from_status}→{self.to_status}"


class WhistleCall(models.Model):
    """吹哨报到: a district department summoned to a public matter, and its report back."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="whistle_calls")
    department = models.ForeignKey("registry.Department", on_delete=models.PROTECT)
    called_at = models.DateTimeField()
    called_by = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    reported_at = models.DateTimeField(null=True, blank=True)
    reported_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    report = models.TextField(blank=True)

    class Meta:
        ordering = ["called_at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.department_id}"
