"""Verbatim's settings. Everything that differs between machines comes from the environment."""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from verbatim.database import database_settings

BASE_DIR = Path(__file__).resolve().parent.parent


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false), not {value!r}")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {value!r}") from None


def envsecret(name: str) -> str:
    """NAME from the environment, or the content of the file named by NAME_FILE (container secrets)."""
    if path := os.environ.get(f"{name}_FILE"):
        return Path(path).read_text().strip()
    return os.environ.get(name, "")


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name, "")
    return [item.strip() for item in value.split(",") if item.strip()] if value else default


DEBUG = envbool("DJANGO_DEBUG", False)

SECRET_KEY = envsecret("DJANGO_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "Set DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE), or DJANGO_DEBUG=1."
        )
    SECRET_KEY = "insecure-development-key-never-used-in-production"

ALLOWED_HOSTS = envlist("DJANGO_ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = envlist("DJANGO_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_htmx",
    "template_partials",
    # The product, in layers (docs/architecture.md): each imports only the ones listed above it.
    "interviews",
    "coding",
    "excerpts",
    "review",
    "search",
    "exports",
    "corrections",
    "operations",
]
# Developer tools (synthetic corpora, `manage.py bench`, `manage.py loadtest`): not product code,
# so a production install leaves them out unless asked (`bin/dev test` turns them on).
DEV_TOOLS = envbool("VERBATIM_DEV_TOOLS", DEBUG)
if DEV_TOOLS:
    INSTALLED_APPS.append("benchmarks")

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "verbatim.middleware.htmx_login_redirect",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "verbatim.urls"
WSGI_APPLICATION = "verbatim.wsgi.application"

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
            ],
        },
    },
]

DATABASES = {"default": database_settings(BASE_DIR)}
# Connection reuse: each gunicorn worker thread keeps its connection DJANGO_CONN_MAX_AGE seconds,
# checked before reuse. DJANGO_DB_POOL=N instead shares a psycopg pool of at most N connections
# among a worker process's threads: no faster under the load test, but it caps the connections
# many app servers open on one database (docs/operations.md).
DB_POOL_SIZE = envint("DJANGO_DB_POOL", 0)
if DB_POOL_SIZE:
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": DB_POOL_SIZE,
        "timeout": 10,  # seconds a request waits for a free connection before failing
    }
DATABASES["default"]["CONN_MAX_AGE"] = 0 if DB_POOL_SIZE else envint("DJANGO_CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "interviews:project-list"
LOGOUT_REDIRECT_URL = "login"

# French first: the founding study and the demo corpus are in French.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "America/Montreal"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Where `collectstatic` gathers the files WhiteNoise serves (hashed names, cached for a year).
STATIC_ROOT = Path(os.environ.get("VERBATIM_STATIC_ROOT") or BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    # Hashed, compressed names in production (cache-busting, served by WhiteNoise); plain in DEBUG.
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# HTTPS-only cookies and redirects wherever the app is not served from a developer's machine.
HTTPS = envbool("DJANGO_HTTPS", not DEBUG)
SECURE_SSL_REDIRECT = HTTPS
SECURE_REDIRECT_EXEMPT = [r"^health/$"]  # proxies check their app servers over plain HTTP
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_HSTS_SECONDS = envint("DJANGO_HSTS_SECONDS", 31_536_000) if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True

# Uploads (transcripts, attribute sheets): refused above this size, per file.
VERBATIM_MAX_UPLOAD_BYTES = envint("VERBATIM_MAX_UPLOAD_MB", 20) * 1024 * 1024
# What a .zip (or a .docx, .odt, .xlsx, which are zips) may unpack to: past it, a zip bomb.
VERBATIM_MAX_UNPACKED_BYTES = 10 * VERBATIM_MAX_UPLOAD_BYTES
# Uploaded files up to the limit stay in memory, never in a temporary file: transcripts are read
# and pseudonymised in the request, and their original text is never written anywhere.
FILE_UPLOAD_MAX_MEMORY_SIZE = VERBATIM_MAX_UPLOAD_BYTES
# Unconfirmed imports (pseudonymised drafts) are deleted after this many hours.
VERBATIM_IMPORT_DRAFT_HOURS = 24

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # pgserver narrates every start and stop of the embedded cluster at INFO.
    "loggers": {"pgserver": {"level": "WARNING"}},
}
