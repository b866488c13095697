"""verbatim/dates.py writes moments exactly as Django's formats.date_format does."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import formats, translation

from verbatim import dates

MOMENTS = [
    datetime.datetime(2026, 12, 6, 0, 5, 9),
    datetime.datetime(2026, 1, 31, 23, 59, 59, 999999),
    datetime.datetime(999, 3, 4, 7, 0, tzinfo=ZoneInfo("America/Montreal")),
    datetime.datetime(5, 10, 1, 12, 30, tzinfo=datetime.UTC),
    datetime.date(2026, 7, 4),
]


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize("name", ["SHORT_DATETIME_FORMAT", "SHORT_DATE_FORMAT", "DATE_FORMAT"])
def test_the_same_text_as_django_in_each_language(language, name):
    with translation.override(language):
        for moment in MOMENTS:
            if isinstance(moment, datetime.datetime) or "TIME" not in name:
                assert dates.date_format(moment, name) == formats.date_format(moment, name)


@pytest.mark.parametrize(
    "format_string",
    ["d/m/Y H:i", "j.n.Y G:i:s", r"\d\a\y d, {Y}", "Y-m-d", "N j, Y, P", "l d F", "y"],
)
def test_letters_escapes_and_braces_as_django_writes_them(format_string):
    for moment in MOMENTS[:4]:
        assert dates.date_format(moment, format_string) == formats.date_format(
            moment, format_string
        )


def test_a_formatter_finds_its_format_once_for_many_moments(monkeypatch):
    """A page of moments finds its format once (review/cards.py `Shared`), not per moment."""
    found = []
    get_format = formats.get_format
    monkeypatch.setattr(formats, "get_format", lambda *a, **k: found.append(a) or get_format(*a))
    with translation.override("fr"):
        write = dates.formatter("SHORT_DATETIME_FORMAT")
        written = [write(moment) for moment in MOMENTS[:4]]
    assert found == [("SHORT_DATETIME_FORMAT",)]
    monkeypatch.undo()
    with translation.override("fr"):
        assert written == [
            formats.date_format(moment, "SHORT_DATETIME_FORMAT") for moment in MOMENTS[:4]
        ]


def test_only_numeric_formats_are_compiled_the_others_left_to_django():
    assert (
        dates._pattern("d/m/Y H:i")
        == "{0.day:02d}/{0.month:02d}/{0.year:04d} {0.hour:02d}:{0.minute:02d}"
    )
    assert dates._pattern(r"\d {Y}") == "d {{{0.year:04d}}}"
    assert dates._pattern("N j, Y") is None  # a month's name: Django's, in the language


def test_a_time_letter_for_a_date_is_refused_as_django_refuses_it():
    with pytest.raises(TypeError):
        dates.date_format(datetime.date(2026, 7, 4), "d/m/Y H:i")
