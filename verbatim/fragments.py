"""Whether a request asks for a fragment of its page: one view serves a page and its htmx fragment.

An htmx request gets the fragment, except when htmx restores a page from its history (Back after
the cache was emptied), which needs the whole page again.
"""

from django.http import HttpRequest


def asked(request: HttpRequest) -> bool:
    """An htmx request for a fragment, not a visit nor a page restored from history."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def template(request: HttpRequest, page: str, partial: str) -> str:
    """The template to render: the page's partial when `asked`, else the whole page."""
    return f"{page}#{partial}" if asked(request) else page
