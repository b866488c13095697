"""Functions run in the isolated child by tests: a module without models, as the child has none."""


def open_database():
    from django.db import connection

    connection.ensure_connection()
