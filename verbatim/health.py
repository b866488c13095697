"""GET /health/: for load balancers and uptime monitors. 200 "ok" when this server reaches PostgreSQL.

Otherwise 503 "database unavailable", with what is known of why for the embedded cluster
("restarting", "starting", "restart failed: …", "stopped": verbatim.database.embedded_state); never
the connection's own error, which may name hosts and users.

Open without login, and over plain HTTP too (settings.SECURE_REDIRECT_EXEMPT), since a proxy checks
its app servers directly; it still needs a Host header in DJANGO_ALLOWED_HOSTS.
"""

from django.contrib.auth.decorators import login_not_required
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from verbatim.database import embedded_state


@never_cache
@login_not_required
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except (OperationalError, InterfaceError):
        why = embedded_state()
        text = f"database unavailable: {why}" if why else "database unavailable"
        return HttpResponse(text + "\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
