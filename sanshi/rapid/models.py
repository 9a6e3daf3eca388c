"""Clocks on a case: the 1-5-10 limits of an urgent event (突发快响), later every case's deadline."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ClockName(models.TextChoices):
    DISPATCH = "dispatch", _("派单")
    ARRIVE = "arrive", _("到场")
    RESULT = "result", _("处置")


URGENT_CLOCKS = (ClockName.DISPATCH, ClockName.ARRIVE, ClockName.RESULT)


class ClockPolicy(models.Model):
    """A street's own limits, in minutes from receipt. A street without a row uses the defaults
    (1-5-10, J0); Shuangfu's 1-5-15 (J3) is a row, not code."""

    street = models.OneToOneField("registry.OrgNode", on_delete=models.CASCADE, related_name="clock_policy",
                                  verbose_name=_("街道"))
    dispatch_minutes = models.PositiveSmallIntegerField(_("派单时限（分钟）"), default=1)
    arrive_minutes = models.PositiveSmallIntegerField(_("到场时限（分钟）"), default=5)
    result_minutes = models.PositiveSmallIntegerField(_("处置时限（分钟）"), default=10)

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
        indexes = [models.Index(fields=["done_at", "breached_at", "due_at"], name="clock_sweep_idx")]
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
