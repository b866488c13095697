import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F

from coding.models import Code, Coding, CodingEvent, Memo, ReviewEvent
from interviews.models import Interview, Membership, Project, Speaker

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    call_command("load_demo", stdout=StringIO())
    return Project.objects.get(name__endswith="(démo)")


def counts():
    return [
        model.objects.count()
        for model in (Project, Membership, Interview, Code, Coding, ReviewEvent, Memo, CodingEvent)
    ]


def test_it_loads_twenty_fictional_interviews_with_turns_and_attributes(demo):
    interviews = demo.interviews.prefetch_related("turns", "attribute_values")
    assert interviews.count() == 20
    assert "FICTIFS" in demo.description
    for interview in interviews:
        assert interview.word_count >= 1200, interview.title
        assert len(interview.turns.all()) >= 10
        assert len(interview.attribute_values.all()) == 4
        roles = set(interview.speakers.values_list("role", flat=True))
        assert roles == {Speaker.Role.INTERVIEWER, Speaker.Role.PARTICIPANT}
    assert len(set(interviews.values_list("participant", flat=True))) == 20


def test_the_twenty_interviews_are_written_not_templated(demo):
    """No run of ten words a participant says appears in another participant's interview."""
    seen = {}
    for interview in demo.interviews.all():
        turns = interview.turns.filter(speaker__role=Speaker.Role.PARTICIPANT)
        said = " ".join(interview.text[turn.start : turn.end] for turn in turns)
        words = re.findall(r"\w+", said.lower())
        for i in range(len(words) - 10):
            shingle = " ".join(words[i : i + 10])
            owner = seen.setdefault(shingle, interview.pk)
            assert owner == interview.pk, f"shared between interviews: {shingle!r}"


def test_the_codebook_has_the_founding_concepts_with_bilingual_definitions(demo):
    courtois = Code.objects.get(project=demo, name="Voisinage courtois")
    legitime = Code.objects.get(project=demo, name="Suggestion légitime")
    assert (
        courtois.parent
        == legitime.parent
        == Code.objects.get(project=demo, name="Gestion de la proximité")
    )
    for code in (courtois, legitime):
        assert "FR :" in code.description and "EN:" in code.description


def test_example_codings_by_two_researchers_cover_their_quotes(demo):
    codings = Coding.objects.filter(interview__project=demo).select_related("interview", "coder")
    assert set(codings.values_list("coder__username", flat=True)) == {"rita", "remi"}
    assert codings.count() >= 80
    for coding in codings:
        assert coding.text == coding.interview.text[coding.start : coding.end]
    # Both researchers coded overlapping passages somewhere, so agreement has something to compare.
    overlapping = codings.filter(coder__username="rita").filter(
        interview__codings__coder__username="remi",
        interview__codings__start__lt=F("end"),
        interview__codings__end__gt=F("start"),
    )
    assert overlapping.exists()
    assert (
        ReviewEvent.objects.filter(status=Coding.Status.NEEDS_CHANGE).exclude(comment="").exists()
    )


def test_it_is_idempotent(demo):
    before = counts()
    call_command("load_demo", stdout=StringIO())
    assert counts() == before


def test_demo_users_have_one_role_each(demo):
    roles = dict(demo.memberships.values_list("user__username", "role"))
    assert roles == {
        "ada": "admin",
        "sam": "supervisor",
        "rita": "researcher",
        "remi": "researcher",
    }


def test_the_demo_logins_work_through_the_throttled_login_page(demo, client):
    """What `bin/dev serve` prints: ada, sam, rita and remi log in with « verbatim-demo », even
    after someone mistyped a password a few times."""
    for username in ("ada", "sam", "rita", "remi"):
        for _ in range(2):
            client.post("/login/", {"username": username, "password": "wrong"})
        response = client.post("/login/", {"username": username, "password": "verbatim-demo"})
        assert response.status_code == 302 and response["Location"] == "/", username
        client.logout()
