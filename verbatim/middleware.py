from django.conf import settings
from django.http import HttpRequest, HttpResponseBadRequest
from django.shortcuts import resolve_url
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect


def htmx_login_redirect(get_response):
    """Send an htmx request whose session expired to the login page, not into the fragment.

    htmx follows the 302 from LoginRequiredMiddleware transparently and would swap the whole login page
    into whatever element made the request; a client redirect reloads the window instead.
    """

    def middleware(request: HttpRequest):
        response = get_response(request)
        if (
            getattr(request, "htmx", False)
            and response.status_code == 302
            and response["Location"].startswith(resolve_url(settings.LOGIN_URL))
        ):
            return HttpResponseClientRedirect(response["Location"])
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
