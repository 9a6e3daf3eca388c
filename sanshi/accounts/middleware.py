"""Session rules for signed-in staff: a hard lifetime, and the second factor before anything else."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.urls import reverse
from django.utils.translation import gettext as _

SIGNED_IN_AT = "sanshi_signed_in_at"

# Paths a half-signed-in user (password given, second factor not yet) may still reach: the
# sign-in steps themselves, the token API (it never uses the session), assets and language.
SECOND_FACTOR_EXEMPT = ("/accounts/", "/api/", "/static/", "/media/", "/i18n/")


def stamp_sign_in_time(sender, request, user, **kwargs) -> None:
    """`user_logged_in` receiver: remember when this session was signed in."""
    session = getattr(request, "session", None)
    if session is not None:
        session[SIGNED_IN_AT] = int(time.time())


def _has_signed_in_session(request) -> bool:
    # look at the session key first, so anonymous requests cost no user query
    return SESSION_KEY in request.session and request.user.is_authenticated


class SessionLifetimeMiddleware:
    """End a session SANSHI_SESSION_MAX_HOURS after sign-in, however active it has been.

    The idle limit is Django's own (SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST); this adds
    the absolute one. A session without a sign-in time (made before this rule) is ended too."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_signed_in_session(request):
            signed_in_at = request.session.get(SIGNED_IN_AT)
            max_age = settings.SANSHI_SESSION_MAX_HOURS * 3600
            if not isinstance(signed_in_at, int) or time.time() - signed_in_at > max_age:
                logout(request)  # flushes the session: the old cookie is worthless from now on
                messages.info(request, _("登录已超过%(hours)d小时，请重新登录。")
                              % {"hours": settings.SANSHI_SESSION_MAX_HOURS})
        return self.get_response(request)


class SecondFactorMiddleware:
    """With SANSHI_REQUIRE_OTP, a session signed in by password alone reaches only the OTP step."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (settings.SANSHI_REQUIRE_OTP and not request.path_info.startswith(SECOND_FACTOR_EXEMPT)
                and _has_signed_in_session(request) and not request.user.is_verified()):
            return redirect_to_login(request.get_full_path(), login_url=reverse("otp-verify"))
        return self.get_response(request)
