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
    "django.contrib.admin",
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
    "tracker",
    "tracker.accounts",
    "tracker.customers",
    "tracker.notifications",
    "tracker.incidents",
    "complaints",
    "petitions",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
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
if _db["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3's pool: connections are reused across requests in a process.
    if _bool("DATABASE_POOL", True):
        _db["CONN_MAX_AGE"] = 0
        _db.setdefault("OPTIONS", {})["pool"] = {
            "min_size": _read("DATABASE_POOL_MIN", env.int, 1),
            "max_size": _read("DATABASE_POOL_MAX", env.int, 10),
            "timeout": 10,
        }
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

# --- Passwords and sessions -----------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 12

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
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
if PRODUCTION:
    SECURE_SSL_REDIRECT = _bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = _read("SECURE_HSTS_SECONDS", env.int, 60 * 60 * 24 * 365)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

# --- REST API ---------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework.authentication.SessionAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Outage Tracker API",
    "VERSION": "1.0.0",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
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
NOTIFY_RETRY_BASE_SECONDS = _read("NOTIFY_RETRY_BASE_SECONDS", env.int, 30)
NOTIFY_WEBHOOK_TIMEOUT = _read("NOTIFY_WEBHOOK_TIMEOUT", env.float, 10.0)
NOTIFY_WEBHOOK_DISABLE_AFTER = _read("NOTIFY_WEBHOOK_DISABLE_AFTER", env.int, 10)

# --- Logging ----------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "stream": sys.stderr}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.request": {"level": "ERROR"}},
}
