"""Nexloo settings: one module, configured from the environment.

With nothing set, the project runs on a laptop: SQLite, an in-memory channel layer, Celery tasks
run eagerly in the web process and e-mails are written to a folder. With `DATABASE_URL` and
`REDIS_URL` set, the same code runs the full stack (PostgreSQL, Redis, Celery worker and beat).
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import environ
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("NEXLOO_VAR_DIR", BASE_DIR / "var"))
# Whatever the database: generated secrets, e-mails, media and Celery beat's schedule live here.
VAR_DIR.mkdir(parents=True, exist_ok=True)

env = environ.Env()


def generated_secret(name: str, make) -> str:
    """A secret made once per installation and kept in `var/<name>` (mode 0600; `var/` is
    outside version control). Development only: with DEBUG off every secret comes from the
    environment. Two processes starting at once end up with the same value: the file is linked
    into place only if it does not exist yet."""
    path = VAR_DIR / name
    if path.exists():
        return path.read_text().strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{name}.{os.getpid()}")
    draft.write_text(make())
    draft.chmod(0o600)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()


# Keys that are public (they were in this repository, its compose file or its docs): never
# accepted with DEBUG off.
KNOWN_SECRET_KEYS = frozenset(
    {
        "dev-only-insecure-secret-key-change-me",
        "change-me",
        "changeme",
        "secret",
        "build",
        "bench-only-" + "x7Kq2" * 12,  # bench/cost.py's, before it made one per run
    }
)
RANDOM_VALUE_COMMAND = "python -c 'import secrets; print(secrets.token_urlsafe(50))'"


def secret_key_problem(key: str) -> str | None:
    """Why `key` cannot sign sessions and links in production, or None."""
    if not key:
        return "SECRET_KEY is not set."
    if key in KNOWN_SECRET_KEYS:
        return "SECRET_KEY is a publicly known value."
    if len(key) < 50 or len(set(key)) < 5:
        return "SECRET_KEY is too short (at least 50 characters)."
    return None


DEBUG = env.bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not DEBUG and (problem := secret_key_problem(SECRET_KEY)):
    raise ImproperlyConfigured(
        f"{problem} With DEBUG off, set SECRET_KEY to a long random value of your own, e.g. "
        f"the output of: {RANDOM_VALUE_COMMAND}"
    )
if not SECRET_KEY:
    # Development: one key per installation, made on first start, kept in var/secret_key.
    SECRET_KEY = generated_secret("secret_key", lambda: secrets.token_urlsafe(50))
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# The public address of this installation, used in e-mails and in the webhook URL shown to
# administrators. Requests fill it in when it is not set.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# Nexloo's apps come first: for templates and for translations, earlier apps win, and our
# catalogues must not be overridden by a third-party app translating the same English words.
INSTALLED_APPS = [
    "nexloo.core",
    "accounts",
    "inboxes",
    "teams",
    "conversations",
    "automations",
    "whatsapp",
    "webhooks",
    "nexloo.demo",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "channels",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "allauth",
    "allauth.account",
]

# The browser's middlewares (session, CSRF, messages, htmx) are let through by token-authenticated
# API requests: see accounts/middleware.py.
MIDDLEWARE = [
    "nexloo.core.api.LeadingSlashesMiddleware",  # `//api/v1/…` from a base URL ending in "/"
    "django.middleware.security.SecurityMiddleware",
    "nexloo.core.headers.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "accounts.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "accounts.middleware.CsrfViewMiddleware",
    "accounts.middleware.AuthenticationMiddleware",
    "accounts.middleware.UserPreferencesMiddleware",  # language and timezone
    "accounts.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.HtmxMiddleware",
    "nexloo.core.api.ApiErrorsMiddleware",
    # Last, so that its process_exception runs first: SQLite's "database is locked" is a 503.
    "nexloo.core.busy.DatabaseBusyMiddleware",
]

ROOT_URLCONF = "nexloo.urls"
ASGI_APPLICATION = "nexloo.asgi.application"

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
                "accounts.context_processors.workspace",
                "whatsapp.context_processors.auth_alerts",
            ],
        },
    },
]

# --- Database --------------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'nexloo.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # psycopg 3 with Django's connection pool; the pool replaces persistent connections.
    DATABASES["default"].setdefault("OPTIONS", {})
    if env.bool("DATABASE_POOL", default=True):
        DATABASES["default"]["OPTIONS"]["pool"] = {
            "min_size": env.int("DATABASE_POOL_MIN", default=1),
            "max_size": env.int("DATABASE_POOL_MAX", default=20),
            "timeout": env.int("DATABASE_POOL_TIMEOUT", default=10),
        }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default=None)}
else:
    # SQLite behind a multi-request server (`make run`): readers never block the writer (WAL),
    # a writer waits for the other one (busy timeout, seconds) instead of failing at once, and
    # every transaction takes the write lock when it begins (IMMEDIATE), so that one that read
    # first cannot fail when it comes to write. What still times out answers 503 (core.busy).
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("timeout", env.int("SQLITE_BUSY_TIMEOUT", 20))
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["OPTIONS"].setdefault(
        "init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
    )
USING_POSTGRES = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (INCLUDE) exist on PostgreSQL; SQLite, the laptop default, just ignores them.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

# --- Redis: cache, channel layer, Celery broker ------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# Keeps several checkouts (and pytest-xdist workers) apart on one Redis server.
REDIS_KEY_PREFIX = env.str("REDIS_KEY_PREFIX", default="nexloo")
if "PYTEST_XDIST_WORKER" in os.environ:  # parallel test workers share one Redis server
    REDIS_KEY_PREFIX += "-" + os.environ["PYTEST_XDIST_WORKER"]

if REDIS_URL:
    CACHES = {
        "default": {
            # A Redis outage makes cache reads miss instead of failing requests (see the module).
            "BACKEND": "nexloo.core.cache.TolerantRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "nexloo.core.channel_layer.SharedDecodeRedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{REDIS_KEY_PREFIX}:asgi"},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# Without Redis there is no worker: tasks run in the web process, right after the commit.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_ACKS_LATE = True  # a worker killed mid-task leaves the task to be redelivered
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ROUTES = {
    "whatsapp.*": {"queue": "webhooks"},
    "webhooks.*": {"queue": "webhooks"},
    "conversations.deliver_*": {"queue": "outbound"},
    "accounts.send_*": {"queue": "default"},
}
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "global_keyprefix": REDIS_KEY_PREFIX}
CELERY_TIMEZONE = "UTC"
# Queueing happens after the commit, in the request: with Redis down it must give up quickly.
# What could not be queued is picked up by the periodic sweep (conversations.sweep).
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.5,
}
# Periodic tasks live in nexloo/schedule.py (read by nexloo/celery.py); beat keeps its state here.
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Authentication ----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = env.list(
    "PASSWORD_HASHERS",
    default=[
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    ],
)
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_FORMS = {
    "login": "accounts.forms.EmailLoginForm",
    "signup": "accounts.forms.CompanySignupForm",
}
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Nexloo] "
# Throttling: allauth counts attempts in the cache (Redis in production, shared by all processes).
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    "login_failed": "10/m/ip,5/5m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
}

# Agent invitations: how long the "create your password" link stays valid.
INVITATION_TTL = timedelta(hours=env.int("INVITATION_TTL_HOURS", default=72))

# --- Sessions, CSRF, security headers ----------------------------------------------------------
SECURE = env.bool("SECURE_COOKIES", default=not DEBUG)
SESSION_COOKIE_SECURE = SECURE
CSRF_COOKIE_SECURE = SECURE
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Content-Security-Policy: nexloo.core.headers (scripts only from this site, never framed).
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30)

# --- I18n --------------------------------------------------------------------------------------
LANGUAGE_CODE = "pt-br"
LANGUAGES = [("pt-br", _("Português (Brasil)")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "America/Sao_Paulo"
DEFAULT_ACCOUNT_TIMEZONE = "America/Sao_Paulo"

# --- Static and media --------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "nexloo" / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# Largest file an agent (or an API client) may attach to a message.
MAX_ATTACHMENT_BYTES = env.int("MAX_ATTACHMENT_MB", default=40) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
WHITENOISE_AUTOREFRESH = DEBUG

# --- E-mail ------------------------------------------------------------------------------------
EMAIL_FILE_PATH = VAR_DIR / "mail"
if "EMAIL_URL" in os.environ:
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Nexloo <no-reply@nexloo.local>")
# The development-only page that lists the e-mails written to EMAIL_FILE_PATH.
DEV_MAILBOX = DEBUG and EMAIL_BACKEND == "django.core.mail.backends.filebased.EmailBackend"

# --- REST API ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.api.authentication.AccessTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "nexloo.core.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Nexloo API",
    "DESCRIPTION": (
        "Nexloo's REST API. Paths, payloads and the `api_access_token` header follow "
        "Chatwoot's Application and Platform APIs; Nexloo's extensions are extra fields."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/(api|platform/api)/v[0-9]",
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "userApiKey": {"type": "apiKey", "in": "header", "name": "api_access_token"},
            "platformAppApiKey": {"type": "apiKey", "in": "header", "name": "api_access_token"},
        }
    },
    "SECURITY": [{"userApiKey": []}],
    # Choice sets used by several components: named once, so that a new component using one
    # does not rename it (drf-spectacular falls back to hashed names on such collisions).
    "ENUM_NAME_OVERRIDES": {
        "AccountLocaleEnum": "accounts.models.Language.choices",
        "AccountStatusEnum": "accounts.api.serializers.ACCOUNT_STATUSES",
        "AgentAvailabilityStatusEnum": ["online", "busy", "offline"],
        "ContactDetailAvailabilityStatusEnum": ["online", "offline"],
    },
}

# --- Realtime ----------------------------------------------------------------------------------
# Origins allowed to open the websocket besides the site's own host.
WEBSOCKET_ALLOWED_ORIGINS = env.list("WEBSOCKET_ALLOWED_ORIGINS", default=[])
CABLE_PING_SECONDS = env.float("CABLE_PING_SECONDS", default=3.0)  # ActionCable pings at /cable

# --- Outbound webhooks (automation rules, account webhooks, the API channel's webhook_url) -----
# Private, loopback and link-local targets are refused unless this is on: on by default with
# DEBUG (local development posts to receivers on the same machine, and so do the tests), off in
# production unless set (a closed network).
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", default=DEBUG)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
# --- Secrets at rest -------------------------------------------------------------------------
# Public Fernet keys (they were in this repository) are refused with DEBUG off as the key that
# encrypts; later in the list one still decrypts, so what it encrypted stays readable while the
# installation moves to a key of its own.
KNOWN_ENCRYPTION_KEYS = frozenset(
    {
        # bench/cost.py's, before it made one per run
        "hJ3n8yN7fB5k8d0zq2VvJw3m0lYc4r1XH6m3oH0p9uE=",
    }
)
FERNET_KEY_COMMAND = (
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)
# Fernet keys (comma-separated: the first encrypts, all decrypt, so a key can be rotated) for the
# channels' credentials (WhatsApp access tokens and app secrets). Required in production; in
# development one is generated under var/.
ENCRYPTION_KEY = env.str("ENCRYPTION_KEY", default="")
if not ENCRYPTION_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("Set ENCRYPTION_KEY (a Fernet key) when DEBUG is off.")
    ENCRYPTION_KEY = generated_secret("encryption_key", lambda: Fernet.generate_key().decode())
elif not DEBUG and ENCRYPTION_KEY.split(",")[0].strip() in KNOWN_ENCRYPTION_KEYS:
    raise ImproperlyConfigured(
        "ENCRYPTION_KEY is a publicly known value. With DEBUG off, put a Fernet key of your own "
        "first (a known one may follow it, to read what it encrypted), e.g. the output of: "
        f"{FERNET_KEY_COMMAND}"
    )

# --- WhatsApp ----------------------------------------------------------------------------------
WHATSAPP_GRAPH_URL = env.str("WHATSAPP_GRAPH_URL", default="https://graph.facebook.com")
WHATSAPP_API_VERSION = env.str("WHATSAPP_API_VERSION", default="v21.0")
WHATSAPP_HTTP_TIMEOUT = env.float("WHATSAPP_HTTP_TIMEOUT", default=10.0)  # seconds, every call
WHATSAPP_WEBHOOK_MAX_BYTES = 3 * 1024 * 1024
WHATSAPP_MEDIA_MAX_BYTES = env.int("WHATSAPP_MEDIA_MAX_MB", default=100) * 1024 * 1024

# --- Logging -----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}
