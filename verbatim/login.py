"""Login throttling with django-axes: what Verbatim adds to it (settings: AXES_*, docs/security.md).

After AXES_FAILURE_LIMIT failed logins for one username from one address, that pair is refused for
AXES_COOLOFF_TIME; the login page then says so (`locked_out`). Unknown usernames count exactly like
wrong passwords, and Django's ModelBackend runs the password hasher for an unknown username too, so
neither the answer nor its timing tells whether an account exists. An admin lifts a lockout in
Django's admin (Access attempts) or with `manage.py axes_reset` / `axes_reset_username NAME`.
"""

import ipaddress

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from verbatim import plain_sql, sessions


class LoginThrottle(AxesStandaloneBackend):
    """Axes' check, first in AUTHENTICATION_BACKENDS: refuses a locked-out username and address.

    `authenticate()` without a request (scripts, the test client's `login()`) comes from no address
    and is not throttled, where axes itself would raise: every web login passes its request.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)


class Accounts(ModelBackend):
    """Django's ModelBackend, with the lookup of the signed-in user that every request makes read
    with the session, in its statement (verbatim/sessions.py), or else in one plain statement of its
    own: through the ORM, building it took longer than running it."""

    def get_user(self, user_id):
        model = get_user_model()
        user_id = sessions.user_key(user_id)  # the session holds it as text
        if user_id is None:
            return None
        user = sessions.signed_in.get()
        if user is None or user.pk != user_id:
            found = plain_sql.fetch(model, f"t.{model._meta.pk.column} = %s", [user_id])
            user = found[0] if found else None
        return user if user is not None and self.user_can_authenticate(user) else None


class LoginForm(AuthenticationForm):
    """Django's login form, refusing a username longer than any account's before trying it.

    AuthenticationForm only tells the browser (maxlength); a longer one went on to authenticate()
    and to the throttle's records, whose column it overflowed (a 500).
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["username"]
        field.validators.append(MaxLengthValidator(field.max_length))


def client_ip(request: HttpRequest) -> str | None:
    """The address a login comes from (AXES_CLIENT_IP_CALLABLE).

    Behind VERBATIM_TRUSTED_PROXIES reverse proxies, each appends the address it received the
    request from to X-Forwarded-For: the client is the entry that many places from the end; the
    ones before it are whatever the client sent, never trusted. A missing or malformed entry falls
    back to the connection's own address.
    """
    if proxies := settings.VERBATIM_TRUSTED_PROXIES:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies].strip()
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR")


def locked_out(request: HttpRequest, response, credentials) -> HttpResponse:
    """The login page again, saying the username is locked for a while (AXES_LOCKOUT_CALLABLE).

    The same page for any username, existing or not: it reveals nothing about accounts.
    """
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    context = {
        "form": LoginForm(request, initial={"username": username[:150]}),
        "locked_out": True,
        "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "registration/login.html", context, status=429)
