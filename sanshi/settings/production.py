"""Production: secrets must come from the environment; demo accounts refuse to start."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CACHES, SECRET_KEY, env

PRODUCTION = True
DEBUG = False
if SECRET_KEY.startswith("dev-only") or len(SECRET_KEY) < 40:
    raise ImproperlyConfigured("SECRET_KEY must be set to a long random value in production.")
if len(env.str("SANSHI_FIELD_KEY", default="")) < 32:
    raise ImproperlyConfigured("SANSHI_FIELD_KEY must be set (32+ random bytes, url-safe base64) in production.")
if "locmem" in CACHES["default"]["BACKEND"].lower():
    raise ImproperlyConfigured("CACHE_URL must name a cache all web processes share (redis://…) in production: "
                               "the API rate limits are counted there.")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
# Sign-in (等保 2.0 level 3): idle and absolute session limits come from base.py (30 min / 12 h);
# every account gives a one-time code after its password; no host header is trusted by default
# beyond the ones listed.
SANSHI_REQUIRE_OTP = env.bool("SANSHI_REQUIRE_OTP", default=True)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
