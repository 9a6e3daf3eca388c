import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from sanshi.core.fields import EncryptedTextField


class User(AbstractUser):
    display_name = models.CharField(_("姓名"), max_length=50, blank=True)
    is_demo = models.BooleanField(_("演示账号"), default=False)

    def __str__(self) -> str:
        return self.display_name or self.username


class ApiToken(models.Model):
    """A bearer token for the API. Only its SHA-256 is stored; it expires and can be revoked."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"token #{self.pk} of {self.user_id}"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()



class OtpEnrolmentActivation(models.Model):
    """A one-time code the security administrator issues for an account, which its owner types on
    the enrolment page before the authenticator's secret is shown: a stolen password alone cannot
    bind the thief's phone. Only the code's SHA-256 is kept; it expires, works once, and dies after
    a few wrong tries. Issuing a new one ends the account's earlier ones."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="otp_activations")
    code_hash = models.CharField(max_length=64)
    issued_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    issued_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    redeemed_at = models.DateTimeField(null=True, blank=True)
    failures = models.PositiveSmallIntegerField(default=0)

    def __str__(self) -> str:
        return f"OTP enrolment activation #{self.pk} of {self.user_id}"

    @staticmethod
    def hash(code: str) -> str:
        return hashlib.sha256(code.encode()).hexdigest()


class IdempotencyKey(models.Model):
    """The first answer to a request sent with an `Idempotency-Key` (an API POST) or a report form's
    one-time token, kept SANSHI_IDEMPOTENCY_HOURS: the same request again gets this answer and acts
    on nothing (`accounts.idempotency`). Written in the transaction of the act it answers, so an act
    that committed always has its answer here. Keys are the caller's: `scope` is the user, or the
    client address of a caller without an account."""

    scope = models.CharField(max_length=80)  # "user:12", "addr:203.0.113.9", "form:report"
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the method, the path and the body
    status = models.PositiveSmallIntegerField()
    content_type = models.CharField(max_length=100, blank=True)
    body = EncryptedTextField(blank=True)  # the answer may hold a tracking code: encrypted at rest
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_once")]

    def __str__(self) -> str:
        return f"idempotency key #{self.pk} of {self.scope}"
