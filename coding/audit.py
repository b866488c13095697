"""Who is acting, for the codings' audit trail (the trigger in migration coding 0002 writes it)."""

from contextlib import contextmanager

from django.db import connection, transaction


@contextmanager
def recorded_as(user):
    """A transaction whose coding changes are recorded as done by `user`.

    The actor travels to the trigger as a transaction-local setting, so it cannot leak to the next
    request on a reused connection.
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('verbatim.actor_id', %s, true)", [str(user.pk)])
        yield
