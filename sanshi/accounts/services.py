import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from sanshi.audit.services import audit_record
from sanshi.core.errors import ApplicationError, ValidationFailed

from .models import ApiToken, OtpEnrolmentActivation, User


class AuthenticationFailed(ApplicationError):
    status_code = 401


class AccountLocked(ApplicationError):
    status_code = 429


def lockout_message() -> str:
    return _("账号已锁定，请%(minutes)d分钟后再试") % {"minutes": settings.SANSHI_LOCKOUT_MINUTES}


# ---- second factor (TOTP) -----------------------------------------------------------------

def second_factor_required() -> bool:
    """Every account that signs in is staff (citizens never do), so the rule is site-wide."""
    return bool(settings.SANSHI_REQUIRE_OTP)


def totp_device(user: User, *, for_update: bool = False) -> TOTPDevice | None:
    """The user's confirmed authenticator, if enrolled."""
    qs = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk")
    return (qs.select_for_update() if for_update else qs).first()


# Enrolment needs an activation code the security administrator issued for the account
# (registry.services.otp_enrolment_activation_issue): redeemed on the enrolment page, it lets that
# account see a secret and confirm a device until the activation expires.
OTP_ACTIVATION_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out or typed
OTP_ACTIVATION_LENGTH = 12  # 60 random bits
OTP_ACTIVATION_MAX_FAILURES = 5


def _normalise_activation_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())


def otp_activation_create(*, user: User, issued_by: User) -> str:
    """A new activation code for `user` (the caller checked who may issue it and audits it); the
    account's earlier unredeemed codes end. Returns the code, shown once: only its hash is kept."""
    now = timezone.now()
    raw = "".join(secrets.choice(OTP_ACTIVATION_ALPHABET) for _ in range(OTP_ACTIVATION_LENGTH))
    OtpEnrolmentActivation.objects.filter(user=user, redeemed_at__isnull=True, expires_at__gt=now).update(
        expires_at=now)
    OtpEnrolmentActivation.objects.create(
        user=user, issued_by=issued_by, code_hash=OtpEnrolmentActivation.hash(raw), issued_at=now,
        expires_at=now + timedelta(hours=settings.SANSHI_OTP_ACTIVATION_HOURS))
    return "-".join(raw[i:i + 4] for i in range(0, len(raw), 4))


def otp_activation_pending(user: User) -> bool:
    """Whether an issued code waits to be typed (not redeemed, not expired, not worn out by wrong tries)."""
    return OtpEnrolmentActivation.objects.filter(
        user=user, redeemed_at__isnull=True, expires_at__gt=timezone.now(),
        failures__lt=OTP_ACTIVATION_MAX_FAILURES).exists()


def otp_activation_redeem(*, user: User, code: str) -> OtpEnrolmentActivation:
    """Check the code the owner typed. Works once; a wrong code counts (kept outside the transaction
    so the refusal does not undo it), and the fifth wrong one ends the activation."""
    now = timezone.now()
    with transaction.atomic():
        activation = (OtpEnrolmentActivation.objects.select_for_update()
                      .filter(user=user, redeemed_at__isnull=True, expires_at__gt=now,
                              failures__lt=OTP_ACTIVATION_MAX_FAILURES).order_by("-issued_at").first())
        if activation is None:
            raise ValidationFailed(_("没有有效的绑定码"), errors={
                "code": _("没有有效的绑定码（未签发、已用过、已过期或输错次数过多）：请联系安全管理员重新签发。")})
        right = secrets.compare_digest(activation.code_hash,
                                       OtpEnrolmentActivation.hash(_normalise_activation_code(code)))
        if right:
            activation.redeemed_at = now
            activation.save(update_fields=["redeemed_at"])
        else:
            activation.failures += 1
            activation.save(update_fields=["failures"])
    if not right:
        raise ValidationFailed(_("绑定码不正确"), errors={"code": _("绑定码不正确，请核对安全管理员告知的绑定码。")})
    return activation


def _redeemed_activation(user: User, activation_id: int | None) -> OtpEnrolmentActivation:
    activation = None if activation_id is None else OtpEnrolmentActivation.objects.filter(
        pk=activation_id, user=user, redeemed_at__isnull=False, expires_at__gt=timezone.now()).first()
    if activation is None:
        raise ApplicationError(_("绑定码已失效，请联系安全管理员重新签发。"))
    return activation


@transaction.atomic
def totp_enrolment_start(*, user: User, activation_id: int | None) -> TOTPDevice:
    """The unconfirmed device whose secret the enrolment page shows, for an account that redeemed an
    activation code (`activation_id`, kept in its session). Refused once enrolled: a new
    authenticator then needs an administrator (delete the old device in the admin)."""
    if totp_device(user) is not None:
        raise ApplicationError(_("已绑定动态口令认证器；如需更换请联系管理员。"))
    _redeemed_activation(user, activation_id)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def totp_enrolment_confirm(*, user: User, token: str, activation_id: int | None) -> TOTPDevice:
    # The refusal is raised outside the transaction so the failure count the device keeps
    # (its throttle) is not rolled back with it.
    with transaction.atomic():
        activation = _redeemed_activation(user, activation_id)
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        if totp_device(user) is not None or device is None:
            raise ApplicationError(_("没有待确认的认证器，请重新打开绑定页面。"))
        verified = device.verify_token((token or "").strip())
        if verified:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            audit_record(event="otp.enrol", actor=user, obj_type="otp_activation", obj_id=str(activation.pk))
    if not verified:
        raise ValidationFailed(_("动态口令不正确"), errors={"otp": _("动态口令不正确，请核对认证器上的时间后重试。")})
    return device


def second_factor_verify(*, user: User, token: str) -> TOTPDevice:
    """Check a one-time code. Each code works once (the device keeps the last time step used;
    the row is locked so two requests cannot both spend it) and failures slow further tries
    (django-otp's throttle, kept outside the transaction so a refusal does not undo it)."""
    with transaction.atomic():
        device = totp_device(user, for_update=True)
        verified = device is not None and device.verify_token((token or "").strip())
    if device is None:
        raise AuthenticationFailed(_("尚未绑定动态口令认证器"), errors={"otp": _("请先在网页上绑定动态口令认证器。")})
    if not verified:
        raise AuthenticationFailed(_("动态口令错误或已使用"), errors={"otp": _("动态口令错误或已使用。")})
    return device


# ---- API tokens -----------------------------------------------------------------------------

def token_issue(*, username: str, password: str, otp: str = "",
                request: HttpRequest | None = None) -> tuple[str, ApiToken]:
    """Password (and, when required, a one-time code) for a bearer token. `request` lets the
    lockout count the failure; a locked account is refused even with the right password.
    Not one transaction: the failure records (lockout count, OTP throttle) must survive the refusal."""
    request = request if request is not None else HttpRequest()
    user = authenticate(request, username=username, password=password)
    if user is None and getattr(request, "axes_locked_out", False):
        raise AccountLocked(lockout_message(), errors={"username": lockout_message()})
    if user is None or not user.is_active:
        raise AuthenticationFailed(_("用户名或密码错误"), errors={"password": _("用户名或密码错误")})
    if second_factor_required():
        second_factor_verify(user=user, token=otp)
    raw = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, key_hash=ApiToken.hash(raw),
            expires_at=timezone.now() + timedelta(hours=settings.SANSHI_TOKEN_TTL_HOURS),
        )
        audit_record(event="auth.token", actor=user, obj_type="api_token", obj_id=str(token.pk))
    return raw, token


def token_user(raw: str) -> User | None:
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash(raw), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    return token.user


@transaction.atomic
def token_revoke(*, raw: str) -> bool:
    return bool(ApiToken.objects.filter(key_hash=ApiToken.hash(raw), revoked_at__isnull=True)
                .update(revoked_at=timezone.now()))
