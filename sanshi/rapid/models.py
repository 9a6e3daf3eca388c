"""Clocks on a case: the 1-5-10 limits of an urgent event (突发快响), later every case's deadline."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ClockName(models.TextChoices):
    DISPATCH = "dispatch", _("派单")
    ARRIVE = "arrive", _("到场")
    RESULT = "result", _("处置")
    REINFORCE = "reinforce", _("增援到场")
    DEADLINE = "deadline", _("办理期限")


URGENT_CLOCKS = (ClockName.DISPATCH, ClockName.ARRIVE, ClockName.RESULT)
RAPID_CLOCKS = (*URGENT_CLOCKS, ClockName.REINFORCE)  # swept and told here; DEADLINE is sanshi.supervision's


class ClockPolicy(models.Model):
    """A street's own limits, in minutes from receipt. A street without a row uses the defaults
    (1-5-10, J0). Shuangfu's 1-5-15 (J3: dispatch in 1, first responders on site in 5,
    comprehensive law-enforcement reinforcement on site within 15, all from receipt) is a row, not
    code: `reinforce_minutes=15, reinforce_from_receipt=True` (its result limit stays the default)."""

    street = models.OneToOneField("registry.OrgNode", on_delete=models.CASCADE, related_name="clock_policy",
                                  verbose_name=_("街道"))
    dispatch_minutes = models.PositiveSmallIntegerField(_("派单时限（分钟）"), default=1)
    arrive_minutes = models.PositiveSmallIntegerField(_("到场时限（分钟）"), default=5)
    result_minutes = models.PositiveSmallIntegerField(_("处置时限（分钟）"), default=10)
    reinforce_minutes = models.PositiveSmallIntegerField(_("增援到场时限（分钟）"), default=15)
    # J3 counts the reinforcement's arrival from receipt; by default it runs from the request for it
    reinforce_from_receipt = models.BooleanField(_("增援时限自受理起算"), default=False)

    class Meta:
        verbose_name = _("快响时限")
        verbose_name_plural = _("快响时限")

    def __str__(self) -> str:
        return f"{self.street_id}: {self.dispatch_minutes}-{self.arrive_minutes}-{self.result_minutes}"

    def minutes(self, name: str) -> int:
        return getattr(self, f"{name}_minutes")


class Clock(models.Model):
    """One limit on one case. Pending until `done_at`; `breached_at` records when the limit was
    found broken — by the worker's sweep (which also notifies) or by a late completion."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="clocks")
    name = models.CharField(_("时限"), max_length=16, choices=ClockName.choices)
    started_at = models.DateTimeField(_("起算时间"))
    due_at = models.DateTimeField(_("到期时间"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    breached_at = models.DateTimeField(_("超时记录时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "name"], name="unique_clock_per_case")]
        indexes = [models.Index(fields=["done_at", "breached_at", "due_at"], name="clock_sweep_idx"),
                   models.Index(fields=["started_at"], name="clock_started_idx"),  # compliance by period
                   # the board's overdue panel: open clocks past due, among a million open deadlines
                   models.Index(fields=["due_at"], condition=models.Q(done_at__isnull=True), name="clock_open_due_idx")]
        verbose_name = _("时限")
        verbose_name_plural = _("时限")

    def __str__(self) -> str:
        return f"{self.case_id}:{self.name} due {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def breached(self) -> bool:
        return self.breached_at is not None

    @property
    def state(self) -> str:
        """pending | done | breached (still open) | done_late"""
        if self.done_at is None:
            return "breached" if self.breached else "pending"
        return "done_late" if self.breached else "done"


class TeamKind(models.TextChoices):
    POLICE = "police", _("派出所/巡逻服务站")
    SQUAD = "squad", _("街道应急队")


class ResponseTeam(models.Model):
    """A team that answers urgent events in a street: police matters go to the police station or
    patrol service post, other matters to the street emergency squad. It covers some zones (片区)
    of its street — an empty list covers the whole street — and is on duty or not."""

    street = models.ForeignKey("registry.OrgNode", on_delete=models.PROTECT, related_name="response_teams",
                               verbose_name=_("街道"))
    name = models.CharField(_("名称"), max_length=60)
    kind = models.CharField(_("类型"), max_length=16, choices=TeamKind.choices, default=TeamKind.SQUAD)
    zones = models.JSONField(_("负责片区"), default=list, blank=True, help_text=_("片区名称列表；留空表示全街道"))
    on_duty = models.BooleanField(_("在岗"), default=True)
    members = models.ManyToManyField("accounts.User", through="TeamMember", related_name="response_teams",
                                     verbose_name=_("队员"))

    class Meta:
        ordering = ["street_id", "name"]
        verbose_name = _("应急处置队伍")
        verbose_name_plural = _("应急处置队伍")

    def __str__(self) -> str:
        return self.name


class TeamMember(models.Model):
    team = models.ForeignKey(ResponseTeam, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="team_memberships")
    is_leader = models.BooleanField(_("队长"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="unique_team_member")]
        verbose_name = _("队员")
        verbose_name_plural = _("队员")

    def __str__(self) -> str:
        return f"{self.team_id}:{self.user_id}"


class Dispatch(models.Model):
    """One team sent to one urgent case (the first dispatch, or a reinforcement). Each step is
    also a case event; these columns are the team's own record of its times."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="dispatches")
    team = models.ForeignKey(ResponseTeam, on_delete=models.PROTECT, related_name="dispatches")
    reinforcement_for = models.ForeignKey("self", null=True, blank=True, on_delete=models.CASCADE,
                                          related_name="reinforcements")
    dispatched_at = models.DateTimeField(_("派单时间"))
    dispatched_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")
    police = models.BooleanField(_("警情"), default=False, help_text=_("派单时认定为警务事件"))
    reason = models.CharField(_("派单理由"), max_length=200, blank=True)
    accepted_at = models.DateTimeField(_("接单时间"), null=True, blank=True)
    accepted_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    arrived_at = models.DateTimeField(_("到场时间"), null=True, blank=True)
    arrived_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    result_at = models.DateTimeField(_("反馈结果时间"), null=True, blank=True)
    result_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    result = models.TextField(_("处置结果"), blank=True)
    photo = models.ImageField(_("现场照片"), upload_to="dispatch/%Y/%m/", blank=True)
    reinforcement_requested_at = models.DateTimeField(_("请求增援时间"), null=True, blank=True)
    reinforcement_note = models.TextField(_("增援说明"), blank=True)
    reinforcement_requested_by = models.ForeignKey("accounts.User", null=True, blank=True,
                                                   on_delete=models.SET_NULL, related_name="+")
    # withdrawn by the command centre before the team arrived (撤回派单), so that another team goes
    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)
    withdrawn_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    withdraw_reason = models.CharField(_("撤回理由"), max_length=200, blank=True)

    class Meta:
        ordering = ["dispatched_at", "id"]
        indexes = [models.Index(fields=["team", "result_at"], name="dispatch_team_open_idx")]
        verbose_name = _("派单")
        verbose_name_plural = _("派单")

    def __str__(self) -> str:
        return f"{self.case_id} → {self.team_id}"

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_at is not None

    @property
    def step(self) -> str:
        """The team's next step: accept | arrive | result | done — or withdrawn (no more steps)."""
        if self.withdrawn_at is not None:
            return "withdrawn"
        if self.accepted_at is None:
            return "accept"
        if self.arrived_at is None:
            return "arrive"
        if self.result_at is None:
            return "result"
        return "done"
