from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import resolve_url
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
