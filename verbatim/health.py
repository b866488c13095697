"""GET /health/: for load balancers and uptime monitors. 200 "ok" when this server reaches PostgreSQL.

Open without login, and over plain HTTP too (settings.SECURE_REDIRECT_EXEMPT), since a proxy checks
its app servers directly; it still needs a Host header in DJANGO_ALLOWED_HOSTS.
"""

from django.contrib.auth.decorators import login_not_required
from django.db import OperationalError, connection
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


@never_cache
@login_not_required
@require_GET
def health(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except OperationalError:
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
