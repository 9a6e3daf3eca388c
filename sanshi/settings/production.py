"""Production: secrets must come from the environment; demo accounts refuse to start."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import CACHES, SANSHI_AUDIT_ANCHOR_KEY, SECRET_KEY, env

PRODUCTION = True
DEBUG = False
# A weak key (short, or few distinct characters: 40 × "a" passed the length rule) forges sessions,
# CSRF tokens and activation links.
if SECRET_KEY.startswith("dev-only") or len(SECRET_KEY) < 40 or len(set(SECRET_KEY)) < 12:
    raise ImproperlyConfigured(
        "生产环境必须设置足够随机的 SECRET_KEY（至少40个字符、至少12种不同字符，不能用开发默认值），例如 "
        "python3 -c \"import secrets;print(secrets.token_urlsafe(50))\"。 / SECRET_KEY must be set to a long "
        "random value in production (40+ characters, 12+ distinct, not the development default).")
if len(env.str("SANSHI_FIELD_KEY", default="")) < 32:
    raise ImproperlyConfigured("SANSHI_FIELD_KEY must be set (32+ random bytes, url-safe base64) in production.")
if "locmem" in CACHES["default"]["BACKEND"].lower():
    raise ImproperlyConfigured("CACHE_URL must name a cache all web processes share (redis://…) in production: "
                               "the API rate limits are counted there.")
if (SANSHI_AUDIT_ANCHOR_KEY.startswith("dev-only") or len(SANSHI_AUDIT_ANCHOR_KEY) < 32
        or len(set(SANSHI_AUDIT_ANCHOR_KEY)) < 12 or SANSHI_AUDIT_ANCHOR_KEY == SECRET_KEY):
    raise ImproperlyConfigured("SANSHI_AUDIT_ANCHOR_KEY must be set (32+ random characters, not SECRET_KEY) in "
                               "production: it signs the audit chain's head outside the database (docs/audit.md).")
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
if not SANSHI_REQUIRE_OTP:
    raise ImproperlyConfigured(
        "生产环境不能关闭动态口令：请删除 SANSHI_REQUIRE_OTP=false（等保三级要求两种鉴别方式）。 / "
        "SANSHI_REQUIRE_OTP=false is refused in production: every account signs in with a one-time code.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
