from django.db import models
from django.utils.translation import gettext_lazy as _


class Rating(models.TextChoices):
    GOOD = "good", _("满意")
    BAD = "bad", _("不满意")


class Evaluation(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="evaluations")
    round = models.PositiveSmallIntegerField(_("评价轮次"), default=1)
    rating = models.CharField(_("评价"), max_length=8, choices=Rating.choices)
    comment = models.TextField(_("意见"), blank=True)
    evaluator = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL)
    evaluator_role = models.CharField(_("评价人身份"), max_length=32)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case_id}: {self.rating}"
