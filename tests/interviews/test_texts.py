"""Transcripts kept in memory by their checksum (interviews/texts.py): read once per process, never
stale after a correction, bounded in memory, and found only through rows the caller read."""

import pytest
from cachetools import LRUCache

from corrections import services
from interviews import texts
from interviews.models import Interview, text_checksum
from tests.factories import make_code, make_coding, make_interview

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture(autouse=True)
def forgotten():
    """Each test starts with nothing kept (the cache belongs to the process)."""
    texts.clear()
    yield
    texts.clear()


def test_a_text_is_read_once_then_found_by_its_checksum(interview, django_assert_num_queries):
    key = (interview.pk, interview.checksum)
    with django_assert_num_queries(1):  # the text
        assert texts.text(*key) == interview.text
    with django_assert_num_queries(0):
        assert list(texts.in_order([key, key])) == [(interview.pk, interview.text)] * 2
        assert texts.text(*key) == interview.text


def test_a_corrected_text_is_read_again(interview, rita, django_assert_num_queries):
    old = interview.text
    assert texts.text(interview.pk, interview.checksum) == old
    services.correct(
        interview,
        rita,
        old.replace("café", "thé"),
        reason="coquille",
        expected_version=interview.text_version,
    )
    interview.refresh_from_db()
    with django_assert_num_queries(1):  # its new checksum is not kept: the text is read
        assert texts.text(interview.pk, interview.checksum) == interview.text
    assert "thé" in interview.text and "café" not in interview.text
    # Whoever still holds the old checksum gets the old text, which is what their row said.
    assert texts.text(interview.pk, text_checksum(old)) == old


@pytest.mark.parametrize("where", ["excerpts", "csv", "review", "workspace"])
def test_every_page_shows_the_corrected_words_after_a_correction(
    client, project, interview, rita, sam, where
):
    code = make_code(project, "Banc")
    start = interview.text.index("même banc")
    make_coding(interview, code, rita, start, start + len("même banc"))
    urls = {
        "excerpts": f"/projects/{project.pk}/excerpts/?code={code.pk}",
        "csv": f"/projects/{project.pk}/excerpts/export/?format=csv&code={code.pk}",
        "review": f"/projects/{project.pk}/review/",
        "workspace": f"/projects/{project.pk}/interviews/{interview.pk}/",
    }
    client.force_login(sam)

    def page() -> str:
        response = client.get(urls[where])
        assert response.status_code == 200
        body = response.getvalue() if response.streaming else response.content
        return body.decode("utf-8-sig")

    assert "des semaines" in page()  # the context (or the transcript) as it was: now kept
    services.correct(
        interview,
        rita,
        interview.text.replace("des semaines", "des mois"),
        reason="coquille",
        expected_version=interview.text_version,
    )
    shown = page()
    assert "des mois" in shown and "des semaines" not in shown


def test_in_order_keeps_the_callers_order_and_reads_what_is_missing_in_batches(
    project, monkeypatch, django_assert_num_queries
):
    interviews = [make_interview(project, f"Texte {i} : mots.", f"Entretien {i}") for i in range(5)]
    keys = [(i.pk, i.checksum) for i in reversed(interviews)]
    monkeypatch.setattr(texts, "BATCH", 2)
    with django_assert_num_queries(3):  # 2 + 2 + 1
        got = list(texts.in_order(keys))
    assert got == [(i.pk, i.text) for i in reversed(interviews)]
    texts.clear()
    texts.text(interviews[0].pk, interviews[0].checksum)
    texts.text(interviews[1].pk, interviews[1].checksum)
    with django_assert_num_queries(2):  # 0 and 1 kept: the last batch reads nothing
        assert list(texts.in_order(keys)) == got
    with django_assert_num_queries(0):
        assert list(texts.in_order(keys)) == got


def test_an_interview_deleted_meanwhile_has_no_text_and_breaks_nothing(interview):
    key = (interview.pk, interview.checksum)
    Interview.objects.filter(pk=interview.pk).delete()
    assert list(texts.in_order([key])) == []
    assert texts.text(*key) == ""


def test_memory_is_bounded_and_a_text_too_large_is_served_not_kept(project, monkeypatch):
    small, other = make_interview(project, "Court : oui."), make_interview(project, "Autre : non.")
    large = make_interview(project, "Long : " + "mot " * 5_000, "Entretien long")
    room = LRUCache(maxsize=30, getsizeof=len)  # room for the two short texts, in characters
    monkeypatch.setattr(texts, "_cache", room)
    assert texts.text(large.pk, large.checksum) == large.text
    assert (large.pk, large.checksum) not in room
    for interview in (small, other):
        texts.text(interview.pk, interview.checksum)
    assert set(room) == {(small.pk, small.checksum), (other.pk, other.checksum)}
    third = make_interview(project, "Trois : peut-être.", "Entretien 3")
    texts.text(third.pk, third.checksum)
    assert (small.pk, small.checksum) not in room  # the least recently used went first
    assert (third.pk, third.checksum) in room
