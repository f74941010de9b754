"""Django settings. Every deployment-specific value comes from an environment variable with a safe
default; `.env.example` documents each one."""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

import dj_database_url
from csp.constants import NONCE, NONE, SELF
from django.utils.translation import gettext_lazy as _

from .env import service_url

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    raw = os.environ.get(name) or default  # an empty value means "use the default"
    return [item.strip() for item in raw.split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
# "development" (bin/run, bin/test) allows the public development key; anything else is a
# deployment, where the web process refuses to start without DJANGO_SECRET_KEY (checks.py).
PMO_ENV = os.environ.get("PMO_ENV", "production").strip().lower()
DEVELOPMENT = DEBUG or PMO_ENV == "development"
# Deployments must set DJANGO_SECRET_KEY; `check --deploy` fails (`pmo.E001`) while the
# development key is in use (docs/operations.md).
DEVELOPMENT_SECRET_KEY = "insecure-development-key-set-DJANGO_SECRET_KEY-in-production"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "") or DEVELOPMENT_SECRET_KEY

# The public base URL, used in emails and to derive cookie security.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")
_site = urlparse(SITE_URL)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", f"localhost,127.0.0.1,{_site.hostname}")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS", f"{_site.scheme}://{_site.netloc}")
SECURE_COOKIES = env_bool("DJANGO_SECURE_COOKIES", _site.scheme == "https")
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Scripts and style sheets come from our own static files; the few inline <style> blocks carry
# the request's nonce (`{{ request.csp_nonce }}`). No page has a style attribute or an inline
# event handler (`style-src-attr`/`script-src-attr` 'none'): computed widths are SVG <rect>
# width attributes, firm colours CSS custom properties in the base templates' nonce'd <style>.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "style-src-attr": [NONE],
        "script-src-attr": [NONE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "frame-ancestors": [NONE],
        "form-action": [SELF],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}
# Browser features no page uses (pmo_platform.middleware.PermissionsPolicyMiddleware).
PERMISSIONS_POLICY = (
    "accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), "
    "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), usb=()"
)
if env_bool("DJANGO_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = True
    SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # load balancers probe over plain HTTP
    SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_HSTS_SECONDS", "31536000"))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.contrib.postgres",  # OpClass in index expressions (the respondent email search)
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_countries",
    "django_celery_beat",
    "csp",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "pmo_platform",
    "accounts",
    "assessments",
    "reports",
]

MIDDLEWARE = [
    # REMOTE_ADDR becomes the client's address when a trusted proxy forwarded the request.
    "pmo_platform.client_ip.ClientAddressMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy (below) and Permissions-Policy on every response.
    "csp.middleware.CSPMiddleware",
    "pmo_platform.middleware.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.UserLanguageMiddleware",
    # Enters the tenant scope (django-scopes and PostgreSQL RLS) for URLs that name a firm.
    "accounts.middleware.FirmScopeMiddleware",
    # The same for /api/v1/: the API key names the firm (docs/api.md).
    "accounts.api.middleware.ApiKeyMiddleware",
    # The admin needs two-factor authentication (and allauth's login, which asks for it).
    "pmo_platform.two_factor.OperatorTwoFactorMiddleware",
    # Lets platform operators (staff) read across firms in the Django admin only.
    "pmo_platform.tenancy.OperatorAdminMiddleware",
]

ROOT_URLCONF = "pmo_platform.urls"
# How FirmTask loads a task's firm from its id (pmo_platform names no app; see tasks.py).
PMO_FIRM_LOADER = "accounts.selectors.firm_by_id"
WSGI_APPLICATION = "pmo_platform.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "pmo_platform.context_processors.platform",
                "accounts.context_processors.firm",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Web, worker and beat connect as the application role (no superuser, not table owner, no
# BYPASSRLS). Migrations run as the owner role: set PMO_DB_ROLE=owner for `manage.py migrate`.
# Cross-firm reads (`tenancy.all_firms()`: the Django admin for staff, platform beat jobs) use the
# operator role (BYPASSRLS) through the "operator" alias; the application role has no bypass.
DATABASE_URL = service_url("DATABASE_URL")
DATABASE_OWNER_URL = service_url("DATABASE_OWNER_URL")
DATABASE_OPERATOR_URL = service_url("DATABASE_OPERATOR_URL")
PMO_DB_ROLE = os.environ.get("PMO_DB_ROLE", "app")
if PMO_DB_ROLE not in {"app", "owner"}:
    raise RuntimeError("PMO_DB_ROLE must be 'app' or 'owner'")
_app_db = dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
_owner_db = dj_database_url.parse(DATABASE_OWNER_URL, conn_max_age=0)
_operator_db = dj_database_url.parse(
    DATABASE_OPERATOR_URL, conn_max_age=60, conn_health_checks=True
)
# The role the owner grants table privileges to after each migration.
DATABASE_APP_USER = _app_db["USER"]
DATABASE_OPERATOR_USER = _operator_db["USER"]
DATABASE_OWNER_CREDENTIALS = {"USER": _owner_db["USER"], "PASSWORD": _owner_db["PASSWORD"]}
DATABASE_APP_CREDENTIALS = {"USER": _app_db["USER"], "PASSWORD": _app_db["PASSWORD"]}
DATABASES = {"default": _owner_db if PMO_DB_ROLE == "owner" else _app_db}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = 5
DATABASES["default"]["TEST"] = {"NAME": os.environ.get("DATABASE_TEST_NAME", "test_pmo")}
# The same database as another role: never migrated, no ATOMIC_REQUESTS (only all_firms() opens
# a transaction on it), and in tests it points at the test database.
DATABASES["operator"] = _operator_db
DATABASES["operator"].setdefault("OPTIONS", {})["connect_timeout"] = 5
DATABASES["operator"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["pmo_platform.tenancy.OperatorRouter"]
# The autosave's statement is prepared per connection (pmo_platform/prepared.py); off for a
# pooler that cannot carry prepared statements (docs/scaling.md, PgBouncer). psycopg prepares
# only what is asked for: the threshold is out of reach, and the ORM's client-side binding
# cursors never prepare (None, Django's default, would turn `prepare=True` off too).
DATABASE_PREPARED_STATEMENTS = env_bool("PMO_DATABASE_PREPARED_STATEMENTS", True)
if DATABASE_PREPARED_STATEMENTS:
    DATABASES["default"]["OPTIONS"]["prepare_threshold"] = 2**31 - 1
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery -----------------------------------------------------------------------
REDIS_URL = service_url("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "pmo_platform.cache.ResilientRedisCache",
        "LOCATION": REDIS_URL,
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        "KEY_PREFIX": "pmo",
    }
}

# Celery: broker, task behaviour, queues and the beat schedule (pmo_platform/celery_settings.py).
from .celery_settings import *  # noqa: E402, F403
from .celery_settings import CELERY_TASK_TIME_LIMIT  # noqa: E402  (used below)

# --- Auth (django-allauth) ----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.FirmSignupForm"
ACCOUNT_EMAIL_VERIFICATION = os.environ.get("ACCOUNT_EMAIL_VERIFICATION", "mandatory")
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[PMO Platform] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = _site.scheme
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_RATE_LIMITS = {
    "login_failed": "10/m/ip,5/5m/key",
    "signup": "20/m/ip",
    "reset_password": "20/m/ip,5/m/key",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "PMO Platform"

# --- Email --------------------------------------------------------------------------------------
# Any Django or django-anymail backend, e.g. "anymail.backends.postmark.EmailBackend".
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "1025"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
# Seconds a socket operation with the mail server may take (connect, each command, DATA).
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
# A queued email nobody has started this long after it was due is republished by the sweep
# (its worker died); with the sweep every 20 s, stranded emails resume within about a minute.
# Fan-out emails per minute per firm, across all workers, unless the firm set its own rate.
PMO_EMAIL_RATE_PER_MINUTE = int(os.environ.get("PMO_EMAIL_RATE_PER_MINUTE", "30000"))
EMAIL_STALE_AFTER = timedelta(seconds=int(os.environ.get("EMAIL_STALE_AFTER_SECONDS", "40")))
# An email still "sending" this long after its claim lost its worker: recorded as sent (unknown
# outcome), never resent. Longer than any live send (the task time limit).
EMAIL_SENDING_GIVE_UP = timedelta(seconds=CELERY_TASK_TIME_LIMIT + 30)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "PMO Platform <noreply@pmo.example>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ANYMAIL = {
    key.removeprefix("ANYMAIL_"): value
    for key, value in os.environ.items()
    if key.startswith("ANYMAIL_")
}

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("sv", _("Swedish"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("DJANGO_TIME_ZONE", "Europe/Stockholm")
USE_I18N = True
USE_TZ = True

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("DJANGO_STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Product limits -----------------------------------------------------------------------------
# A request body without its files (form fields, a JSON body) is at most this large: the largest
# form (an instrument's texts, a survey page) is a few tens of KB. Larger is a 400 page
# (pmo_platform.views.bad_request). Uploaded files are not counted: they have their own limits
# (LOGO_MAX_BYTES, the CSV import's IMPORT_MAX_BYTES, 20 MB) and go to disk past
# FILE_UPLOAD_MAX_MEMORY_SIZE.
DATA_UPLOAD_MAX_MEMORY_SIZE = 512 * 1024
# The survey page has one field per statement (an instrument has well under 200); no form has
# more than a few hundred fields, and none takes more than one file.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 500
DATA_UPLOAD_MAX_NUMBER_FILES = 5
LOGO_MAX_BYTES = int(os.environ.get("LOGO_MAX_BYTES", str(512 * 1024)))
LOGO_MAX_PIXELS = 2000
# Starts of the public "take the test" link allowed per client address.
OPEN_LINK_RATE = os.environ.get("OPEN_LINK_RATE", "30/h")
# Autosaved survey answers allowed per personal link, and per client address (a client's
# office may send many respondents through one address).
SURVEY_ANSWER_RATE = os.environ.get("SURVEY_ANSWER_RATE", "120/m")
SURVEY_ANSWER_IP_RATE = os.environ.get("SURVEY_ANSWER_IP_RATE", "600/m")
RATELIMIT_USE_CACHE = "default"
# Every rate limit (these, allauth's ACCOUNT_RATE_LIMITS) keys on the client address from
# pmo_platform.client_ip: X-Forwarded-For counts only from these proxies (comma-separated CIDRs).
TRUSTED_PROXIES = env_list("TRUSTED_PROXIES", "")
RATELIMIT_IP_META_KEY = "pmo_platform.client_ip.client_ip"
# A benchmark is shown only when at least this many organisations contribute to it.
BENCHMARK_MIN_ORGANISATIONS = int(os.environ.get("BENCHMARK_MIN_ORGANISATIONS", "5"))
INVITATION_VALID_DAYS = int(os.environ.get("INVITATION_VALID_DAYS", "14"))

# --- Outgoing webhooks (docs/api.md, "Webhooks") ------------------------------------------------
# Whether endpoints may be plain http:// and resolve to loopback or private addresses. Off in
# production (SSRF guard); bin/run turns it on for development, tests turn it on per test.
WEBHOOKS_ALLOW_PRIVATE_TARGETS = env_bool("WEBHOOKS_ALLOW_PRIVATE_TARGETS", False)
# Seconds to wait after the 1st, 2nd, ... failed attempt; after the last one the delivery gives up.
WEBHOOK_RETRY_SCHEDULE = [
    int(value) for value in env_list("WEBHOOK_RETRY_SCHEDULE", "5,300,1800,7200,18000,36000,86400")
]
# The whole request (connect, send, headers, body) must finish within this many seconds.
WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("WEBHOOK_TIMEOUT_SECONDS", "10"))
# A claimed delivery with no outcome this long after its claim lost its worker: the sweep (every
# 15 s) publishes it again. Longer than any live attempt (the timeout above).
WEBHOOK_CLAIM_STALE_AFTER = timedelta(
    seconds=int(os.environ.get("WEBHOOK_CLAIM_STALE_AFTER_SECONDS", "40"))
)
# An endpoint whose deliveries all failed for this long is disabled and the admins are emailed.
WEBHOOK_DISABLE_AFTER = timedelta(
    seconds=int(os.environ.get("WEBHOOK_DISABLE_AFTER_SECONDS", str(5 * 24 * 3600)))
)
# After a secret rotation the previous secret signs too (a second signature) for this long.
WEBHOOK_PREVIOUS_SECRET_GRACE = timedelta(hours=24)
WEBHOOK_URL_MAX_LENGTH = 1000
# Webhook events and their delivery log are deleted this long after the event (once settled).
WEBHOOK_LOG_RETENTION = timedelta(days=int(os.environ.get("WEBHOOK_LOG_RETENTION_DAYS", "90")))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# The Django admin for platform operators (staff users only).
ADMIN_URL_PATH = os.environ.get("DJANGO_ADMIN_PATH", "admin").strip("/")
# Whether anyone may sign up a new firm (invitations work either way).
REGISTRATION_OPEN = env_bool("REGISTRATION_OPEN", True)

# --- REST API (DRF, drf-spectacular) --------------------------------------------------------------
from .api_settings import *  # noqa: E402, F403
