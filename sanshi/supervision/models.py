"""Deadlines and supervision (督办): the working-day calendar, the street's ledger of public matters
(台账 / 挂账督办) and the grid leader's follow-up visits (回访). Names are read by the command board
(sanshi/command): keep `LedgerEntry`, `LedgerStage`, `FollowUpVisit` and their fields stable."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CalendarDay(models.Model):
    """An exception to the rule "Monday–Friday work, Saturday and Sunday rest": a public holiday on
    a weekday (is_workday=False, e.g. 国庆节) or a make-up working day on a weekend (调休上班)."""

    date = models.DateField(_("日期"), unique=True)
    is_workday = models.BooleanField(_("上班"), default=False,
                                     help_text=_("勾选：调休上班；不勾选：放假"))
    name = models.CharField(_("名称"), max_length=40, help_text=_("例如：国庆节、春节调休上班"))
    updated_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日与调休")
        verbose_name_plural = _("节假日与调休")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.name}（{'上班' if self.is_workday else '放假'}）"


class LedgerStage(models.IntegerChoices):
    """How far an overdue entry has climbed the ladder (挂账督办). Each rung fires once."""

    NONE = 0, _("未超期")
    REMINDED = 1, _("已提醒承办人")
    WARNED = 2, _("已警示街道领导")
    NOTIFIED = 3, _("已通报指挥中心")


class LedgerEntry(models.Model):
    """One PUBLIC matter on its street's ledger (台账): claimed by a street leader, who sets the
    deadline and reports progress, supervised until the case is accepted (closed)."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="ledger_entry",
                                verbose_name=_("事项"))
    street = models.ForeignKey("registry.OrgNode", on_delete=models.PROTECT, related_name="ledger_entries",
                               verbose_name=_("街道"))
    opened_at = models.DateTimeField(_("挂账时间"))
    claimed_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="claimed_ledger_entries", verbose_name=_("认领领导"))
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    deadline_days = models.PositiveSmallIntegerField(_("清单默认时限"), default=15)
    deadline_at = models.DateTimeField(_("完成时限"))
    deadline_reason = models.TextField(_("调整时限理由"), blank=True)
    progress_percent = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    stage = models.PositiveSmallIntegerField(_("督办阶段"), choices=LedgerStage.choices, default=LedgerStage.NONE)
    reminded_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)
    warned_at = models.DateTimeField(_("警示时间"), null=True, blank=True)
    notified_at = models.DateTimeField(_("通报时间"), null=True, blank=True)
    # when the next rung falls due (None: the ladder has fired its last rung, or the entry is closed)
    next_rung_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(_("销账时间"), null=True, blank=True)

    class Meta:
        ordering = ["deadline_at", "id"]
        indexes = [models.Index(fields=["closed_at", "next_rung_at"], name="ledger_ladder_idx"),
                   models.Index(fields=["street", "closed_at"], name="ledger_street_open_idx")]
        verbose_name = _("台账事项")
        verbose_name_plural = _("台账事项")

    def __str__(self) -> str:
        return f"{self.case_id} @ {self.street_id}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def state(self) -> str:
        """unclaimed | claimed | reminded | warned | notified | closed (for lists and the board)."""
        if self.closed_at is not None:
            return "closed"
        if self.stage:
            return {1: "reminded", 2: "warned", 3: "notified"}[self.stage]
        return "claimed" if self.claimed_by_id else "unclaimed"


class LedgerProgress(models.Model):
    """A dated progress report on a ledger entry (percent and/or text)."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.CASCADE, related_name="progress")
    at = models.DateTimeField(_("时间"))
    author = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL, related_name="+")
    percent = models.PositiveSmallIntegerField(_("进度（%）"), null=True, blank=True)
    note = models.TextField(_("进展情况"))

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("办理进展")
        verbose_name_plural = _("办理进展")

    def __str__(self) -> str:
        return f"{self.entry_id} {self.at:%Y-%m-%d}"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASICALLY = "basically", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("电话")
    DOOR = "door", _("上门")
    WECHAT = "wechat", _("微信")
    OTHER = "other", _("其他")


class FollowUpVisit(models.Model):
    """回访: after a HOUSEHOLD matter closes, a grid leader of its grid asks the resident whether
    they are satisfied. Open until recorded (done_at); an overdue visit reminds the grid leaders once."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="follow_up_visit",
                                verbose_name=_("事项"))
    grid = models.ForeignKey("registry.OrgNode", on_delete=models.PROTECT, related_name="follow_up_visits",
                             verbose_name=_("网格"))
    created_at = models.DateTimeField(_("生成时间"))
    due_at = models.DateTimeField(_("回访期限"))
    reminded_at = models.DateTimeField(_("超期提醒时间"), null=True, blank=True)
    done_at = models.DateTimeField(_("回访时间"), null=True, blank=True)
    visited_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("回访人"))
    satisfaction = models.CharField(_("满意度"), max_length=16, choices=Satisfaction.choices, blank=True)
    contact_method = models.CharField(_("回访方式"), max_length=16, choices=ContactMethod.choices, blank=True)
    note = models.TextField(_("回访记录"), blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["done_at", "reminded_at", "due_at"], name="visit_due_idx")]
        verbose_name = _("回访")
        verbose_name_plural = _("回访")

    def __str__(self) -> str:
        return f"{self.case_id} 回访"

    @property
    def is_open(self) -> bool:
        return self.done_at is None
