"""From disagreement to consensus: settled through coding_apply as the supervisor, audited,
undoable; "consensus only" in excerpts, review and exports; disagreements sent to review."""

import csv
import io

import pytest

from agreement import comparison
from agreement.models import ConsensusDecision
from coding import actions
from coding.models import Coding, CodingEvent, CodingRound, ConsensusCoder, ReviewEvent
from coding.visibility import EVERYTHING
from tests.factories import make_code, make_coding, make_interview

pytestmark = pytest.mark.django_db


@pytest.fixture
def disagreement(project, rita, remi, sam, study):
    """rita [16, 80) and remi [16, 60): boundaries differ; remi alone [100, 130)."""
    one = study["interviews"][0]
    code = study["codes"][0]
    make_coding(one, code, rita, 16, 80)
    make_coding(one, code, remi, 16, 60)
    make_coding(one, code, remi, 100, 130)
    round_ = CodingRound.objects.create(project=project, name="R", closed_at="2026-01-01T00:00Z")
    round_.coders.set([rita, remi])
    round_.interviews.set(study["interviews"])
    return {"interview": one, "code": code, "round": round_}


def settle(client, project, d, start, end, choice, **extra):
    interview, code = d["interview"], d["code"]
    return client.post(
        f"/projects/{project.pk}/agreement/compare/{interview.pk}/{code.pk}/settle/",
        {"round": d["round"].pk, "start": start, "end": end, "choice": choice, **extra},
    )


def consensus_codings(project):
    user = ConsensusCoder.objects.get(project=project).user
    return list(Coding.objects.filter(coder=user).order_by("start").values_list("start", "end"))


def test_the_regions_of_a_comparison(rita, remi, disagreement):
    d = disagreement
    by_coder = comparison.codings(d["interview"].pk, d["code"].pk, [rita.pk, remi.pk], EVERYTHING)
    found = comparison.regions(by_coder, [rita.pk, remi.pk], d["interview"].text_length)
    assert [(r.start, r.end, r.kind) for r in found] == [
        (16, 80, comparison.BOUNDARY),
        (100, 130, comparison.ONLY),
    ]
    assert found[0].passages == {rita.pk: [(16, 80)], remi.pk: [(16, 60)]}
    assert found[1].coders == [remi.pk]


@pytest.mark.parametrize(
    ("choice", "extra", "written"),
    [
        ("coder:{remi}", {}, [(16, 60)]),
        ("coder:{rita}", {}, [(16, 80)]),
        ("all", {}, [(16, 80)]),
        ("span", {"span_start": 20, "span_end": 50}, [(20, 50)]),
        ("none", {}, []),
    ],
)
def test_a_supervisor_settles_a_disagreement(
    client, project, sam, rita, remi, disagreement, choice, extra, written
):
    client.force_login(sam)
    choice = choice.format(rita=rita.pk, remi=remi.pk)
    response = settle(client, project, disagreement, 16, 80, choice, comment="Vu ensemble", **extra)
    assert response.status_code == 302
    assert consensus_codings(project) == written
    decision = ConsensusDecision.objects.get()
    assert decision.comment == "Vu ensemble" and decision.decided_by == sam
    assert (decision.start, decision.end) == (16, 80)
    assert decision.round == disagreement["round"]
    # Audited as sam's own action, for the consensus coder; the decision knows its group.
    events = CodingEvent.objects.filter(group=decision.group)
    assert len({event.coding_id for event in events}) == len(written)
    assert all(event.actor_id == sam.pk for event in events)
    consensus = ConsensusCoder.objects.get(project=project).user
    assert all(event.after["coder_id"] == consensus.pk for event in events)
    assert not consensus.is_active and not consensus.has_usable_password()


def test_the_consensus_merges_as_any_coding_does(client, project, sam, remi, disagreement):
    """Settling two regions into passages that touch gives one consensus coding: coding_apply's
    rule, not a copy of it."""
    client.force_login(sam)
    interview, code = disagreement["interview"], disagreement["code"]
    actions.apply(interview, code.pk, ConsensusCoder.user_for(project), 80, 100, actor=sam)
    settle(client, project, disagreement, 16, 80, "all")
    settle(client, project, disagreement, 100, 130, f"coder:{remi.pk}")
    assert consensus_codings(project) == [(16, 130)]


def test_a_decision_is_undone_with_its_codings(client, project, sam, disagreement):
    client.force_login(sam)
    settle(client, project, disagreement, 16, 80, "all")
    decision = ConsensusDecision.objects.get()
    response = client.post(f"/projects/{project.pk}/agreement/decisions/{decision.pk}/undo/")
    assert response.status_code == 302
    assert consensus_codings(project) == []
    decision.refresh_from_db()
    assert decision.undone_by == sam
    assert not ConsensusDecision.objects.live().exists()
    assert CodingEvent.objects.filter(undo_of=decision.group).exists()
    # Settled again, differently, once undone.
    settle(client, project, disagreement, 16, 80, "span", span_start=30, span_end=40)
    assert consensus_codings(project) == [(30, 40)]


def test_ctrl_z_in_the_interview_undoes_the_decision_too(client, project, sam, disagreement):
    client.force_login(sam)
    settle(client, project, disagreement, 16, 80, "all")
    actions.undo(disagreement["interview"], sam)
    assert consensus_codings(project) == []
    assert not ConsensusDecision.objects.live().exists()


def test_a_settled_or_changed_disagreement_is_refused(client, project, sam, rita, disagreement):
    client.force_login(sam)
    settle(client, project, disagreement, 16, 80, "all")
    response = settle(client, project, disagreement, 16, 80, f"coder:{rita.pk}")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "déjà réglé" in page
    # The page showed a region that is no longer there (rita changed her coding meanwhile).
    settle(client, project, disagreement, 100, 131, "all")
    assert ConsensusDecision.objects.count() == 1
    assert consensus_codings(project) == [(16, 80)]


def test_a_new_passage_must_be_text(client, project, sam, disagreement):
    client.force_login(sam)
    settle(client, project, disagreement, 16, 80, "span", span_start=50, span_end=10)
    settle(client, project, disagreement, 16, 80, "span", span_start=0, span_end=10**6)
    settle(client, project, disagreement, 16, 80, "span")
    settle(client, project, disagreement, 16, 80, "bogus")
    assert not ConsensusDecision.objects.exists()


def test_researchers_do_not_settle(client, project, rita, disagreement):
    client.force_login(rita)
    assert settle(client, project, disagreement, 16, 80, "all").status_code == 403
    assert not ConsensusDecision.objects.exists()


def test_consensus_only_in_excerpts_review_and_exports(client, project, sam, disagreement):
    client.force_login(sam)
    settle(client, project, disagreement, 16, 80, "all")
    consensus = ConsensusCoder.objects.get(project=project).user
    page = client.get(f"/projects/{project.pk}/excerpts/?coder={consensus.pk}").content.decode()
    assert page.count('class="excerpt"') == 1 or page.count("excerpt-body") == 1
    assert "Consensus" in page
    queue = client.get(f"/projects/{project.pk}/review/?coder={consensus.pk}").content.decode()
    (only,) = Coding.objects.filter(coder=consensus)
    assert f'id="review-{only.pk}"' in queue
    assert queue.count('class="card review-card') == 1
    response = client.get(
        f"/projects/{project.pk}/excerpts/export/?format=csv&coder={consensus.pk}"
    )
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 2  # the header and the consensus coding


def test_a_disagreement_goes_to_the_review_queue_to_discuss(
    client, project, sam, rita, remi, disagreement, other_project
):
    ids = list(Coding.objects.filter(start=16).values_list("pk", flat=True))
    Coding.objects.filter(pk=ids[0]).update(status=Coding.Status.APPROVED)
    client.force_login(sam)
    response = client.post(
        f"/projects/{project.pk}/review/discuss/",
        {"coding": ids, "comment": "Où s'arrête le voisinage ?", "next": "/elsewhere/"},
    )
    assert response.status_code == 302 and response["Location"] == "/elsewhere/"
    for coding in Coding.objects.filter(pk__in=ids):
        assert coding.status == Coding.Status.PENDING
        last = ReviewEvent.objects.filter(coding=coding).latest("created_at")
        assert (last.reviewer, last.comment) == (sam, "Où s'arrête le voisinage ?")
    queue = client.get(f"/projects/{project.pk}/review/").content.decode()
    assert "Où s&#x27;arrête le voisinage ?" in queue

    # Nothing to say, or a researcher, or another project's coding: nothing happens to them.
    client.post(f"/projects/{project.pk}/review/discuss/", {"coding": ids, "comment": " "})
    assert ReviewEvent.objects.count() == 2
    elsewhere = make_coding(make_interview(other_project), make_code(other_project), rita, 0, 5)
    client.post(
        f"/projects/{project.pk}/review/discuss/", {"coding": [elsewhere.pk], "comment": "x"}
    )
    assert not ReviewEvent.objects.filter(coding=elsewhere).exists()
    client.force_login(rita)
    response = client.post(
        f"/projects/{project.pk}/review/discuss/", {"coding": ids, "comment": "x"}
    )
    assert response.status_code == 403


def test_a_cards_settle_form_loads_when_opened(client, project, sam, rita, remi, disagreement):
    d = disagreement
    base = f"/projects/{project.pk}/agreement/compare/{d['interview'].pk}/{d['code'].pk}/settle/"
    query = f"round={d['round'].pk}&coder={remi.pk}&coder={rita.pk}"
    client.force_login(sam)
    fragment = client.get(f"{base}?{query}&start=100&end=130", headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert fragment.status_code == 200 and "<html" not in html
    assert 'name="start" value="100"' in html and f'value="coder:{remi.pk}"' in html
    page = client.get(f"{base}?{query}&start=100&end=130").content.decode()
    assert "<html" in page and 'class="settle-form"' in page  # without htmx, a page of its own
    assert client.get(f"{base}?{query}&start=100&end=131").status_code == 404  # no such region
    client.force_login(rita)
    assert client.get(f"{base}?{query}&start=100&end=130").status_code == 403
