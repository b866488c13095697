"""Where Verbatim's PostgreSQL is: DATABASE_URL, or a cluster the app runs itself.

Without DATABASE_URL, the `pgserver` package runs PostgreSQL from a wheel in a project-local, git-ignored
folder (.pgdata, or VERBATIM_PGDATA). It starts on first use, is shared by every process of the checkout
(dev server, tests, management commands) and stops when the last of them exits.
"""

import os
import warnings
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

from django.core.exceptions import ImproperlyConfigured

EMBEDDED_DATABASE = "verbatim"
_server = None  # pgserver's handle for this process: it stops the cluster at exit if we are last


def database_settings(base_dir: Path) -> dict:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return settings_from_url(url)
    return _embedded_settings(Path(os.environ.get("VERBATIM_PGDATA", base_dir / ".pgdata")))


def settings_from_url(url: str) -> dict:
    """Django's DATABASES entry for a postgres://user:password@host:port/name?option=value URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ImproperlyConfigured(
            f"DATABASE_URL must start with postgres:// (Verbatim runs on PostgreSQL only), "
            f"not {parts.scheme}://"
        )
    name = unquote(parts.path.lstrip("/"))
    if not name:
        raise ImproperlyConfigured("DATABASE_URL names no database (postgres://…/NAME).")
    options = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": name,
        "USER": unquote(parts.username or ""),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": unquote(parts.hostname or ""),
        "PORT": str(parts.port or ""),
        "OPTIONS": options,
    }


def url_from_settings(database: dict) -> str:
    """The DATABASE_URL of a DATABASES entry: what settings_from_url reads back into the same one.

    Lets a child process (the load test's server, a restore) reach exactly the database this one
    uses, embedded cluster and test database included. A unix socket folder travels as ?host=.
    """
    # Only what a URL carries (strings): settings from the environment (a pool) are the child's own.
    options = {k: v for k, v in database.get("OPTIONS", {}).items() if isinstance(v, str)}
    host, port = database.get("HOST") or "", database.get("PORT") or ""
    if host.startswith("/"):
        options["host"], host = host, ""
    user = quote(database.get("USER") or "", safe="")
    if database.get("PASSWORD"):
        user += ":" + quote(database["PASSWORD"], safe="")
    netloc = (user + "@" if user else "") + host + (f":{port}" if port else "")
    query = f"?{urlencode(options)}" if options else ""
    return f"postgres://{netloc}/{quote(database['NAME'], safe='')}{query}"


def _embedded_settings(pgdata: Path) -> dict:
    import psycopg

    global _server
    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset (root shells, CI); harmless here.
        warnings.simplefilter("ignore")
        import pgserver  # only needed without DATABASE_URL

        _server = pgserver.get_server(pgdata, cleanup_mode="stop")
    uri = _server.get_uri()
    with psycopg.connect(uri, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [EMBEDDED_DATABASE]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{EMBEDDED_DATABASE}"')
    options = parse_qs(urlsplit(uri).query)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": EMBEDDED_DATABASE,
        "USER": urlsplit(uri).username or "postgres",
        "HOST": options["host"][0],  # the cluster's unix socket folder
    }
