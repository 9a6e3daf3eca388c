"""API rate limits: django-ninja's throttles with rates read from settings on every request,
so SANSHI_RATE_USER / SANSHI_RATE_ANON (and tests that lower them) take effect at once.

The count is kept as one small value per client — [window start, requests] — instead of
ninja's list of every request's time: with a high limit (a 12345 hotline gateway posting from
one address, or the benchmark) that list grows to thousands of timestamps, each read and written
back on every request (measured: 1.9 % of an intake's CPU with 4,000 timestamps in the list). The window
opens at a client's first request and lasts the rate's period; at most the limit is served in it.
"""

import math

from django.conf import settings
from ninja.throttling import AnonRateThrottle, AuthRateThrottle


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
