"""Settings for Outage Tracker, read from the environment.

One module for every environment. With nothing set, everything is embedded:
SQLite under var/, a Celery broker on the file system, a file-based cache and
outgoing mail written to var/mail. DATABASE_URL, CELERY_BROKER_URL, CACHE_URL
and EMAIL_URL switch to production parts; TRACKER_ENV=production turns on the
HTTPS-only protections and requires an explicit SECRET_KEY and ALLOWED_HOSTS.
Every variable is listed in .env.example.
"""

import os
import secrets
import sys
from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
if (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")


def _config_error(name: str, problem: str) -> SystemExit:
    # One clear line naming the variable, instead of a traceback.
    return SystemExit(f"Configuration error: {name} {problem} (see .env.example).")


def _read(name: str, cast, default):
    try:
        return cast(name, default=default)
    except (ValueError, TypeError, environ.ImproperlyConfigured) as exc:
        raise _config_error(name, f"is invalid: {exc}") from None


def _bool(name: str, default: bool) -> bool:
    raw = env.str(name, default="")
    if raw == "":
        return default
    if raw.lower() in {"1", "true", "yes", "on"}:
        return True
    if raw.lower() in {"0", "false", "no", "off"}:
        return False
    raise _config_error(name, f"must be true or false, not {raw!r}")


TRACKER_ENV = env.str("TRACKER_ENV", default="local")
if TRACKER_ENV not in {"local", "production"}:
    raise _config_error("TRACKER_ENV", f"must be 'local' or 'production', not {TRACKER_ENV!r}")
PRODUCTION = TRACKER_ENV == "production"
DEBUG = _bool("DEBUG", False)


def _local_secret_key() -> str:
    # Generated once per checkout and kept out of version control.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(64))
        path.chmod(0o600)
    return path.read_text().strip()


SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if PRODUCTION:
        raise _config_error("SECRET_KEY", "must be set in production")
    SECRET_KEY = _local_secret_key()
elif len(SECRET_KEY) < 50:
    raise _config_error("SECRET_KEY", "must be at least 50 characters long")

ALLOWED_HOSTS = _read(
    "ALLOWED_HOSTS",
    env.list,
    [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]", "testserver"],
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise _config_error("ALLOWED_HOSTS", "must be set in production")
CSRF_TRUSTED_ORIGINS = _read("CSRF_TRUSTED_ORIGINS", env.list, [])
# Absolute base of links in e-mails, SMS and webhooks.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # The admin site requires a verified second factor for staff (tracker/security/admin_site.py).
    "tracker.security.apps.SecureAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "phonenumber_field",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "tracker",
    "tracker.security",
    "tracker.accounts",
    "tracker.customers",
    "tracker.notifications",
    "tracker.incidents",
    "complaints",
    "petitions",
    "tracker.reports",
    "tracker.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Anonymous status pages from the cache, without the rest of the stack (tracker/incidents/cache.py).
    "tracker.incidents.cache.StatusPageCacheMiddleware",
    # /api/ only: 413 for oversized bodies; 404, 500 and other middleware's errors in the API's error shape.
    "tracker.api.exceptions.ApiErrorMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "tracker.security.middleware.SessionIdleTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "tracker.security.middleware.SecondFactorMiddleware",
    "tracker.security.middleware.LoginAdmissionMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "tracker.security.middleware.SecurityHeadersMiddleware",
    # A query stopped by DATABASE_STATEMENT_TIMEOUT: 503 instead of 500.
    "tracker.middleware.StatementTimeoutMiddleware",
    # Last, so that it sees the lockout flag set by the authentication backend.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tracker.urls"
WSGI_APPLICATION = "tracker.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
DATABASES = {
    "default": _read("DATABASE_URL", env.db_url, f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
_db = DATABASES["default"]
if _db["ENGINE"] not in {"django.db.backends.postgresql", "django.db.backends.sqlite3"}:
    raise _config_error("DATABASE_URL", "must start with postgres:// or sqlite://")
# Set for web processes (seconds): a runaway query ends in an error page instead of holding a pooled connection
# and a thread for as long as it runs. Off by default: workers and migrations may run long. PostgreSQL only.
_statement_timeout = _read("DATABASE_STATEMENT_TIMEOUT", env.int, 0)
if _statement_timeout < 0:
    raise _config_error("DATABASE_STATEMENT_TIMEOUT", "must be a number of seconds, 0 for none")
if _db["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3's pool: connections are reused across requests in a process.
    if _bool("DATABASE_POOL", True):
        _db["CONN_MAX_AGE"] = 0
        _db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": _read("DATABASE_POOL_MIN", env.int, 1),
            "max_size": _read("DATABASE_POOL_MAX", env.int, 10),
            "timeout": 10,
        }
    # Parameters travel apart from the SQL text: no quoting in Python, and psycopg prepares the statements a
    # connection runs often (the server plans them once). Off for a transaction-pooling proxy (PgBouncer).
    _db.setdefault("OPTIONS", {})["server_side_binding"] = _bool("DATABASE_SERVER_SIDE_BINDING", True)
    if _statement_timeout:
        _db["OPTIONS"]["options"] = f"-c statement_timeout={_statement_timeout * 1000}"
elif _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server and the worker read while the other writes.
    _db.setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Tests use a file (one per test session) so a worker subprocess can open the same database.
    _db["TEST"] = {"NAME": env.str("TEST_DATABASE_FILE", default=str(VAR_DIR / f"test-{os.getpid()}.sqlite3"))}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------
CACHES = {"default": _read("CACHE_URL", env.cache_url, f"filecache://{VAR_DIR / 'cache'}")}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "tracker.redis_cache.RedisCache"  # the same, with its redis-py client reused

# --- Passwords and sessions -----------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "tracker.security.validators.ContextWordsValidator"},
]
# Words tied to this service that a password may not contain (SECURITY.md, ASVS 6.1.2).
SECURITY_PASSWORD_CONTEXT_WORDS = _read(
    "SECURITY_PASSWORD_CONTEXT_WORDS", env.list, ["outage", "tracker", "panne", "störung", "guasto", "password"]
)
SESSION_COOKIE_HTTPONLY = True
# Sessions are read from the cache and written through to the database: a signed-in page costs no session query.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = 60 * 60 * 12
# A session idle for this long is logged out (security.middleware.SessionIdleTimeoutMiddleware).
SESSION_IDLE_TIMEOUT_MINUTES = _read("SESSION_IDLE_TIMEOUT_MINUTES", env.int, 120)
# A signed-in user with its contact and business is read from the cache (tracker/security/user_cache.py);
# writes forget it at once, this bounds what a write that bypasses signals could leave.
AUTH_USER_CACHE_SECONDS = _read("AUTH_USER_CACHE_SECONDS", env.int, 300)

# --- Languages --------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("fr", _("French")),
    ("de", _("German")),
    ("it", _("Italian")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("TIME_ZONE", default="Europe/Zurich")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files ---------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Uploaded evidence is private: never served under a public URL.
MEDIA_URL = None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production, serve static files straight from the apps (no collectstatic).
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# --- E-mail -----------------------------------------------------------------
# Django 6.1 mailers. EMAIL_URL (smtp://user:password@host:587/?tls=True) selects SMTP;
# without it, every message is written to var/mail as a file.
if env.str("EMAIL_URL", default=""):
    _email = _read("EMAIL_URL", env.email_url, None)
    MAILERS = {
        "default": {
            "BACKEND": _email["EMAIL_BACKEND"],
            "OPTIONS": {
                key: _email[setting]
                for key, setting in {
                    "host": "EMAIL_HOST",
                    "port": "EMAIL_PORT",
                    "username": "EMAIL_HOST_USER",
                    "password": "EMAIL_HOST_PASSWORD",
                    "use_tls": "EMAIL_USE_TLS",
                    "use_ssl": "EMAIL_USE_SSL",
                    "file_path": "EMAIL_FILE_PATH",
                }.items()
                if setting in _email
            }
            | {"timeout": 10},
        }
    }
    # Only SMTP takes host, port and credentials; filemail:///abs/path writes files; dummymail:// discards.
    if not _email["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
        MAILERS["default"]["OPTIONS"] = (
            {"file_path": "/" + _email["EMAIL_FILE_PATH"].lstrip("/")}
            if _email["EMAIL_BACKEND"].endswith("filebased.EmailBackend")
            else {}
        )
elif PRODUCTION:
    raise _config_error(
        "EMAIL_URL", "must be set in production (e.g. smtp://user:password@mail.example.com:587/?tls=True)"
    )
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(VAR_DIR / "mail")},
        }
    }
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Outage Tracker <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Security ---------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", True)
    # API clients are not redirected to HTTPS (a silent redirect would hide a plain-HTTP client):
    # SecurityHeadersMiddleware answers them 403 instead (ASVS 5.0 4.1.2).
    SECURE_REDIRECT_EXEMPT = [r"^api/"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = _read("SECURE_HSTS_SECONDS", env.int, 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    LANGUAGE_COOKIE_NAME = "__Host-language"
    LANGUAGE_COOKIE_SECURE = True
    LANGUAGE_COOKIE_HTTPONLY = True
    LANGUAGE_COOKIE_SAMESITE = "Lax"

# Admin and staff: a verified second factor (TOTP or a recovery code) is required
# for every staff session, and for contacts who enabled one. Only the test suite turns it off.
ADMIN_REQUIRE_OTP = _bool("ADMIN_REQUIRE_OTP", True)
OTP_TOTP_ISSUER = "Outage Tracker"
OTP_TOTP_THROTTLE_FACTOR = 1
# Paths an unverified session may still reach (enrolment, verification, log out, static files).
SECURITY_OTP_EXEMPT_PATHS = [
    "/security/two-factor/setup/",
    "/security/two-factor/verify/",
    "/static/",
    "/i18n/",
    "/jsi18n/",
    "/healthz",
    "/admin/logout/",
    "/accounts/logout/",
]
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Flash messages ride in a signed cookie (the session only when they outgrow it): showing one after a form
# costs no session write.
MESSAGE_STORAGE = "django.contrib.messages.storage.fallback.FallbackStorage"
# A POST to these paths ends the session; the browser is told to clear what it kept.
SECURITY_LOGOUT_PATHS = ["/admin/logout/", "/accounts/logout/"]
# Behind N reverse proxies that append to X-Forwarded-For, the client is the Nth address from the right.
TRUSTED_PROXY_COUNT = _read("TRUSTED_PROXY_COUNT", env.int, 0)
# Brute force (django-axes): 5 failures for one username from one address lock that pair out for
# 15 minutes; a known user is never locked out from elsewhere.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Authoritative for passwords: a wrong one stops here (one hash per attempt).
    "tracker.security.backends.AdmissionModelBackend",
    # Never reached with a password; listed so that sessions opened with it before login links
    # switched to the backend above stay valid.
    "django.contrib.auth.backends.ModelBackend",
]
AXES_VERBOSE = False
AXES_FAILURE_LIMIT = _read("AXES_FAILURE_LIMIT", env.int, 5)
AXES_COOLOFF_TIME = timedelta(minutes=_read("AXES_COOLOFF_MINUTES", env.int, 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_TEMPLATE = "security/lockout.html"
AXES_CLIENT_IP_CALLABLE = "tracker.security.net.client_ip"
AXES_SENSITIVE_PARAMETERS = ["password", "otp_token", "token"]
# Admission limit on password checks (hashing is deliberately slow): per client address and per
# username within a one-minute window, and at most this many hashes at once per process.
LOGIN_RATE_PER_IP = _read("LOGIN_RATE_PER_IP", env.int, 20)
LOGIN_RATE_PER_USERNAME = _read("LOGIN_RATE_PER_USERNAME", env.int, 10)
LOGIN_RATE_WINDOW_SECONDS = 60
LOGIN_MAX_CONCURRENT_HASHES = _read("LOGIN_MAX_CONCURRENT_HASHES", env.int, 2)
# Permissions-Policy sent on every response.
SECURITY_PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"

# Personal data retention (days), applied daily by security.tasks.apply_retention.
PRIVACY_RETENTION_DAYS = {
    "login_attempts": _read("RETENTION_LOGIN_ATTEMPTS_DAYS", env.int, 30),
    "login_log": _read("RETENTION_LOGIN_LOG_DAYS", env.int, 90),
    "delivery_details": _read("RETENTION_DELIVERY_DETAILS_DAYS", env.int, 180),
    "unsubscribed_subscribers": _read("RETENTION_UNSUBSCRIBED_DAYS", env.int, 365),
}
# Closed complaints keep their figures but lose their personal free text and evidence this long after closing.
COMPLAINTS_RETENTION_DAYS = _read("COMPLAINTS_RETENTION_DAYS", env.int, 1095)
# Export files (whatever their state) are deleted this long after they were requested.
EXPORT_RETENTION_DAYS = _read("EXPORT_RETENTION_DAYS", env.int, 30)

# --- REST API ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "tracker.api.schema.TrackerAutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Bearer first: an unauthenticated request gets 401 with WWW-Authenticate. Sessions enforce CSRF.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tracker.api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Deny by default: every API view states its own permissions.
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["tracker.api.parsers.BoundedJSONParser"],
    "DEFAULT_THROTTLE_CLASSES": [
        "tracker.api.throttling.AnonThrottle",
        "tracker.api.throttling.UserThrottle",
        "tracker.api.throttling.IpThrottle",
    ],
    "EXCEPTION_HANDLER": "tracker.api.exceptions.exception_handler",
    "DEFAULT_METADATA_CLASS": None,
}
# Requests allowed per client: "anon" per IP without login, "user" per account, "ip" per address for all,
# "sign" petition signatures per IP. Format: number/second|minute|hour|day.
API_THROTTLE_RATES = {
    "anon": env.str("API_THROTTLE_ANON", default="120/minute"),
    "user": env.str("API_THROTTLE_USER", default="600/minute"),
    "ip": env.str("API_THROTTLE_IP", default="1200/minute"),
    "sign": env.str("API_THROTTLE_SIGN", default="20/hour"),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Outage Tracker API",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "DESCRIPTION": (
        "Incidents, complaints, petitions, deliveries and reports of the Outage Tracker. "
        "Authenticate with `Authorization: Bearer <token>` (tokens are issued by staff in the admin) "
        "or with the session cookie and the CSRF header. Errors always have the shape "
        '`{"error": {"code": "...", "message": "...", "details": {...}}}`.'
    ),
    "SERVE_PERMISSIONS": ["tracker.api.permissions.AnyoneAllowed"],
    "SERVE_AUTHENTICATION": [],
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/",
    "ENUM_NAME_OVERRIDES": {
        "IncidentStatusEnum": "tracker.incidents.models.Incident.Status",
        "ComplaintStatusEnum": "complaints.models.Status",
        "DeliveryStatusEnum": "tracker.notifications.models.Delivery.Status",
        "PetitionStatusEnum": "petitions.models.Petition.Status",
        "DecisionStatusEnum": "petitions.models.CompensationDecision.Status",
        "CurrencyEnum": "tracker.customers.models.Currency",
        "ComplaintEventKindEnum": "complaints.models.ComplaintEvent.Kind",
        "ExportKindEnum": "tracker.reports.models.ExportKind",
    },
}

# --- Celery -----------------------------------------------------------------
BROKER_DIR = Path(env.str("CELERY_BROKER_DIR", default=str(VAR_DIR / "broker")))
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if not CELERY_BROKER_URL.startswith(("filesystem://", "redis://", "rediss://", "amqp://", "amqps://", "memory://")):
    raise _config_error("CELERY_BROKER_URL", "must start with filesystem://, redis://, rediss://, amqp:// or amqps://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("queue", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
else:
    # Redis: a message not acknowledged within an hour goes back to the queue.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# Delivery work: acknowledge after the task ran, re-queue if the worker dies.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The one beat schedule. Apps add their periodic tasks here, not elsewhere.
CELERY_BEAT_SCHEDULE: dict = {
    "notifications-sweep": {"task": "tracker.notifications.tasks.sweep_deliveries", "schedule": timedelta(seconds=30)},
}

# --- Notifications ------------------------------------------------------------
# SMS: "tracker.notifications.channels.sms.FileSmsBackend" (var/sms, default),
# "...ConsoleSmsBackend", or "...HttpSmsBackend" with SMS_GATEWAY_URL and SMS_GATEWAY_TOKEN.
SMS_BACKEND = env.str("SMS_BACKEND", default="tracker.notifications.channels.sms.FileSmsBackend")
SMS_FILE_PATH = env.str("SMS_FILE_PATH", default=str(VAR_DIR / "sms"))
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env.str("SMS_GATEWAY_TOKEN", default="")
# Messages per second and channel across all workers (0: no limit), e.g. "email=100,sms=10,webhook=50".
NOTIFY_RATE_LIMITS = {
    channel: int(limit)
    for channel, limit in _read("NOTIFY_RATE_LIMITS", env.dict, {"email": 0, "sms": 10, "webhook": 50}).items()
}
NOTIFY_MAX_ATTEMPTS = _read("NOTIFY_MAX_ATTEMPTS", env.int, 6)
NOTIFY_LEASE_SECONDS = _read("NOTIFY_LEASE_SECONDS", env.int, 300)
NOTIFY_BATCH_SIZE = _read("NOTIFY_BATCH_SIZE", env.int, 500)
# Sent rows are recorded every N messages: a worker killed meanwhile leaves at most N "maybe sent".
NOTIFY_MARK_EVERY = _read("NOTIFY_MARK_EVERY", env.int, 10)
# The sweeper expands jobs, and enqueues rows never enqueued, older than this (their first task was lost).
NOTIFY_SWEEP_GRACE_SECONDS = _read("NOTIFY_SWEEP_GRACE_SECONDS", env.int, 120)
# A batch task queued longer than this is presumed lost and its pending rows are queued again.
NOTIFY_REQUEUE_AFTER_SECONDS = _read("NOTIFY_REQUEUE_AFTER_SECONDS", env.int, 600)
NOTIFY_RETRY_BASE_SECONDS = _read("NOTIFY_RETRY_BASE_SECONDS", env.int, 30)
NOTIFY_WEBHOOK_TIMEOUT = _read("NOTIFY_WEBHOOK_TIMEOUT", env.float, 10.0)
NOTIFY_WEBHOOK_DISABLE_AFTER = _read("NOTIFY_WEBHOOK_DISABLE_AFTER", env.int, 10)

# --- Complaints ---------------------------------------------------------------
# A closed complaint can be reopened for this many days.
COMPLAINTS_REOPEN_DAYS = _read("COMPLAINTS_REOPEN_DAYS", env.int, 14)
# Filings allowed per client IP and per business within the window (0: no limit).
COMPLAINTS_RATE_PER_IP = _read("COMPLAINTS_RATE_PER_IP", env.int, 30)
COMPLAINTS_RATE_PER_BUSINESS = _read("COMPLAINTS_RATE_PER_BUSINESS", env.int, 20)
COMPLAINTS_RATE_WINDOW_SECONDS = _read("COMPLAINTS_RATE_WINDOW_SECONDS", env.int, 3600)
# Spike detection (Downdetector's method): distinct businesses per service and region per window,
# against the same hour of the week in past weeks; a spike needs two consecutive windows above
# max(ratio x baseline, minimum) with no incident covering it.
COMPLAINTS_SPIKE_WINDOW_MINUTES = _read("COMPLAINTS_SPIKE_WINDOW_MINUTES", env.int, 5)
COMPLAINTS_SPIKE_RATIO = _read("COMPLAINTS_SPIKE_RATIO", env.float, 3.0)
COMPLAINTS_SPIKE_MIN_BUSINESSES = _read("COMPLAINTS_SPIKE_MIN_BUSINESSES", env.int, 10)
COMPLAINTS_SPIKE_BASELINE_WEEKS = _read("COMPLAINTS_SPIKE_BASELINE_WEEKS", env.int, 4)
COMPLAINTS_SPIKE_COOLDOWN_MINUTES = _read("COMPLAINTS_SPIKE_COOLDOWN_MINUTES", env.int, 60)
# Agents are warned this long before a first-response or resolution time is missed.
COMPLAINTS_SLA_WARN_MINUTES = _read("COMPLAINTS_SLA_WARN_MINUTES", env.int, 60)
CELERY_BEAT_SCHEDULE["complaints-detect-spikes"] = {
    "task": "complaints.tasks.detect_spikes",
    "schedule": timedelta(minutes=1),
}
CELERY_BEAT_SCHEDULE["complaints-check-sla"] = {"task": "complaints.tasks.check_sla", "schedule": timedelta(minutes=5)}
# Personal data past PRIVACY_RETENTION_DAYS (see Security) is deleted or anonymised daily.
CELERY_BEAT_SCHEDULE["security-apply-retention"] = {
    "task": "tracker.security.tasks.apply_retention",
    "schedule": timedelta(days=1),
}
# Incidents: remind agents once when a promised "next update by" time passes without an update.
CELERY_BEAT_SCHEDULE["incidents-remind-overdue-updates"] = {
    "task": "tracker.incidents.tasks.remind_overdue_updates",
    "schedule": timedelta(minutes=1),
}

# --- Reports --------------------------------------------------------------------
# Exports up to this many rows stream straight to the browser; larger ones run as a Celery job.
REPORTS_STREAM_MAX_ROWS = _read("REPORTS_STREAM_MAX_ROWS", env.int, 50_000)
# How long the download link of a background export stays valid.
REPORTS_EXPORT_TTL_HOURS = _read("REPORTS_EXPORT_TTL_HOURS", env.int, 72)
CELERY_BEAT_SCHEDULE["reports-weekly-email"] = {
    "task": "tracker.reports.tasks.send_weekly_report",
    "schedule": crontab(minute=0, hour=7, day_of_week="mon"),
}
CELERY_BEAT_SCHEDULE["reports-purge-expired-exports"] = {
    "task": "tracker.reports.tasks.purge_expired_exports",
    "schedule": timedelta(hours=1),
}

# --- Petitions ------------------------------------------------------------------
# Confirmation links expire (and unconfirmed signatures are deleted) after this many days.
PETITIONS_CONFIRM_DAYS = _read("PETITIONS_CONFIRM_DAYS", env.int, 7)
PETITIONS_WITHDRAW_DAYS = _read("PETITIONS_WITHDRAW_DAYS", env.int, 365)
# Personal data of signatures is erased this many days after the petition closes.
PETITIONS_ANONYMISE_AFTER_DAYS = _read("PETITIONS_ANONYMISE_AFTER_DAYS", env.int, 90)
PETITIONS_SIGNATURES_PER_IP_PER_HOUR = _read("PETITIONS_SIGNATURES_PER_IP_PER_HOUR", env.int, 10)
PETITIONS_SIGNATURES_PER_DOMAIN_PER_HOUR = _read("PETITIONS_SIGNATURES_PER_DOMAIN_PER_HOUR", env.int, 200)
# Compensation offers above this amount need a second approver (a manager other than the maker).
PETITIONS_COMPENSATION_APPROVAL_LIMIT = env.str("PETITIONS_COMPENSATION_APPROVAL_LIMIT", default="500")
# The batched signature counter runs this often; the live count is at most this late (plus 2 s of cache).
PETITIONS_COUNT_EVERY_SECONDS = _read("PETITIONS_COUNT_EVERY_SECONDS", env.int, 2)
CELERY_BEAT_SCHEDULE["petitions-count-signatures"] = {
    "task": "petitions.tasks.count_signatures",
    "schedule": timedelta(seconds=PETITIONS_COUNT_EVERY_SECONDS),
}
CELERY_BEAT_SCHEDULE["petitions-reconcile-tallies"] = {
    "task": "petitions.tasks.reconcile_tallies",
    "schedule": crontab(minute=30, hour=3),
}
CELERY_BEAT_SCHEDULE["petitions-housekeeping"] = {
    "task": "petitions.tasks.housekeeping",
    "schedule": crontab(minute=15, hour=3),
}

# --- Benchmarks -------------------------------------------------------------
# Mounts the no-op page bench/noop (baseline B-NOOP of make bench). Off by default.
BENCH_NOOP_VIEW = _bool("BENCH_NOOP_VIEW", False)

# --- Logging ----------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Timestamps in UTC, ISO 8601 (ASVS 5.0 16.2.2).
    "formatters": {"plain": {"()": "tracker.security.logging.UTCFormatter"}},
    # No personal data in logs: e-mail addresses and phone numbers are masked before any handler writes.
    "filters": {"personal_data": {"()": "tracker.security.logging.PersonalDataFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": sys.stderr,
            "filters": ["personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.request": {"level": "ERROR"}},
}
