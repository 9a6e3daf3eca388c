from django.db import models


class TriageDecision(models.Model):
    """What the operator decided for a request, beside what was suggested. Corrections (a decision
    that differs from the suggestion) become training data (`sanshi triage export-corrections`)."""

    request = models.ForeignKey("intake.Request", on_delete=models.CASCADE, related_name="triage_decisions")
    title = models.CharField(max_length=120, blank=True)
    text = models.TextField()
    suggested_kind = models.CharField(max_length=16, blank=True)
    suggested_code = models.CharField(max_length=8, blank=True)
    suggestion_method = models.CharField(max_length=16, blank=True)
    kind = models.CharField(max_length=16)
    catalogue_code = models.CharField(max_length=8)
    department = models.CharField(max_length=20, blank=True)
    urgent = models.BooleanField(default=False)
    corrected = models.BooleanField(default=False, db_index=True)
    actor = models.ForeignKey("accounts.User", null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id}: {self.suggested_code or '—'} → {self.catalogue_code}"
