"""A connection kept between requests is checked by its socket first (verbatim/postgresql/base.py):
no round trip while it is idle, Django's own check once the server has closed it."""

import select

import pytest
from django.db import connection
from django.db.backends.postgresql import base

pytestmark = pytest.mark.django_db(transaction=True)  # the test ends the connection itself


def test_an_idle_connection_is_trusted_without_asking_the_server(monkeypatch):
    asked = []
    monkeypatch.setattr(base.DatabaseWrapper, "is_usable", lambda self: asked.append(self) or True)
    connection.ensure_connection()
    assert connection.is_usable()
    assert asked == []


def test_a_connection_the_server_ended_is_replaced_before_the_next_query():
    connection.ensure_connection()
    kept = connection.connection
    other = connection.get_new_connection(connection.get_connection_params())
    try:
        other.execute("SELECT pg_terminate_backend(%s)", [kept.info.backend_pid])
    finally:
        other.close()
    # The server says goodbye on the socket, then closes it: wait for that, as a request would find it.
    ready, _, _ = select.select([kept.fileno()], [], [], 30)
    assert ready, "the server never closed the connection"
    assert not connection.is_usable()
    connection.health_check_done = False  # as at the start of a request
    with connection.cursor() as cursor:  # checked, found dead, replaced
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)
    assert connection.connection is not kept
