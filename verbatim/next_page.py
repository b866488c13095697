"""Where a plain form goes back to after a POST: its `next` field, when it names a page here."""

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme


def next_page(request: HttpRequest, default: str) -> str:
    """The POST's `next` if it is a path of this site, else `default`.

    A path, not a bare word: redirect() would try to reverse "1e200000" as a view's name (a 500).
    """
    target = request.POST.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, {request.get_host()}, request.is_secure()
    ):
        return target
    return default
