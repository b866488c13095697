"""review/queries.py: a page's codings by id, with what their cards show."""

from datetime import UTC, datetime

import pytest

from coding.models import Memo, ReviewEvent
from review.queries import reviewed_codings
from tests.factories import make_code, make_coding

pytestmark = pytest.mark.django_db


def test_codings_come_in_the_order_of_their_ids_with_their_cards_facts(
    project, interview, rita, sam, django_assert_num_queries
):
    code = make_code(project, "Banc")
    first = make_coding(interview, code, rita, 0, 14)  # "Intervieweuse " (no turn holds it yet)
    start = interview.text.index("sur le même banc")
    second = make_coding(interview, code, rita, start, start + 5)
    Memo.objects.create(project=project, coding=second, author=rita, body="Note")
    later = ReviewEvent.objects.create(coding=second, reviewer=sam, status="approved")
    earlier = ReviewEvent.objects.create(coding=second, reviewer=sam, status="needs_change")
    ReviewEvent.objects.filter(pk=earlier.pk).update(created_at=datetime(2024, 1, 1, tzinfo=UTC))
    with django_assert_num_queries(1):  # the codings and their histories, in one round trip
        codings = reviewed_codings([second.pk, first.pk])
        assert [c.pk for c in codings] == [second.pk, first.pk]
        card = codings[0]
        assert (card.code.name, card.coder.username, card.interview.title) == (
            "Banc",
            "rita",
            "Entretien 1",
        )
        assert card.interview.get_absolute_url().endswith(f"/interviews/{interview.pk}/")
        assert (card.memo_count, codings[1].memo_count) == (1, 0)
        assert card.speaker_name == "Martine"
        # The history, oldest first, each event with its reviewer.
        assert [(e.pk, e.reviewer.username) for e in card.history] == [
            (earlier.pk, "sam"),
            (later.pk, "sam"),
        ]
        assert codings[1].history == []
        assert (card.context_before, card.context_after) == (
            second.context_before,
            second.context_after,
        )
        assert card.context_before.endswith("Je m'assois pas loin, ")
    assert "text" in card.interview.get_deferred_fields()  # the transcript is not read
    assert reviewed_codings([]) == []
