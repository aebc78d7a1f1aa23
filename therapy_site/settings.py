"""Settings for the therapy portal, read from the environment (see README)."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from therapy_site.env import env_bool, env_int, env_key_list, env_list, env_str
from therapy_site.logs import logging_config

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DJANGO_DEBUG", False)

_secret = env_str("DJANGO_SECRET_KEY")
if _secret is None:
    if not DEBUG:
        raise ImproperlyConfigured("DJANGO_SECRET_KEY must be set when DJANGO_DEBUG is off.")
    _secret = "insecure-development-key-only-for-debug-mode-0123456789abcdefghijklmnop"
SECRET_KEY = _secret

ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"] if DEBUG else [])

# No SQL database anywhere: every byte of data lives in DynamoDB.
DATABASES: dict[str, dict[str, str]] = {}

# DynamoDB (the names of these variables are a contract, see README).
DYNAMODB_ENDPOINT_URL = env_str("DYNAMODB_ENDPOINT_URL")
DYNAMODB_TABLE_PREFIX = env_str("DYNAMODB_TABLE_PREFIX", "") or ""
AWS_REGION = env_str("AWS_REGION", "us-east-1") or "us-east-1"
DYNAMODB_CONNECT_TIMEOUT = float(env_int("DYNAMODB_CONNECT_TIMEOUT_MS", 1000)) / 1000
DYNAMODB_READ_TIMEOUT = float(env_int("DYNAMODB_READ_TIMEOUT_MS", 2000)) / 1000
DYNAMODB_MAX_ATTEMPTS = env_int("DYNAMODB_MAX_ATTEMPTS", 3)

# The AWS KMS key (id, ARN or alias) that makes and unwraps each client's data key
# in production (portal/dynamo/kms_keys.py); the deploy template declares it.
DATA_KEYS_KMS_KEY_ID = env_str("DATA_KEYS_KMS_KEY_ID", "") or ""
# Master keys that wrap each client's data key when KMS is not used (the local
# engine, tests) and unwrap keys wrapped before a move to KMS:
# "id:base64key,id:base64key", 32-byte keys; the first wraps new and rotated data
# keys, every one listed unwraps. `make run` keeps a generated one in var/.
DATA_ENCRYPTION_KEYS = env_key_list("DATA_ENCRYPTION_KEYS")
if not DATA_ENCRYPTION_KEYS and not DATA_KEYS_KMS_KEY_ID:
    if not DEBUG:
        raise ImproperlyConfigured(
            "DATA_ENCRYPTION_KEYS must be set when DJANGO_DEBUG is off (or DATA_KEYS_KMS_KEY_ID, for AWS KMS)."
        )
    # Debug only, like the secret key above: a fixed, public key protects nothing.
    DATA_ENCRYPTION_KEYS = [("insecure-debug", b"insecure-debug-only-master-key!!")]

INSTALLED_APPS = [
    # auth and contenttypes for their primitives only (hashers, login(), tokens);
    # their models are never queried: identity lives in DynamoDB.
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "portal",
]

MIDDLEWARE = [
    # First, so every log line of the request, including other middleware's, has its id.
    "therapy_site.logs.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Outermost of ours: session loading and the view share one key scope.
    "portal.middleware.DataKeyScopeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Django's, with a database failure while loading or saving as the 503 page in debug mode too.
    "portal.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # Django's AuthenticationMiddleware, without its account read on every request.
    "portal.accounts.middleware.SessionAuthenticationMiddleware",
    "portal.accounts.middleware.IdleTimeoutMiddleware",
    "portal.accounts.middleware.UserTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "portal.middleware.DatabaseUnavailableMiddleware",
]

AUTH_USER_MODEL = "portal.User"
AUTHENTICATION_BACKENDS = [
    "portal.accounts.backends.ClientBackend",
    "portal.accounts.backends.TherapistBackend",
    "portal.accounts.backends.StaffBackend",
]
LOGIN_URL = "login"

# Server-side sessions in DynamoDB. Health-data rules ask for automatic logoff:
# a session idle for 30 minutes ends.
SESSION_ENGINE = "portal.accounts.session_store"
SESSION_COOKIE_AGE = 30 * 60
# Pushing the expiry forward is done by IdleTimeoutMiddleware, at most once a minute,
# and never for background polling.
SESSION_SAVE_EVERY_REQUEST = False
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_IDLE_WARNING_SECONDS = 5 * 60
# Signed cookies, not the session: showing "Saved." after a redirect must not
# write the session (a page view writes nothing). The texts are fixed phrases,
# never health data.
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"
PASSWORD_RESET_TIMEOUT = 60 * 60
EMAIL_VERIFICATION_MAX_AGE = 3 * 24 * 60 * 60

ROOT_URLCONF = "therapy_site.urls"
WSGI_APPLICATION = "therapy_site.wsgi.application"

TEMPLATES = [
    {
        # Page templates: Jinja2 through Django's backend, "page.html#block" rendering one block of a page.
        "BACKEND": "portal.templating.backend.Jinja2WithBlocks",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "portal.templating.environment.environment",
            "context_processors": [
                "django.template.context_processors.csp",
                "portal.context_processors.person",
                "django.contrib.messages.context_processors.messages",
                "portal.context_processors.session_timing",
            ],
        },
    },
]

# Plain widgets written in Python, as Django's templates write them (see the module for why).
FORM_RENDERER = "portal.forms.renderer.FastWidgetRenderer"

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "therapy_site.static_storage.MemoizedManifestStaticFilesStorage"
        ),
    },
}
WHITENOISE_USE_FINDERS = DEBUG

# Security headers. Strict CSP: htmx is configured (see base.html) to need
# neither eval nor injected styles, so no 'unsafe-*' source is needed.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("DJANGO_HSTS_SECONDS", 0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# Behind a TLS-terminating load balancer the original scheme arrives in this header.
if env_bool("DJANGO_BEHIND_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

_EMAIL_BACKEND = env_str("DJANGO_EMAIL_BACKEND") or (
    "django.core.mail.backends.console.EmailBackend" if DEBUG else "django.core.mail.backends.smtp.EmailBackend"
)
_smtp_options = {
    "host": env_str("DJANGO_EMAIL_HOST", "localhost"),
    "port": env_int("DJANGO_EMAIL_PORT", 25),
    "username": env_str("DJANGO_EMAIL_HOST_USER", "") or "",
    "password": env_str("DJANGO_EMAIL_HOST_PASSWORD", "") or "",
    "use_tls": env_bool("DJANGO_EMAIL_USE_TLS", False),
}
MAILERS = {
    "default": {
        "BACKEND": _EMAIL_BACKEND,
        "OPTIONS": _smtp_options if _EMAIL_BACKEND.endswith("smtp.EmailBackend") else {},
    }
}
DEFAULT_FROM_EMAIL = env_str("DJANGO_DEFAULT_FROM_EMAIL", "portal@localhost")
# Where the portal is reached, for links in emails sent outside a request (reminders).
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000" if DEBUG else "") or ""

# Where to turn in a crisis, shown (never sent anywhere) after a journal entry with a distressing
# feeling at a high intensity, and wherever messaging needs it. One list for the whole product;
# a deployment outside the United States replaces it with its own numbers. Each contact: its name,
# one sentence on when and how, and the numbers to call and to text ("" when there is none).
CRISIS_CONTACTS: list[dict[str, str]] = [
    {
        "name": "988 Suicide & Crisis Lifeline",
        "how": "Call or text 988, any time, free and confidential.",
        "call": "988",
        "text": "988",
    },
    {
        "name": "Emergency services",
        "how": "Call 911 if you might act on thoughts of harming yourself, or you are in danger now.",
        "call": "911",
        "text": "",
    },
]

# JSON lines with a request id in production (log shippers parse them); plain
# lines, still with the request id, for a developer's terminal under DEBUG.
LOGGING = logging_config(json_lines=not DEBUG, level=env_str("DJANGO_LOG_LEVEL", "INFO") or "INFO")

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
