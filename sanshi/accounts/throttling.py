"""Rate limits. The API's: django-ninja's throttles with rates read from settings on every request,
so SANSHI_RATE_USER / SANSHI_RATE_ANON (and tests that lower them) take effect at once. The public
pages' and sign-in's, per client address: django-ratelimit's counters (`limit_per_address`, and
`SignInRate` for the token API, which shares the sign-in page's count).

The count is kept as one small value per client — [window start, requests] — instead of
ninja's list of every request's time: with a high limit (a 12345 hotline gateway posting from
one address, or the benchmark) that list grows to thousands of timestamps, each read and written
back on every request (measured: 1.9 % of an intake's CPU with 4,000 timestamps in the list). The window
opens at a client's first request and lasts the rate's period; at most the limit is served in it.
"""

import math
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit import ALL
from django_ratelimit.core import get_usage
from ninja.throttling import AnonRateThrottle, AuthRateThrottle, BaseThrottle


class _RateFromSettings:
    setting: str

    def __init__(self):
        super().__init__(rate=getattr(settings, self.setting))

    def allow_request(self, request) -> bool:
        self.rate = getattr(settings, self.setting)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        if self.num_requests is None:
            return True
        self.key = self.get_cache_key(request)
        if self.key is None:
            return True
        self.now = self.timer()
        start, count = self.cache.get(self.key) or (self.now, 0)
        if self.now - start >= self.duration:
            start, count = self.now, 0
        self.retry_after = start + self.duration - self.now
        if count >= self.num_requests:
            return False
        self.cache.set(self.key, (start, count + 1), max(1, math.ceil(self.retry_after)))
        return True

    def wait(self) -> float | None:
        """Seconds until the client's window closes (ninja's Retry-After)."""
        return getattr(self, "retry_after", None)


class AnonymousRate(_RateFromSettings, AnonRateThrottle):
    """Requests without a bearer token (a resident, `auth` an anonymous user or none), per client address."""

    setting = "SANSHI_RATE_ANON"

    def get_cache_key(self, request):
        if getattr(getattr(request, "auth", None), "is_authenticated", False):
            return None  # SignedInRate counts these
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class SignedInRate(_RateFromSettings, AuthRateThrottle):
    """Requests with a bearer token, per user (by id: display names are not unique)."""

    setting = "SANSHI_RATE_USER"

    def get_cache_key(self, request):
        user = getattr(request, "auth", None)
        if not getattr(user, "is_authenticated", False):
            return None  # AnonymousRate counts these
        return self.cache_format % {"scope": self.scope, "ident": user.pk}


# ---- pages and sign-in, per client address (django-ratelimit) ------------------------------

def client_ip(request: HttpRequest) -> str:
    """The client's address by one rule for the API's throttles, the pages' limits and the
    lockout (AXES_CLIENT_IP_CALLABLE): REMOTE_ADDR, or the X-Forwarded-For entry SANSHI_NUM_PROXIES
    proxies back (ninja's rule, so a forged header is ignored when no proxy is declared)."""
    return BaseThrottle().get_ident(request) or ""


def _address_key(group: str, request: HttpRequest) -> str:
    return client_ip(request)


def _rate_from(setting: str) -> Callable[[str, HttpRequest], str]:
    return lambda group, request: getattr(settings, setting)  # read per request: tests lower it


def _usage(request: HttpRequest, group: str, setting: str, method) -> dict | None:
    return get_usage(request, group=group, key=_address_key, rate=_rate_from(setting), method=method,
                     increment=True)


def limit_per_address(group: str, setting: str, method=ALL):
    """Refuse a client address that went beyond the rate in `setting` (e.g. "10/min") for requests
    of `method` to the view: a 429 page saying in Chinese what happened and when to try again, with
    Retry-After. The views sharing a `group` share one count."""

    def decorator(view):
        @wraps(view)
        def limited(request, *args, **kwargs):
            usage = _usage(request, group, setting, method)
            if usage is not None and usage["should_limit"]:
                return too_many_requests(request, usage["time_left"])
            return view(request, *args, **kwargs)

        return limited

    return decorator


def too_many_requests(request: HttpRequest, seconds: int) -> HttpResponse:
    seconds = max(1, seconds)
    response = render(request, "accounts/rate_limited.html", {"seconds": seconds}, status=429)
    response["Retry-After"] = str(seconds)
    return response


class SignInRate(BaseThrottle):
    """The token API's sign-in attempts, counted with the sign-in page's (group "sign-in") per
    client address: SANSHI_RATE_SIGN_IN for both together."""

    def allow_request(self, request) -> bool:
        usage = _usage(request, "sign-in", "SANSHI_RATE_SIGN_IN", "POST")
        self.retry_after = max(1, usage["time_left"]) if usage is not None and usage["should_limit"] else None
        return self.retry_after is None

    def wait(self) -> float | None:
        return self.retry_after
