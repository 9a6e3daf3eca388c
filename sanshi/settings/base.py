"""Settings shared by every environment. Every knob is an environment variable with a safe
default, read here in one place and listed in `.env.example`."""

import hashlib
from datetime import timedelta
from pathlib import Path

import environ
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent  # the sanshi package
PROJECT_DIR = BASE_DIR.parent

env = environ.Env()
environ.Env.read_env(PROJECT_DIR / ".env", overwrite=False) if (PROJECT_DIR / ".env").exists() else None

VAR_DIR = Path(env.str("SANSHI_VAR_DIR", default=str(PROJECT_DIR / "var")))

SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-change-me")  # production.py refuses this
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
PRODUCTION = False

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "sanshi.core",
    "sanshi.audit",
    "sanshi.accounts",
    "sanshi.registry",
    "sanshi.catalog",
    "sanshi.intake",
    "sanshi.triage",
    "sanshi.cases",
    "sanshi.deliberation",
    "sanshi.evaluation",
    "sanshi.votes",
    "sanshi.notices",
    "sanshi.rapid",
    "sanshi.supervision",
    "sanshi.imports",
    "sanshi.command",
    "sanshi.kpis",
    "sanshi.demo",
    "sanshi.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # Content-Security-Policy (CONTENT_SECURITY_POLICY below)
    "sanshi.core.middleware.PermissionsPolicyMiddleware",  # Permissions-Policy (PERMISSIONS_POLICY below)
    "sanshi.audit.middleware.AuditContextMiddleware",  # request id + client IP for the audit trail
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "sanshi.core.middleware.RejectUnstorableCharactersMiddleware",  # NUL, lone surrogates: 400
    "sanshi.core.middleware.DatabaseOutageMiddleware",  # database down: 503 + Retry-After (docs/operations.md)
    "django.contrib.sessions.middleware.SessionMiddleware",
    "sanshi.core.middleware.ChineseFirstLocaleMiddleware",
    "sanshi.core.middleware.APIErrorsAsJSONMiddleware",  # /api/: an HTML 404 or 405 → the API's JSON
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "sanshi.accounts.middleware.SessionLifetimeMiddleware",
    "sanshi.accounts.middleware.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a lockout into the "account locked" answer
]

ROOT_URLCONF = "sanshi.urls"
WSGI_APPLICATION = "sanshi.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "sanshi.accounts.backends.LockoutBackend",  # refuses a locked account before the password is checked
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "staff-home"
LOGOUT_REDIRECT_URL = "home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sanshi.web.context.staff_context",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'sanshi.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker share the file without "database is locked".
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE",
         "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Parameters bound by the server (psycopg's C dumpers instead of quoting in Python), and
    # statements a connection runs often are prepared once: less CPU on both sides per request.
    # PG_PREPARE_THRESHOLD=0 turns prepared statements off (needed behind PgBouncer in
    # transaction mode).
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({
        "server_side_binding": env.bool("PG_SERVER_SIDE_BINDING", default=True),
        "prepare_threshold": env.int("PG_PREPARE_THRESHOLD", default=5) or None,
    })
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)  # reuse connections
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "sanshi.accounts.validators.CharacterClassesValidator", "OPTIONS": {"min_classes": 3}},  # staff only
]

# --- sign-in (等保 2.0 level 3) -------------------------------------------------------------
# Sessions end after SANSHI_SESSION_IDLE_MINUTES without a request, and SANSHI_SESSION_MAX_HOURS
# after sign-in whatever happens (sanshi.accounts.middleware.SessionLifetimeMiddleware).
SESSION_COOKIE_AGE = env.int("SANSHI_SESSION_IDLE_MINUTES", default=30) * 60
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SANSHI_SESSION_MAX_HOURS = env.int("SANSHI_SESSION_MAX_HOURS", default=12)
# SANSHI_LOCKOUT_FAILURES failed sign-ins, each within SANSHI_LOCKOUT_MINUTES of the one before,
# lock the account from that client address (pages and API alike) for SANSHI_LOCKOUT_MINUTES.
SANSHI_LOCKOUT_FAILURES = env.int("SANSHI_LOCKOUT_FAILURES", default=5)
SANSHI_LOCKOUT_MINUTES = env.int("SANSHI_LOCKOUT_MINUTES", default=30)
AXES_FAILURE_LIMIT = SANSHI_LOCKOUT_FAILURES
AXES_COOLOFF_TIME = timedelta(minutes=SANSHI_LOCKOUT_MINUTES)
# Locked: the user name *from one client address* (username and address together). Locking the
# user name alone let anyone who knew it lock a staff account for 30 minutes with five requests;
# locking addresses alone would lock a whole office behind one NAT address for one person's typos.
# An address trying many names is held by SANSHI_RATE_SIGN_IN. Addresses by ninja's rule (proxies).
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "sanshi.accounts.throttling.client_ip"
AXES_RESET_ON_SUCCESS = True  # "consecutive" failures: a good sign-in starts the count again
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the lock lasts its minutes, not longer
AXES_LOCKOUT_CALLABLE = "sanshi.accounts.views.locked_out"
AXES_SENSITIVE_PARAMETERS = ["password", "otp", "token"]
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins are in the audit trail (docs/audit.md), not twice
# Second factor (TOTP) for every account that signs in; production turns it on.
SANSHI_REQUIRE_OTP = env.bool("SANSHI_REQUIRE_OTP", default=False)
OTP_TOTP_ISSUER = env.str("SANSHI_OTP_ISSUER", default="sanshi")
# Binding an authenticator needs a one-time code the security administrator issues from the roles
# pages; it is valid for this many hours (the enrolment must be finished within them).
SANSHI_OTP_ACTIVATION_HOURS = env.int("SANSHI_OTP_ACTIVATION_HOURS", default=24)
# The default cache holds the API rate-limit counters. In memory by default (each web process
# counts on its own: fine for development); production requires a cache every process shares,
# Redis: CACHE_URL=redis://127.0.0.1:6379/1 (a database cache, dbcache://sanshi_cache, also works:
# its table is created by migration core 0002, but it costs ~2 queries per API call).
CACHES = {"default": env.cache_url("CACHE_URL", default="locmemcache://")}
# API rate limits (django-ninja throttles; Django's default cache). Behind a reverse proxy set
# SANSHI_NUM_PROXIES to the number of proxies so the client address comes from X-Forwarded-For.
SANSHI_RATE_USER = env.str("SANSHI_RATE_USER", default="200/min")
SANSHI_RATE_ANON = env.str("SANSHI_RATE_ANON", default="100/min")
NINJA_NUM_PROXIES = env.int("SANSHI_NUM_PROXIES", default=0)
# Per client address on the public pages and sign-in (django-ratelimit, the same cache; 429 with
# Retry-After beyond): far above what one resident or one office does, soon reached by a script.
# No global cap: many residents share one carrier address, and one attacker must not stop all intake.
SANSHI_RATE_REPORT = env.str("SANSHI_RATE_REPORT", default="10/min")  # POST /report/
SANSHI_RATE_TRACK = env.str("SANSHI_RATE_TRACK", default="60/min")  # /track/, /track/<code>/, /report/done/<code>/
SANSHI_RATE_RATING = env.str("SANSHI_RATE_RATING", default="30/min")  # /rate/ and /rate/<code>/ (the parties' codes)
SANSHI_RATE_SIGN_IN = env.str("SANSHI_RATE_SIGN_IN", default="20/min")  # POST /accounts/login/ and /api/v1/auth/token
SANSHI_RATE_NOTICE_COMMENT = env.str("SANSHI_RATE_NOTICE_COMMENT", default="5/h")  # comments on /notices/, page and API
RATELIMIT_FAIL_OPEN = True  # a cache outage must not stop intake; the lockout (in the database) still guards sign-in

# Content-Security-Policy (django-csp): scripts only from this site's files — no inline <script>, no
# on…= handlers (sanshi/static/sanshi/site.js takes data-confirm, data-print, data-select-on-click),
# no eval; nothing framed, posted or loaded from elsewhere. Styles keep 'unsafe-inline' for the
# style="" attributes of the templates and the <style> htmx adds for its indicators; an injected
# style cannot run script (docs/security.md, "Browser policies").
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
# Permissions-Policy: browser features no page uses, off (an empty list allows no origin). The
# report page's photos come through the file input, which needs no permission.
PERMISSIONS_POLICY: dict[str, list[str]] = {feature: [] for feature in (
    "camera", "microphone", "geolocation", "payment", "usb", "serial", "bluetooth", "midi",
    "accelerometer", "gyroscope", "magnetometer", "display-capture")}

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("SANSHI_MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

DATA_UPLOAD_MAX_MEMORY_SIZE = 30 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- sanshi knobs -------------------------------------------------------------------------
# Personal data at rest: key for phone/ID encryption and the keyed hash used for exact lookup.
# Production must set it (a url-safe base64 string of 32+ random bytes); dev derives one from SECRET_KEY.
SANSHI_FIELD_KEY = env.str("SANSHI_FIELD_KEY", default="")
# during a rotation: the key(s) replaced, comma-separated — still read, never written (docs/operations.md)
SANSHI_FIELD_KEY_PREVIOUS = env.list("SANSHI_FIELD_KEY_PREVIOUS", default=[])
SANSHI_DEMO_PASSWORD = env.str("SANSHI_DEMO_PASSWORD", default="sanshi-demo")
SANSHI_MAX_PHOTO_BYTES = env.int("SANSHI_MAX_PHOTO_BYTES", default=5 * 1024 * 1024)
SANSHI_MAX_IMAGE_PIXELS = env.int("SANSHI_MAX_IMAGE_PIXELS", default=40_000_000)  # larger photos: 400 (and no bombs)
SANSHI_MAX_PHOTOS = env.int("SANSHI_MAX_PHOTOS", default=6)
# Excel in and out (docs/exports.md): an export of more rows is refused with a message (narrow the filters);
# an upload larger than this, or unpacking to more than this (a zip bomb), is refused before it is parsed
SANSHI_EXPORT_MAX_ROWS = env.int("SANSHI_EXPORT_MAX_ROWS", default=10_000)
SANSHI_IMPORT_MAX_BYTES = env.int("SANSHI_IMPORT_MAX_BYTES", default=10 * 1024 * 1024)
SANSHI_IMPORT_MAX_UNPACKED_BYTES = env.int("SANSHI_IMPORT_MAX_UNPACKED_BYTES", default=100 * 1024 * 1024)
SANSHI_TOKEN_TTL_HOURS = env.int("SANSHI_TOKEN_TTL_HOURS", default=12)
SANSHI_TRIAGE_MODEL_PATH = env.str("SANSHI_TRIAGE_MODEL_PATH", default=str(VAR_DIR / "triage-model.joblib"))
# The learning loop (docs/triage.md): the worker retrains the model between SANSHI_TRIAGE_RETRAIN_HOUR
# and four hours later, once a day, when this many corrections came in since it was trained (0: never);
# a candidate whose cross-validated kind or department macro-F1 falls more than the tolerance below
# the serving model's is not put in place. A run is leased for SANSHI_TRIAGE_RETRAIN_LEASE_SECONDS.
SANSHI_TRIAGE_RETRAIN_MIN_CORRECTIONS = env.int("SANSHI_TRIAGE_RETRAIN_MIN_CORRECTIONS", default=20)
SANSHI_TRIAGE_RETRAIN_HOUR = env.int("SANSHI_TRIAGE_RETRAIN_HOUR", default=2)
SANSHI_TRIAGE_RETRAIN_CV = env.bool("SANSHI_TRIAGE_RETRAIN_CV", default=True)
SANSHI_TRIAGE_RETRAIN_TOLERANCE = env.float("SANSHI_TRIAGE_RETRAIN_TOLERANCE", default=0.02)
SANSHI_TRIAGE_RETRAIN_LEASE_SECONDS = env.int("SANSHI_TRIAGE_RETRAIN_LEASE_SECONDS", default=3600)
SANSHI_HOTSPOT_DAYS = env.int("SANSHI_HOTSPOT_DAYS", default=30)
SANSHI_HOTSPOT_MIN_SIZE = env.int("SANSHI_HOTSPOT_MIN_SIZE", default=3)
SANSHI_SIMILAR_DAYS = env.int("SANSHI_SIMILAR_DAYS", default=30)
# cosine cut for "possibly a duplicate": 0.25 is where bench/triage.py's hand-judged pairs turn right (docs/triage.md)
SANSHI_SIMILAR_MIN_SCORE = env.float("SANSHI_SIMILAR_MIN_SCORE", default=0.25)
SANSHI_WORKER_POLL_SECONDS = env.float("SANSHI_WORKER_POLL_SECONDS", default=1.0)
SANSHI_WORKER_MAX_BACKOFF_SECONDS = env.float("SANSHI_WORKER_MAX_BACKOFF_SECONDS", default=30.0)  # after failed rounds
SANSHI_JOB_MAX_ATTEMPTS = env.int("SANSHI_JOB_MAX_ATTEMPTS", default=8)
# Back-off between attempts: SANSHI_JOB_BACKOFF_SECONDS, doubling, at most SANSHI_JOB_BACKOFF_MAX_SECONDS.
# A claimed job is leased for SANSHI_JOB_LEASE_SECONDS: if its worker dies, it runs again after that.
SANSHI_JOB_BACKOFF_SECONDS = env.int("SANSHI_JOB_BACKOFF_SECONDS", default=30)
SANSHI_JOB_BACKOFF_MAX_SECONDS = env.int("SANSHI_JOB_BACKOFF_MAX_SECONDS", default=3600)
SANSHI_JOB_LEASE_SECONDS = env.int("SANSHI_JOB_LEASE_SECONDS", default=300)
# The worker starts no new job after this many seconds in one round, so clock sweeps stay on time
SANSHI_JOB_BATCH_SECONDS = env.float("SANSHI_JOB_BATCH_SECONDS", default=0.5)
# While the database cannot serve, every request answers 503 with Retry-After: this many seconds
# (docs/operations.md, "Health and outages")
SANSHI_OUTAGE_RETRY_AFTER_SECONDS = env.int("SANSHI_OUTAGE_RETRY_AFTER_SECONDS", default=30)
# An API POST sent again with its Idempotency-Key (and the report form sent again with its one-time
# token) within this many hours gets the first answer and acts only once (docs/operations.md, "Retries")
SANSHI_IDEMPOTENCY_HOURS = env.int("SANSHI_IDEMPOTENCY_HOURS", default=24)
# /readyz answers 503 when the worker's sweeper has not finished a round for this many seconds, the oldest
# due job has waited this long, or the audit journal holds this many rows not yet sealed
SANSHI_READY_WORKER_STALE_SECONDS = env.int("SANSHI_READY_WORKER_STALE_SECONDS", default=30)
SANSHI_READY_JOB_LAG_SECONDS = env.int("SANSHI_READY_JOB_LAG_SECONDS", default=60)
SANSHI_READY_AUDIT_BACKLOG = env.int("SANSHI_READY_AUDIT_BACKLOG", default=20000)
# --- notifications (docs/notifications.md) ---------------------------------------------------
# External channels per notification kind, besides the in-app inbox (always):
# "kind=channel,channel;…", "*" for every other kind; channels: email, webhook, sms.
SANSHI_NOTIFY_CHANNELS = {
    kind.strip(): [c.strip() for c in channels.split(",") if c.strip()]
    for kind, _, channels in (part.partition("=") for part in
                              env.str("SANSHI_NOTIFY_CHANNELS", default="*=email,webhook").split(";") if part.strip())
}
SANSHI_WEBHOOK_URL = env.str("SANSHI_WEBHOOK_URL", default="")  # one endpoint from the environment (all kinds)
SANSHI_WEBHOOK_SECRET = env.str("SANSHI_WEBHOOK_SECRET", default="")  # its HMAC-SHA256 signing key
SANSHI_WEBHOOK_TIMEOUT_SECONDS = env.float("SANSHI_WEBHOOK_TIMEOUT_SECONDS", default=10.0)
# SMS gateway adapter: "disabled", "log" (masked numbers in the log, for trials) or a dotted path
SANSHI_SMS_BACKEND = env.str("SANSHI_SMS_BACKEND", default="disabled")
SANSHI_SITE_URL = env.str("SANSHI_SITE_URL", default="")  # e.g. https://sanshi.example.gov.cn, for links in e-mail
# E-mail: printed to the worker's console unless an SMTP server is configured
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="sanshi@localhost")
# Reporters' name, phone and address are erased from cases closed more than this many days ago
# The command-centre board counts every open case per 片区 at most this often (the live counts —
# urgent, unassigned, overdue — are fresh on every refresh); 0 counts on every refresh.
SANSHI_BOARD_LOAD_SECONDS = env.int("SANSHI_BOARD_LOAD_SECONDS", default=60)
# The dashboard's figures (docs/kpis.md): the worker reads at most this many new case events a round,
# and reads them again once this many seconds old (a transaction that took an earlier id may commit
# later); a wall screen stays signed in this many days unless revoked, and refreshes this often.
SANSHI_KPI_BATCH = env.int("SANSHI_KPI_BATCH", default=500)
SANSHI_KPI_SETTLE_SECONDS = env.int("SANSHI_KPI_SETTLE_SECONDS", default=60)
SANSHI_SCREEN_DAYS = env.int("SANSHI_SCREEN_DAYS", default=30)
SANSHI_SCREEN_REFRESH_SECONDS = env.int("SANSHI_SCREEN_REFRESH_SECONDS", default=60)
# Intake remembers which grid a grid code names for this many seconds per process (a renamed or
# deleted code is seen by the other processes after at most this long); 0 asks the database each time.
SANSHI_GRID_CACHE_SECONDS = env.int("SANSHI_GRID_CACHE_SECONDS", default=60)
# Audit rows reach the hash chain "inline" (in the act's transaction, under the chain's lock) or
# "deferred" (the worker seals the journal within about a second; acts never wait for the chain).
# "auto": deferred on PostgreSQL, inline on SQLite (docs/audit.md).
SANSHI_AUDIT_SEALING = env.str("SANSHI_AUDIT_SEALING", default="auto")
if SANSHI_AUDIT_SEALING not in ("auto", "inline", "deferred"):
    raise ImproperlyConfigured("SANSHI_AUDIT_SEALING must be auto, inline or deferred")
# The chain's head is anchored outside the database (docs/audit.md): after each seal and purge a line
# {kind, seq, hash, at} signed with HMAC-SHA256 under SANSHI_AUDIT_ANCHOR_KEY — a key the database never
# holds — is appended to SANSHI_AUDIT_ANCHOR_FILE and logged. Production requires the key
# (production.py); elsewhere, unset, it is derived from SECRET_KEY under a name that says so.
SANSHI_AUDIT_ANCHOR_KEY = env.str("SANSHI_AUDIT_ANCHOR_KEY", default="") or (
    "dev-only-derived-from-SECRET_KEY:" + hashlib.sha256(b"sanshi.audit.anchor:" + SECRET_KEY.encode()).hexdigest())
SANSHI_AUDIT_ANCHOR_FILE = env.str("SANSHI_AUDIT_ANCHOR_FILE", default=str(VAR_DIR / "audit-anchor.jsonl"))
SANSHI_ANONYMISE_AFTER_DAYS = env.int("SANSHI_ANONYMISE_AFTER_DAYS", default=365)
# Deadlines and supervision (docs/deadlines.md): "working" days with the holiday calendar, or "calendar";
# the ledger ladder warns the street leaders / notifies the command centre this many days overdue;
# a closed HOUSEHOLD matter's follow-up visit is due this many days after closing
SANSHI_DEADLINE_COUNTS = env.str("SANSHI_DEADLINE_COUNTS", default="working")
SANSHI_LEDGER_WARN_AFTER_DAYS = env.int("SANSHI_LEDGER_WARN_AFTER_DAYS", default=1)
SANSHI_LEDGER_NOTIFY_AFTER_DAYS = env.int("SANSHI_LEDGER_NOTIFY_AFTER_DAYS", default=3)
SANSHI_FOLLOW_UP_DAYS = env.int("SANSHI_FOLLOW_UP_DAYS", default=3)
# 评价: each designated group rates within this many working days; then the round is decided (ADR 0007)
SANSHI_RATING_PERIOD_DAYS = env.int("SANSHI_RATING_PERIOD_DAYS", default=5)
# 张榜公示 (docs/notices.md): a notice's objection period in working days (the holiday calendar above),
# per kind, "PUBLIC=5,SHARED=5" (a kind not named: 5); evaluation can be requested only after it ends
SANSHI_NOTICE_PERIOD_DAYS = env.str("SANSHI_NOTICE_PERIOD_DAYS", default="PUBLIC=5,SHARED=5")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "sanshi.core.logging.RedactPersonalData"},
                "one_line_refusals": {"()": "sanshi.core.logging.OneLineRefusals"},  # 4xx: no traceback
                "credentials_in_paths": {"()": "sanshi.core.middleware.CredentialsInPaths"}},  # tracking codes
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain",
                    "filters": ["one_line_refusals", "redact", "credentials_in_paths"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
