"""Verbatim's settings. Everything that differs between machines comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path

from csp.constants import NONCE, NONE, SELF
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
    "axes",
    "django_htmx",
    "template_partials",
    "csp",
    "procrastinate.contrib.django",
    # The product, in layers (docs/architecture.md): each imports only the ones listed above it.
    "jobs",
    "interviews",
    "coding",
    "excerpts",
    "review",
    "search",
    "exports",
    "agreement",
    "exchange",
    "analysis",
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
    # After WhiteNoise, which serves static files already compressed; outside everything else, so
    # that what it compresses is the final response (verbatim/middleware.py, docs/security.md).
    "verbatim.middleware.CompressPages",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "verbatim.middleware.refuse_nul_bytes",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "verbatim.middleware.htmx_login_redirect",
    # Before LoginRequiredMiddleware, whose look at the user loads the session: a project's page
    # reads the member's role with it (coding.visibility.ReadAhead).
    "coding.visibility.ReadAhead",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: turns a refused login into the lockout page (verbatim.login).
    "axes.middleware.AxesMiddleware",
]

# Content-Security-Policy (django-csp): scripts and styles from our own static files only. No inline
# script, handler or style attribute is left in the templates (code colours are a stylesheet of their
# own, coding.codebook_views.code_colors; htmx runs without eval, templates/base.html). One page writes
# rules of its own (the agreement side by side's stripe combinations) in a <style> bearing the
# request's nonce, which django-csp adds to style-src only on the responses that use it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

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
            # `person`, `project_nav`, `link`
            "builtins": ["verbatim.people", "verbatim.navigation", "verbatim.links"],
            # `{% load translations %}`: Django's i18n library, but a constant's translation is kept
            # per language (verbatim/translations.py).
            "libraries": {"translations": "verbatim.translations"},
        },
    },
]

DATABASES = {"default": database_settings(BASE_DIR)}
# Connection reuse: each server worker thread keeps its connection DJANGO_CONN_MAX_AGE seconds,
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
# Behind a pooler in transaction mode (PgBouncer), each transaction may meet another connection:
# no server-side cursors then (Django's iterator) and no prepared statements
# (verbatim/plain_sql.py), which live on one connection.
TRANSACTION_POOLER = envbool("VERBATIM_TRANSACTION_POOLER", False)
if TRANSACTION_POOLER:
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
# How long one SQL statement may run before PostgreSQL cancels it. A web request is bounded
# (VERBATIM_WEB_STATEMENT_TIMEOUT seconds; its page then says so with a 503, verbatim.errors), so a
# runaway query never holds a worker thread and a connection; no WSGI server can stop a thread.
# Processes that serve the web say so with VERBATIM_WEB_PROCESS=1 (verbatim/server.py's main,
# bin/dev serve's runserver). Everything else (migrate, management commands, background
# jobs, restores, benchmarks) gets VERBATIM_STATEMENT_TIMEOUT, none by default. 0 = no limit.
WEB_PROCESS = envbool("VERBATIM_WEB_PROCESS", False)
STATEMENT_TIMEOUT = (
    envint("VERBATIM_WEB_STATEMENT_TIMEOUT", 30)
    if WEB_PROCESS
    else envint("VERBATIM_STATEMENT_TIMEOUT", 0)
)
# PostgreSQL settings of every connection, sent as -c options after any of DATABASE_URL's (the
# last -c of a setting wins).
_postgresql_settings = []
# A prepared statement (verbatim/plain_sql.py) is planned once per connection, as it is meant to
# be. By default PostgreSQL may plan one again on every call, when a plan for the call's values
# looks cheaper than the plan for any: it guesses ten elements for `= ANY($1)`, where one code is
# the usual. At L that re-planning (0.15–0.3 ms a statement) outweighed the statements it planned:
# one code's CSV spent 0.65 ms in two that run in 0.03 (docs/benchmarks.md, twenty-seventh round).
# It also covers the triggers' statements, which take an interview or a coding by its id.
# Behind a transaction pooler no statement is prepared, and startup options may not get through.
if not TRANSACTION_POOLER:
    _postgresql_settings.append("plan_cache_mode=force_generic_plan")
if STATEMENT_TIMEOUT:
    _postgresql_settings.append(f"statement_timeout={STATEMENT_TIMEOUT * 1000}")
# How long a web request's transaction may wait, idle, before PostgreSQL ends its session. Only a
# download streamed from a snapshot (the .qdpx, exchange/views.py) waits inside one: on its client,
# which the server serves only as fast as it reads. One that stopped reading would otherwise hold
# the snapshot, and VACUUM behind it, for as long as its connection stayed open.
WEB_IDLE_TRANSACTION_TIMEOUT = envint("VERBATIM_WEB_IDLE_TRANSACTION_TIMEOUT", 120)
if WEB_PROCESS and WEB_IDLE_TRANSACTION_TIMEOUT:
    _postgresql_settings.append(
        f"idle_in_transaction_session_timeout={WEB_IDLE_TRANSACTION_TIMEOUT * 1000}"
    )
if _postgresql_settings:
    _options = DATABASES["default"].setdefault("OPTIONS", {})
    _options["options"] = " ".join(
        [_options.get("options", ""), *(f"-c {line}" for line in _postgresql_settings)]
    ).strip()
# A kept connection is checked before each request's first query: by a look at its socket, and by
# a round trip only when the server has closed it (verbatim/postgresql/base.py).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Transcripts each process keeps in memory, by content (interviews/texts.py), in MB: excerpts'
# contexts and redrawn paragraphs then skip reading and decompressing them.
TEXT_CACHE_MB = envint("VERBATIM_TEXT_CACHE_MB", 32)

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},  # Django's default
    # The rows of the analysis tables (analysis/queries.py, cached_rows): in a table of the database
    # (analysis.CacheEntry, created by a migration), so every server worker and thread shares
    # them and a restart keeps them; a process's memory would compute them once per worker.
    "analysis": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "analysis_cache",
        "TIMEOUT": 24 * 3600,
        # A table's sums about 60 kB for 58 codes; the parts a statement keeps per interview
        # (analysis.queries.PART_BUCKETS entries) about 250 kB each at L.
        "OPTIONS": {"MAX_ENTRIES": 5000},
    },
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login throttling (django-axes, verbatim/login.py, docs/security.md): after
# VERBATIM_LOGIN_FAILURES failed logins for one username from one address, that pair is refused for
# VERBATIM_LOGIN_LOCKOUT_MINUTES (not extended by further tries). Other users and addresses go on.
AUTHENTICATION_BACKENDS = [
    "verbatim.login.LoginThrottle",
    "verbatim.login.Accounts",  # Django's ModelBackend, the user read in plain SQL
]
AXES_FAILURE_LIMIT = envint("VERBATIM_LOGIN_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=envint("VERBATIM_LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "verbatim.login.locked_out"
AXES_CLIENT_IP_CALLABLE = "verbatim.login.client_ip"
# Successful logins are not logged (User.last_login says when): no address history is kept.
AXES_DISABLE_ACCESS_LOG = True
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "interviews:project-list"
LOGOUT_REDIRECT_URL = "login"

# French first: the founding study and the demo corpus are in French.
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# One date format per language, day first and 24-hour in both (verbatim/formats/).
FORMAT_MODULE_PATH = ["verbatim.formats"]
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
        else "verbatim.static_files.StaticFiles"
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
# Reverse proxies in front of the app that append the client's address to X-Forwarded-For: the
# login throttle counts failures per address (verbatim.login.client_ip). Behind HTTPS a proxy is
# assumed, as for X-Forwarded-Proto above; 0 reads the connection's own address.
VERBATIM_TRUSTED_PROXIES = envint("VERBATIM_TRUSTED_PROXIES", 1 if HTTPS else 0)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_ENGINE = "verbatim.sessions"  # database sessions, read in one plain statement

# Imports: every limit is checked before the work it guards (docs/importing.md, "Limits").
# Uploads (transcripts, attribute sheets), and each file inside a .zip: refused above this size.
VERBATIM_MAX_UPLOAD_BYTES = envint("VERBATIM_MAX_UPLOAD_MB", 20) * 1024 * 1024
# Files in one upload, or inside one .zip.
VERBATIM_MAX_FILES = envint("VERBATIM_MAX_FILES", 500)
# Django's own ceiling (100 by default) answered a bare 400 to an upload of 101 to 500 files: one
# more than ours, so that the import page can say "at most N files" itself.
DATA_UPLOAD_MAX_NUMBER_FILES = VERBATIM_MAX_FILES + 1
# What a .zip (or a .docx, .odt, .xlsx, which are zips) may unpack to, all members together, and
# how many times larger than its compressed size one member may be (past either, a zip bomb).
VERBATIM_MAX_UNPACKED_BYTES = envint("VERBATIM_MAX_UNPACKED_MB", 200) * 1024 * 1024
VERBATIM_MAX_COMPRESSION_RATIO = envint("VERBATIM_MAX_COMPRESSION_RATIO", 100)
# Pages of a PDF, and characters of one interview (a two-hour interview has about 150,000).
VERBATIM_MAX_PDF_PAGES = envint("VERBATIM_MAX_PDF_PAGES", 500)
VERBATIM_MAX_INTERVIEW_CHARS = envint("VERBATIM_MAX_INTERVIEW_CHARS", 2_000_000)
# Each file is read in a child process with these ceilings (jobs/isolation.py): memory it may use
# beyond its starting size, and CPU seconds.
VERBATIM_IMPORT_MEMORY_MB = envint("VERBATIM_IMPORT_MEMORY_MB", 512)
VERBATIM_IMPORT_CPU_SECONDS = envint("VERBATIM_IMPORT_CPU_SECONDS", 30)
# Modules the readers' fork server loads once, so that each child starts in milliseconds.
VERBATIM_ISOLATED_MODULES = ["interviews.reading", "interviews.readers.recording", "exchange.refi"]
# Uploaded files up to the limit stay in memory, never in a temporary file: transcripts are read
# and pseudonymised as they arrive, and their original text is never written anywhere.
FILE_UPLOAD_MAX_MEMORY_SIZE = VERBATIM_MAX_UPLOAD_BYTES
# Unconfirmed imports (pseudonymised drafts) are deleted after this many hours.
VERBATIM_IMPORT_DRAFT_HOURS = 24
# Deleted and merged codes stay restorable this many days (coding.trash), then `manage.py
# purge_trash` (run at each start of bin/dev serve and prod, and daily: docs/operations.md) removes them.
VERBATIM_TRASH_DAYS = envint("VERBATIM_TRASH_DAYS", 30)

# Background jobs (jobs/): imports on confirmation, exports of more than VERBATIM_EXPORT_JOB_ROWS
# excerpts. The worker is `manage.py procrastinate worker`, started by bin/dev serve and prod.
VERBATIM_EXPORT_JOB_ROWS = envint("VERBATIM_EXPORT_JOB_ROWS", 5000)
# A finished export's file is kept this long, for its owner only.
VERBATIM_JOB_FILE_HOURS = envint("VERBATIM_JOB_FILE_HOURS", 24)
# A running job whose worker has not signalled life for this long is taken for stopped.
VERBATIM_JOB_STALLED_SECONDS = envint("VERBATIM_JOB_STALLED_SECONDS", 60)
PROCRASTINATE_WORKER_DEFAULTS = {
    # One job at a time: imports and exports are synchronous code holding a transaction.
    "concurrency": 1,
    "delete_jobs": "successful",
    "update_heartbeat_interval": 10,
    "stalled_worker_timeout": VERBATIM_JOB_STALLED_SECONDS,
}
# Files kept on disk (recordings, finished exports), never in the database: back this folder up
# beside the database dump (docs/operations.md).
MEDIA_ROOT = Path(os.environ.get("VERBATIM_MEDIA_ROOT") or BASE_DIR / "media")
# A REFI-QDA project (.qdpx) holds a whole study: its own, larger limit. Past
# FILE_UPLOAD_MAX_MEMORY_SIZE Django spools the upload to a temporary file, deleted with the request.
VERBATIM_MAX_QDPX_BYTES = envint("VERBATIM_MAX_QDPX_MB", 200) * 1024 * 1024
# It is read in a child process with these ceilings (jobs/isolation.py): a whole study's texts
# and codings may need far more than one transcript's VERBATIM_IMPORT_MEMORY_MB.
VERBATIM_QDPX_MEMORY_MB = envint("VERBATIM_QDPX_MEMORY_MB", 4096)
VERBATIM_QDPX_CPU_SECONDS = envint("VERBATIM_QDPX_CPU_SECONDS", 300)

# Recordings of interviews (docs/recordings.md): refused above this size, before being stored. Two
# hours of video from a phone or a meeting tool weigh about 1 to 2 GB; audio, a tenth of that.
VERBATIM_MAX_RECORDING_BYTES = envint("VERBATIM_MAX_RECORDING_MB", 2048) * 1024 * 1024
# Every upload goes through verbatim.uploads.SizeCeiling first: no file of a request may exceed the
# largest size any page accepts (a recording's), and the request's body is discarded unread past it.
# Below it, files larger than FILE_UPLOAD_MAX_MEMORY_SIZE stream to a temporary file, not memory.
FILE_UPLOAD_HANDLERS = [
    "verbatim.uploads.SizeCeiling",
    "django.core.files.uploadhandler.MemoryFileUploadHandler",
    "django.core.files.uploadhandler.TemporaryFileUploadHandler",
]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "INFO")},
    # pgserver narrates every start and stop of the embedded cluster at INFO, django-axes every
    # login; its warnings (failures, lockouts) stay.
    "loggers": {"pgserver": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
