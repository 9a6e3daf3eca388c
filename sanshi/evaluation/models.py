"""Evaluation by both sides (监督科学化, J0 "multi-dimensional"): each designated group rates a round;
the round is decided when its rating period ends (docs/adr/0007-groups-decide-a-round.md)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Rating(models.TextChoices):
    GOOD = "good", _("满意")
    BAD = "bad", _("不满意")


class Group(models.TextChoices):
    """The designated groups (J0 §3 step 4): the parties rate household matters; the supervision
    committee shared ones; the people's-congress committee public ones; democratic supervisors all."""

    PARTIES = "party", _("当事人")
    DEMOCRATIC_SUPERVISORS = "democratic_supervisor", _("民主监督员")
    SUPERVISION_COMMITTEE = "supervision_committee", _("居务监督委员会")
    PEOPLES_CONGRESS = "peoples_congress", _("街道人大工委")


class Outcome(models.TextChoices):
    GOOD = "good", _("满意，办结")
    BAD = "bad", _("不满意，提级复议")
    FINAL_BAD = "final_bad", _("区级复议后仍不满意（终局）")
    LAPSED = "lapsed", _("评价期满未收到评价，办结")


class EvaluationRound(models.Model):
    """One round of rating of a case: opened when evaluation is requested, decided by the worker when
    its period (SANSHI_RATING_PERIOD_DAYS working days) ends."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="evaluation_rounds")
    number = models.PositiveSmallIntegerField(_("评价轮次"))
    opened_at = models.DateTimeField(_("开始时间"))
    due_at = models.DateTimeField(_("评价截止"), db_index=True)
    decided_at = models.DateTimeField(_("评定时间"), null=True, blank=True)
    outcome = models.CharField(_("评定结果"), max_length=16, choices=Outcome.choices, blank=True)
    groups = models.JSONField(_("各组评价"), default=dict, blank=True)  # group → {"good": n, "bad": n, "bad_group": bool}

    class Meta:
        ordering = ["case_id", "number"]
        constraints = [models.UniqueConstraint(fields=["case", "number"], name="unique_round_per_case")]
        indexes = [models.Index(fields=["due_at"], condition=models.Q(decided_at__isnull=True),
                                name="round_undecided_due_idx")]
        verbose_name = _("评价轮次")
        verbose_name_plural = _("评价轮次")

    def __str__(self) -> str:
        return f"{self.case_id}#{self.number}"


class PartyCode(models.Model):
    """A party to a household matter other than its reporters (every side of a dispute, named among
    the participants of its grid neighbour meeting) rates with a code of its own, sent by SMS or
    printed on a slip once; a reporter rates with the tracking code."""

    round = models.ForeignKey(EvaluationRound, on_delete=models.CASCADE, related_name="party_codes")
    name = models.CharField(_("当事人"), max_length=50)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL)
    code = models.CharField(_("评价码"), max_length=16, unique=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    printed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["round_id", "id"]
        verbose_name = _("当事人评价码")
        verbose_name_plural = _("当事人评价码")

    def __str__(self) -> str:
        return f"{self.round_id}: {self.name}"


class Evaluation(models.Model):
    """One rating by one member of a group in one round. Every rating is kept."""

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="evaluations")
    round = models.PositiveSmallIntegerField(_("评价轮次"), default=1)
    evaluation_round = models.ForeignKey(EvaluationRound, null=True, blank=True, on_delete=models.CASCADE,
                                         related_name="ratings")
    group = models.CharField(_("评价组"), max_length=32, choices=Group.choices, blank=True)
    rater = models.CharField(max_length=40, blank=True,
                             help_text="who rated, once per round: user:<id>, request:<id> (a reporter), code:<id>")
    rating = models.CharField(_("评价"), max_length=8, choices=Rating.choices)
    comment = models.TextField(_("意见"), blank=True)
    evaluator = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL)
    evaluator_role = models.CharField(_("评价人身份"), max_length=32)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
        constraints = [models.UniqueConstraint(fields=["evaluation_round", "rater"], name="one_rating_per_rater",
                                               condition=~models.Q(rater=""))]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.rating}"
