"""API rate limits: django-ninja's throttles with rates read from settings on every request,
so SANSHI_RATE_USER / SANSHI_RATE_ANON (and tests that lower them) take effect at once."""

from django.conf import settings
from ninja.throttling import AnonRateThrottle, AuthRateThrottle


class _RateFromSettings:
    setting: str

    def __init__(self):
        super().__init__(rate=getattr(settings, self.setting))

    def allow_request(self, request) -> bool:
        self.rate = getattr(settings, self.setting)
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)


class AnonymousRate(_RateFromSettings, AnonRateThrottle):
    """Requests without a bearer token, per client address."""

    setting = "SANSHI_RATE_ANON"


class SignedInRate(_RateFromSettings, AuthRateThrottle):
    """Requests with a bearer token, per user (by id: display names are not unique)."""

    setting = "SANSHI_RATE_USER"

    def get_cache_key(self, request):
        user = getattr(request, "auth", None)
        if user is None:
            return None  # AnonymousRate counts these
        return self.cache_format % {"scope": self.scope, "ident": user.pk}
