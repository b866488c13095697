"""Error pages that say what happened, rather than a bare 500.

`server_error` is Django's handler500 (verbatim/urls.py): Django calls it while it handles the
uncaught exception (and has logged it), so the exception is at hand. When PostgreSQL is the cause,
the answer is a 503 the user can act on:

- a statement cancelled by `statement_timeout` (settings.STATEMENT_TIMEOUT): the request was
  stopped rather than left to hold a worker;
- the database unreachable or shutting down (the embedded cluster restarting, docs/operations.md):
  try again in a few seconds.

The page touches neither the database nor the session, which may be what failed.
"""

import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.translation import gettext as _
from psycopg import errors

RETRY_AFTER = 5  # seconds: what a restarting embedded cluster needs (verbatim/database.py)


def _page(request: HttpRequest, title: str, message: str, status: int) -> HttpResponse:
    context = {"title": title, "message": message}
    return HttpResponse(loader.render_to_string("error.html", context), status=status)


def database_trouble(exception: BaseException | None) -> str | None:
    """'timeout' or 'unavailable' when PostgreSQL is why `exception` was raised, else None."""
    if not isinstance(exception, (OperationalError, InterfaceError)):
        return None
    if isinstance(exception.__cause__, errors.QueryCanceled):
        return "timeout"
    return "unavailable"


def server_error(request: HttpRequest) -> HttpResponse:
    trouble = database_trouble(sys.exc_info()[1])
    if trouble == "timeout":
        message = _(
            "This request took longer than %(seconds)d seconds and was stopped, so as not to "
            "hold up the server for everyone. Try again; if it happens again, tell your "
            "administrator what you were doing."
        ) % {"seconds": settings.STATEMENT_TIMEOUT}
        response = _page(request, _("Taking too long"), message, 503)
    elif trouble == "unavailable":
        message = _(
            "The database is not answering at the moment (it may be restarting). Nothing you did "
            "is lost: try again in a few seconds."
        )
        response = _page(request, _("Database unavailable"), message, 503)
    else:
        message = _("Something went wrong on the server. The error has been logged.")
        return _page(request, _("Server error"), message, 500)
    response["Retry-After"] = str(RETRY_AFTER)
    return response
