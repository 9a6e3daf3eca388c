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

from .models import ApiToken, User


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


@transaction.atomic
def totp_enrolment_start(*, user: User) -> TOTPDevice:
    """The unconfirmed device whose secret the enrolment page shows. Refused once enrolled: a
    new authenticator then needs an administrator (delete the old device in the admin)."""
    if totp_device(user) is not None:
        raise ApplicationError(_("已绑定动态口令认证器；如需更换请联系管理员。"))
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def totp_enrolment_confirm(*, user: User, token: str) -> TOTPDevice:
    # The refusal is raised outside the transaction so the failure count the device keeps
    # (its throttle) is not rolled back with it.
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("pk").first()
        if totp_device(user) is not None or device is None:
            raise ApplicationError(_("没有待确认的认证器，请重新打开绑定页面。"))
        verified = device.verify_token((token or "").strip())
        if verified:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
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
