"""The statements written by hand for filters on codes alone (excerpts.queries CODES_PAGE and
CODES_COUNT, exports.excerpt_rows CODES_CHOSEN and CODES_DETACHED) pass the codings the ORM's
would, in the same order, counted the same."""

import random

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from coding.models import CodingEvent, CodingRound, DetachedCoding
from excerpts import queries
from excerpts.filters import read_filters
from exports import excerpt_rows
from interviews.models import Membership
from tests.factories import (
    TRANSCRIPT,
    make_code,
    make_coding,
    make_interview,
    make_project,
    make_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def coded(project, rita, sam):
    """Three interviews whose titles are not in the order of their ids, two coders, a codebook of
    a parent with two children and a code of its own, 120 codings placed at random; and the same
    codes' names in another project, coded too."""
    rng = random.Random(7)
    interviews = [
        make_interview(project, f"{TRANSCRIPT} {title}", title) for title in ("Zoé", "Alix", "Marc")
    ]
    parent = make_code(project, "Proximité")
    codes = [
        parent,
        make_code(project, "Voisinage", parent),
        make_code(project, "Bonne distance", parent),
    ]
    codes.append(make_code(project, "Lien"))
    for _ in range(120):
        start = rng.randrange(0, 300)
        make_coding(
            rng.choice(interviews), rng.choice(codes), rng.choice([rita, sam]), start, start + 9
        )
    elsewhere = make_project("Autre")
    other = make_code(elsewhere, "Proximité")
    make_coding(make_interview(elsewhere), other, make_user("olga", elsewhere, "researcher"), 0, 9)
    return {"codes": codes, "interviews": interviews}


def page_ids(filters, offset, limit, count_limit=None):
    """The ids of a page of excerpts, and the count, as the excerpts page reads them."""
    excerpts, counted = queries.excerpts_and_count(filters, offset, limit, count_limit)
    return [excerpt.pk for excerpt in excerpts], counted


def both(filters, offset=0, limit=200, count_limit=None, monkeypatch=None):
    """The page's ids and the count, written here, then as the ORM compiles them."""
    written = page_ids(filters, offset, limit, count_limit)
    monkeypatch.setattr(queries, "codes_only", lambda filters: None)
    compiled = page_ids(filters, offset, limit, count_limit)
    monkeypatch.undo()
    return written, compiled


@pytest.mark.parametrize(
    "query",
    [
        "code={0}",
        "code={1}",
        "code={0}&subcodes=1",
        "code={1}&code={3}",
        "code={1}&code={3}&match=all",  # intersections: the ORM's, written or not
        "code={0}&code={3}&subcodes=1",
    ],
)
def test_codes_alone_pass_what_the_orm_passes_in_its_order(coded, project, query, monkeypatch):
    ids = [code.pk for code in coded["codes"]]
    filters = read_filters(project, QueryDict(query.format(*ids)))
    assert filters.is_valid(), filters.errors
    for offset, limit, count_limit in ((0, 200, None), (0, 7, 5), (10, 25, 40)):
        written, compiled = both(filters, offset, limit, count_limit, monkeypatch)
        assert written == compiled
    assert written[0], "the filters pass codings"


def test_only_codes_alone_take_the_written_statements(coded, project, rita, sam):
    code = coded["codes"][1]
    filters = read_filters(project, {"code": str(code.pk)})
    with CaptureQueriesContext(connection) as seen:
        page_ids(filters, 0, 50)
    assert "k.code_id = ANY(" in seen.captured_queries[0]["sql"]
    for data in (
        {"code": str(code.pk), "coder": str(rita.pk)},
        {"code": str(code.pk), "status": "pending"},
        {"code": [str(code.pk), str(coded["codes"][3].pk)], "match": "all"},
    ):
        filters = read_filters(project, data)
        with CaptureQueriesContext(connection) as seen:
            page_ids(filters, 0, 50)
        assert "k.code_id = ANY(" not in seen.captured_queries[0]["sql"], data


def test_a_blind_coder_never_takes_them(coded, project, rita, sam, monkeypatch):
    """In an open blind round, the researcher's own codings of its interview, and everyone's
    elsewhere: the ORM's rule, as written in coding/visibility.py."""
    code = coded["codes"][1]
    round_ = CodingRound.objects.create(project=project, name="Aveugle")
    round_.coders.set([rita, sam])
    round_.interviews.set([coded["interviews"][0]])
    member = Membership.objects.get(project=project, user=rita)
    filters = read_filters(project, {"code": str(code.pk)}, member=member)
    assert queries.codes_only(filters) is None
    everyone = read_filters(project, {"code": str(code.pk)})
    hidden = set(page_ids(everyone, 0, 500)[0]) - set(page_ids(filters, 0, 500)[0])
    assert hidden and all(
        coding.coder_id == sam.pk and coding.interview_id == coded["interviews"][0].pk
        for coding in code.codings.filter(pk__in=hidden)
    )


def test_an_exports_codings_and_detached_codings_for_codes_alone_are_the_orms(
    coded, project, rita, monkeypatch
):
    """exports.excerpt_rows writes CHOSEN and DETACHED itself for codes alone: the same rows."""
    codes, interviews = coded["codes"], coded["interviews"]
    for number, (interview, code) in enumerate(
        [(interviews[1], codes[1]), (interviews[0], codes[1]), (interviews[2], codes[3])]
    ):
        event = CodingEvent.objects.create(
            coding_id=10_000 + number,
            project_id=project.pk,
            interview_id=interview.pk,
            actor=rita,
            action="delete",
        )
        DetachedCoding.objects.create(
            interview=interview,
            coding_id=10_000 + number,
            code=code,
            coder=rita,
            text=f"mots {number}",
            start=5 * number,
            end=5 * number + 4,
            version=2,
            event=event,
        )

    def rows(filters):
        chosen, detached = excerpt_rows._chosen(filters), excerpt_rows._detached(filters)
        with connection.cursor() as cursor:
            cursor.execute(*chosen)
            chosen_rows = sorted(cursor.fetchall())
            cursor.execute(*detached)
            return chosen_rows, cursor.fetchall()

    for query in ("code={1}", "code={0}&subcodes=1", "code={1}&code={3}"):
        ids = [code.pk for code in codes]
        filters = read_filters(project, QueryDict(query.format(*ids)))
        assert queries.codes_only(filters) is not None
        written = rows(filters)
        with monkeypatch.context() as patched:
            patched.setattr(queries, "codes_only", lambda filters: None)
            compiled = rows(filters)
        assert written == compiled
        assert written[0] and written[1], query  # codings and detached ones, to compare
