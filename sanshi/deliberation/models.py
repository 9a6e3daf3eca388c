from django.db import models
from django.utils.translation import gettext_lazy as _

from sanshi.cases.routing import Body
from sanshi.registry.models import Level


class Form(models.TextChoices):
    MEETING = "meeting", _("会议协商")
    DOOR_TO_DOOR = "door_to_door", _("入户走访")
    WRITTEN = "written", _("书面征求")
    ONLINE = "online", _("线上议事")


class Meeting(models.Model):
    """A sitting of one of the three bodies (三会); it may take several cases (一事一议 each)."""

    body = models.CharField(_("议事主体"), max_length=32, choices=Body.choices)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    org = models.ForeignKey("registry.OrgNode", on_delete=models.PROTECT, related_name="meetings")
    title = models.CharField(_("会议名称"), max_length=120)
    convener = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="convened_meetings")
    form = models.CharField(_("议事形式"), max_length=16, choices=Form.choices, default=Form.MEETING)
    scheduled_at = models.DateTimeField(_("时间"))
    place = models.CharField(_("地点"), max_length=120, blank=True)
    minutes = models.TextField(_("会议纪要"), blank=True)
    held_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-scheduled_at"]
        verbose_name = _("议事会议")
        verbose_name_plural = _("议事会议")

    def __str__(self) -> str:
        return self.title


class Participant(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="participants")
    role = models.CharField(_("身份"), max_length=32)
    name = models.CharField(_("姓名"), max_length=50)
    user = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL)
    # a resident who took part, from the person register: participation is counted per household
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="participations")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.role} {self.name}"


class Purpose(models.TextChoices):
    DECIDE = "decide", _("议定")
    OPINION = "opinion", _("提出意见")  # a grid neighbour meeting on a shared matter of its community (J3)


class AgendaItem(models.Model):
    """One case on a meeting's agenda and the resolution taken on it (一事一议) — or, for a grid
    neighbour meeting discussing a shared matter of its community, the opinion it gives."""

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="agenda_items")
    purpose = models.CharField(_("议题性质"), max_length=16, choices=Purpose.choices, default=Purpose.DECIDE)
    resolution = models.TextField(_("议定事项"), blank=True)
    votes_for = models.PositiveIntegerField(_("赞成"), null=True, blank=True)
    votes_against = models.PositiveIntegerField(_("反对"), null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["meeting", "case"], name="unique_case_per_meeting")]

    def __str__(self) -> str:
        return f"{self.meeting_id}: {self.case_id}"


class Consultation(models.Model):
    """The community asks a grid's neighbour meeting for its opinion on a shared matter before the
    community review meeting decides it (J3: 15 grid meetings, then 3 community meetings). The
    grid's staff see the matter from then on."""

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="consultations")
    grid = models.ForeignKey("registry.OrgNode", on_delete=models.PROTECT, related_name="consultations")
    requested_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField()
    item = models.OneToOneField(AgendaItem, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="consultation")  # the meeting that gave the opinion

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["case", "grid"], name="one_consultation_per_grid")]

    def __str__(self) -> str:
        return f"{self.case_id} → {self.grid_id}"
