import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils import timezone

from sanshi.core.errors import ApplicationError

from .models import ApiToken, User


class AuthenticationFailed(ApplicationError):
    status_code = 401


@transaction.atomic
def token_issue(*, username: str, password: str) -> tuple[str, ApiToken]:
    user = authenticate(username=username, password=password)
    if user is None or not user.is_active:
        raise AuthenticationFailed("用户名或密码错误", errors={"password": "用户名或密码错误"})
    raw = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, key_hash=ApiToken.hash(raw),
        expires_at=timezone.now() + timedelta(hours=settings.SANSHI_TOKEN_TTL_HOURS),
    )
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
