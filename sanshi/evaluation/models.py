from django.db import models


class Rating(models.TextChoices):
    GOOD = "good", "满意"
    BAD = "bad", "不满意"


class Evaluation(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="evaluations")
    round = models.PositiveSmallIntegerField("评价轮次", default=1)
    rating = models.CharField("评价", max_length=8, choices=Rating.choices)
    comment = models.TextField("意见", blank=True)
    evaluator = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.SET_NULL)
    evaluator_role = models.CharField("评价人身份", max_length=32)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]
