"""Moments are read by psycopg's own timestamptz loader (verbatim/postgresql/base.py), and come out
exactly as Django's loader gave them: the same instants, in `datetime.timezone.utc`."""

import datetime

import psycopg
import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.pq import Format

from verbatim.postgresql.base import TIMESTAMPTZ, UtcMomentLoader

pytestmark = pytest.mark.django_db

MOMENTS = [
    "2024-03-10 02:30:00.123456+05:30",
    "2024-10-27 02:59:59.999999+02",  # the last second of summer time in France
    "2026-12-05 21:00:00-05",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
    "1969-12-31 23:59:59.5+00",
]
QUERY = "SELECT " + ", ".join(f"'{moment}'::timestamptz" for moment in MOMENTS)


def test_moments_are_what_djangos_own_loader_read():
    with connection.cursor() as cursor:
        cursor.execute(QUERY)
        ours = cursor.fetchone()
    with connection.cursor() as cursor:
        register_tzloader(datetime.UTC, cursor.cursor)  # Django's loader, on this cursor alone
        assert cursor.cursor.adapters.get_loader(TIMESTAMPTZ, Format.TEXT) is not UtcMomentLoader
        cursor.execute(QUERY)
        djangos = cursor.fetchone()
    assert ours == djangos
    assert all(moment.tzinfo is datetime.UTC for moment in ours + djangos)
    assert ours[0] == datetime.datetime(2024, 3, 9, 21, 0, 0, 123456, tzinfo=datetime.UTC)


def test_the_connection_reads_moments_with_psycopgs_own_loader(coding):
    with connection.cursor() as cursor:
        loader = cursor.cursor.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)
        cursor.execute("SELECT created_at FROM coding_coding WHERE id = %s", [coding.pk])
        (read,) = cursor.fetchone()
    assert loader is UtcMomentLoader
    assert read == coding.created_at and read.tzinfo is datetime.UTC
    used = loader(TIMESTAMPTZ, cursor.cursor).load.__self__
    assert type(used) is psycopg.adapters.get_loader(TIMESTAMPTZ, Format.TEXT)
    if psycopg.pq.__impl__ == "binary":
        assert type(used).__module__.startswith("psycopg_binary")  # in C
