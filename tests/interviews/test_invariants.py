"""What PostgreSQL itself guarantees about transcripts, whatever code writes to it."""

import pytest
from django.db import IntegrityError, connection, transaction

from interviews.models import Attribute, AttributeValue, Interview, Turn
from tests.factories import make_interview, make_project

pytestmark = pytest.mark.django_db


def test_text_length_counts_code_points_like_python(project):
    text = "Intervieweuse : 😊 e\u0301\r\n«\u00a0oui\u00a0»"
    interview = make_interview(project, text=text)
    interview.refresh_from_db()
    assert interview.text_length == len(text) == 29
    assert len(text.encode("utf-16-le")) // 2 == 30  # what a browser would count


def test_the_database_refuses_to_change_a_transcript(interview):
    with pytest.raises(IntegrityError, match="cannot change"), transaction.atomic():
        Interview.objects.filter(pk=interview.pk).update(text="autre chose")
    interview.refresh_from_db()
    assert interview.text.startswith("Intervieweuse : Comment")


def test_other_fields_of_an_interview_can_change(interview):
    Interview.objects.filter(pk=interview.pk).update(title="Entretien renommé")
    interview.refresh_from_db()
    assert interview.title == "Entretien renommé"


@pytest.mark.parametrize("start,end", [(-1, 3), (5, 5), (9, 4)])
def test_the_database_refuses_an_empty_or_reversed_turn(interview, start, end):
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO interviews_turn (interview_id, start, "end") VALUES (%s, %s, %s)',
            [interview.pk, start, end],
        )


def test_the_database_refuses_a_turn_beyond_the_text(interview):
    with pytest.raises(IntegrityError, match="beyond the end"), transaction.atomic():
        Turn.objects.create(interview=interview, start=0, end=interview.text_length + 1)


def test_a_turn_speaker_must_belong_to_the_same_interview(project, interview):
    other = make_interview(project, text="I : a\n\nP : b\n\nI : c\n\nP : d", title="Autre")
    foreign_speaker = other.speakers.first()
    with pytest.raises(IntegrityError, match="does not belong"), transaction.atomic():
        Turn.objects.create(interview=interview, speaker=foreign_speaker, start=0, end=3)


def test_an_attribute_value_must_use_an_attribute_of_the_same_project(interview):
    foreign = Attribute.objects.create(project=make_project("Autre"), name="Milieu")
    with pytest.raises(IntegrityError, match="another project"), transaction.atomic():
        AttributeValue.objects.create(interview=interview, attribute=foreign, text="rue")


def test_the_same_transcript_cannot_be_stored_twice_in_a_project(project, interview):
    with pytest.raises(IntegrityError), transaction.atomic():
        Interview.objects.create(project=project, title="Doublon", text=interview.text)
    # In another project the same text is a different interview.
    assert make_interview(make_project("Autre"), text=interview.text).pk
