import io
import secrets
from urllib.parse import urlencode, urlparse

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.middleware.gzip import GZipMiddleware, re_accepts_gzip
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from isal import igzip


def _page(request: HttpRequest, url: str | None) -> str | None:
    """The path of `url` if it is a page of this site, else None."""
    if not url or not url_has_allowed_host_and_scheme(url, {request.get_host()}):
        return None
    parts = urlparse(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def htmx_login_redirect(get_response):
    """Answer a request whose session expired so that no work is lost and `next` is a page.

    LoginRequiredMiddleware redirects to the login page with `next` set to the request's own URL.
    For an htmx request, following that redirect would swap the login page into a fragment, and a
    full reload would lose what the user typed: the answer is a 401 instead, and the page itself
    (static/verbatim.js) asks for the password in a dialog and sends the action again. For a plain
    POST (a form without htmx), `next` becomes the page the form was on: the POST's URL answers 405
    to the GET that would follow the login.
    """

    def middleware(request: HttpRequest):
        response = get_response(request)
        login_url = resolve_url(settings.LOGIN_URL)
        if response.status_code != 302 or not response["Location"].startswith(login_url):
            return response
        if getattr(request, "htmx", False):
            answer = HttpResponse(status=401)
            page = _page(request, request.headers.get("HX-Current-URL"))
            answer["X-Login-URL"] = login_url + (
                "?" + urlencode({REDIRECT_FIELD_NAME: page}) if page else ""
            )
            return answer
        if request.method not in ("GET", "HEAD"):
            page = _page(request, request.headers.get("Referer"))
            query = "?" + urlencode({REDIRECT_FIELD_NAME: page}) if page else ""
            return HttpResponseRedirect(login_url + query)
        return response

    return middleware


def refuse_nul_bytes(get_response):
    """400, with a page that says why, for a NUL character in the query string or a form field.

    PostgreSQL cannot store one in text, nor compare text with one: any view that passed it on to a
    query failed with a 500. No browser form sends one, so one rule here rather than in each form.
    """

    def middleware(request: HttpRequest):
        fields = [*request.GET.lists()]
        if request.method == "POST":
            fields += request.POST.lists()
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in fields):
            page = render_to_string(
                "error.html",
                {
                    "title": _("Bad request"),
                    "message": _(
                        "This request contains a NUL character, which no text in Verbatim may "
                        "hold. Go back and check what was typed or pasted."
                    ),
                },
            )
            return HttpResponseBadRequest(page)
        return get_response(request)

    return middleware


class CompressPages(GZipMiddleware):
    """Pages and htmx fragments gzipped for browsers that accept it; downloads left as they are.

    An interview page of 500 codings is about 210 KB of HTML: 40 KB in 0.2 ms with Intel's ISA-L
    (isal) at its level 2, where zlib's level 1 made 42 KB in 1.0 ms and Django's level 6 31 KB in
    3 ms: on a page the server's milliseconds weigh more than 10 KB on any network a team works
    over. The output is plain gzip (RFC 1952), which every browser reads. A download (a CSV
    or an Excel file, `Content-Disposition: attachment`) is saved rather than read by the browser,
    and compressing 8 MB of CSV would cost more server time than loopback or a LAN saves; an Excel
    file is a zip already. BREACH: docs/security.md says why compressing pages that carry the CSRF
    token is safe here; the random padding of Django's middleware ("Heal the BREACH") is kept.
    """

    LEVEL = 2  # ISA-L's levels go from 0 to 3; 2 is its default, as fast as 1 and smaller

    def process_response(self, request, response):
        if response.get("Content-Disposition", "").startswith("attachment"):
            return response
        if response.streaming or response.has_header("Content-Encoding"):
            return super().process_response(request, response)
        if len(response.content) < 200:
            return response
        patch_vary_headers(response, ("Accept-Encoding",))
        if not re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")):
            return response
        compressed = self._gzip(response.content)
        if len(compressed) >= len(response.content):
            return response
        response.content = compressed
        response.headers["Content-Length"] = str(len(compressed))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response.headers["ETag"] = "W/" + etag  # as Django's: a strong ETag becomes weak
        response.headers["Content-Encoding"] = "gzip"
        return response

    def _gzip(self, content: bytes) -> bytes:
        """gzip at LEVEL, its header naming a file of 1 to max_random_bytes letters, as many as a
        random draw says: the response's length varies by that much from one response to the next,
        as with Django's (which pads with "a"s too). Its length is what hides; drawing each letter
        as well took 0.04 ms of a fragment's 0.05."""
        padding = "a" * (1 + secrets.randbelow(self.max_random_bytes))
        buffer = io.BytesIO()
        with igzip.IGzipFile(padding, "wb", self.LEVEL, buffer, mtime=0) as file:
            file.write(content)
        return buffer.getvalue()
