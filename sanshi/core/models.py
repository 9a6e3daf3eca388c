from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Job(models.Model):
    """A unit of work for `sanshi worker`: enqueued after commit, retried with back-off."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待执行")
        DONE = "done", _("已完成")
        FAILED = "failed", _("已失败")

    kind = models.CharField(max_length=64)
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    run_at = models.DateTimeField(db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "run_at"], name="job_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind}#{self.pk} ({self.status})"


class Notification(models.Model):
    """A message delivered in the app (and, by the worker, on other channels)."""

    recipient = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="notifications")
    request = models.ForeignKey("intake.Request", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="notifications")
    channel = models.CharField(max_length=32, default="in_app")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject
