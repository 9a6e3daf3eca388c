from .base import *  # noqa: F403
from .base import VAR_DIR

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast hashing in tests only
MEDIA_ROOT = VAR_DIR / "test-media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
SANSHI_TRIAGE_MODEL_PATH = str(VAR_DIR / "no-model-in-tests.joblib")
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405 — threads in tests must not keep connections
# The suite makes hundreds of API calls a minute from one address; tests of the limits lower these.
SANSHI_RATE_ANON = "100000/min"
SANSHI_RATE_USER = "100000/min"
SANSHI_RATE_REPORT = SANSHI_RATE_TRACK = SANSHI_RATE_SIGN_IN = SANSHI_RATE_RATING = "100000/min"  # pages and sign-in, per address
SANSHI_RATE_NOTICE_COMMENT = "100000/min"  # comments on notices, per address
# one test process: an in-memory cache keeps rate-limit tests independent of the database
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Tests read the chain right after each act: seal inline on every database. The deferred mode (the
# PostgreSQL default) has its own tests (tests/test_audit_sealing.py).
SANSHI_AUDIT_SEALING = "inline"
SANSHI_BOARD_LOAD_SECONDS = 0  # tests build new cases between board reads
# the audit chain's anchors of the test databases stay out of var/ (tests that read them set their own)
SANSHI_AUDIT_ANCHOR_FILE = str(VAR_DIR / "test-media" / "audit-anchor.jsonl")
