"""The agreement pages: figures, a code's interviews, the XLSX, the side-by-side view, rounds."""

import io

import pytest
from openpyxl import load_workbook

from coding.models import CodingRound, RoundDone
from tests.factories import make_code, make_coding, make_interview

pytestmark = pytest.mark.django_db


@pytest.fixture
def round_(project, rita, remi, sam, study):
    one, two = study["interviews"]
    courtois, presence = study["codes"]
    make_coding(one, courtois, rita, 16, 80)
    make_coding(one, courtois, remi, 16, 60)
    make_coding(one, courtois, remi, 100, 130)
    make_coding(two, presence, rita, 40, 90)
    make_coding(two, presence, remi, 40, 90)
    created = CodingRound.objects.create(project=project, name="Double codage", created_by=sam)
    created.coders.set([rita, remi])
    created.interviews.set([one, two])
    return created


def url(project, rest="", **params):
    from urllib.parse import urlencode

    return f"/projects/{project.pk}/agreement/{rest}" + (
        f"?{urlencode(params, doseq=True)}" if params else ""
    )


def test_a_supervisor_reads_the_figures_of_a_round(client, project, sam, round_, study):
    client.force_login(sam)
    page = client.get(url(project, round=round_.pk)).content.decode()
    assert "Voisinage courtois" in page and "Présence" in page
    assert 'class="figure reliable"' in page  # « Présence »: identical codings, κ = 1
    assert "fiable" in page  # the thresholds' meaning, in French by default
    assert 'id="methods-fr"' in page and 'id="methods-en"' in page
    assert "Deux codeur·euses ont codé indépendamment 2 des 2 entretiens" in page
    assert "Two coders independently coded 2 of the 2 interviews" in page
    assert f"/agreement/codes/{study['codes'][0].pk}/?round={round_.pk}" in page


def test_undefined_figures_show_a_dash_and_why(client, project, sam, rita, remi, study, english):
    one = study["interviews"][0]
    make_coding(one, study["codes"][0], rita, 16, 60)
    make_coding(one, study["codes"][0], remi, 16, 60)
    client.force_login(sam)
    client.cookies["django_language"] = "en"
    page = client.get(
        url(project, coder=[rita.pk, remi.pk], interview=one.pk),
        headers={"Accept-Language": "en"},
    ).content.decode()
    assert "—" in page and "no coder applied this code" in page


def test_the_table_sorts_by_a_figure(client, project, sam, round_):
    client.force_login(sam)
    page = client.get(url(project, round=round_.pk, sort="-kappa")).content.decode()
    table = page[page.index('class="list agreement-table"') :]
    assert table.index("Présence") < table.index("Voisinage courtois")
    assert 'aria-sort="descending"' in page
    page = client.get(url(project, round=round_.pk, sort="kappa")).content.decode()
    table = page[page.index('class="list agreement-table"') :]
    assert table.index("Voisinage courtois") < table.index("Présence")


def test_a_selection_without_figures_says_why(client, project, sam, rita, study):
    client.force_login(sam)
    response = client.get(url(project, coder=rita.pk))
    assert response.status_code == 200
    assert "au moins deux codeur·euses" in response.content.decode()


def test_another_projects_ids_are_404(client, project, sam, rita, remi, round_, other_project):
    client.force_login(sam)
    elsewhere = make_interview(other_project)
    code = make_code(other_project)
    assert (
        client.get(url(project, coder=[rita.pk, remi.pk], interview=elsewhere.pk)).status_code
        == 404
    )
    assert client.get(url(project, round=round_.pk, code=code.pk)).status_code == 404
    other_round = CodingRound.objects.create(project=other_project, name="Ailleurs")
    assert client.get(url(project, round=other_round.pk)).status_code == 404
    assert client.get(url(project, f"codes/{code.pk}/", round=round_.pk)).status_code == 404
    interview = round_.interviews.first()
    assert (
        client.get(url(project, f"compare/{interview.pk}/{code.pk}/", round=round_.pk)).status_code
        == 404
    )
    assert client.get(url(project, f"compare/{elsewhere.pk}/{code.pk}/")).status_code == 404


def test_a_researcher_sees_figures_of_closed_rounds_only(client, project, rita, remi, round_):
    client.force_login(rita)
    assert client.get(url(project, round=round_.pk)).status_code == 403
    assert client.get(url(project, "export/", round=round_.pk)).status_code == 403
    assert client.get(url(project, coder=[rita.pk, remi.pk])).status_code == 403
    assert client.get(url(project, round="999999")).status_code == 404
    assert client.get(url(project, round="x")).status_code == 404
    round_.closed_at = round_.created_at
    round_.save()
    page = client.get(url(project, round=round_.pk)).content.decode()
    assert "Voisinage courtois" in page
    assert client.get(url(project)).status_code == 200


def test_the_figures_download_as_excel(client, project, sam, round_):
    client.force_login(sam)
    response = client.get(url(project, "export/", round=round_.pk))
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["Réglages", "Par code", "Par code × entretien", "Paires", "Méthodes"]
    settings = {row[0]: row[1] for row in book["Réglages"].iter_rows(values_only=True) if row}
    assert settings["Tour de codage"] == "Double codage"
    assert settings["Chevauchement minimal des segments appariés"] == 0.9
    per_code = list(book["Par code"].iter_rows(values_only=True))
    presence = next(row for row in per_code if row[0] == "Présence")
    assert presence[2:5] == (1, 1, 1)  # agreement, κ, uα of identical codings
    cells = list(book["Par code × entretien"].iter_rows(values_only=True))
    assert {row[1] for row in cells[1:]} == {"Entretien 1", "Entretien 2"}
    methods = [row[1] for row in book["Méthodes"].iter_rows(values_only=True)]
    assert methods[0].startswith("Deux codeur·euses") and methods[1].startswith("Two coders")


def test_a_code_lists_its_interviews_with_links_side_by_side(client, project, sam, round_, study):
    client.force_login(sam)
    courtois = study["codes"][0]
    page = client.get(url(project, f"codes/{courtois.pk}/", round=round_.pk)).content.decode()
    for interview in study["interviews"]:
        assert f"/agreement/compare/{interview.pk}/{courtois.pk}/?round={round_.pk}" in page


def test_side_by_side_marks_each_disagreement(client, project, sam, round_, study):
    client.force_login(sam)
    one = study["interviews"][0]
    courtois = study["codes"][0]
    response = client.get(url(project, f"compare/{one.pk}/{courtois.pk}/", round=round_.pk))
    page = response.content.decode()
    # [16, 80): rita to 80, remi to 60: boundaries differ; [100, 130): remi only.
    assert page.count('class="card disagreement') == 2
    assert 'class="card disagreement boundary"' in page
    assert 'class="card disagreement only"' in page
    assert 'data-region="0"' in page and 'data-region="1"' in page
    assert 'class="region shared"' in page  # [16, 60): both
    assert "agreement/compare.js" in page
    assert "Régler" in page  # the supervisor may settle


def test_rounds_are_opened_by_supervisors(client, project, sam, rita, remi, study):
    client.force_login(sam)
    one, two = study["interviews"]
    response = client.post(
        url(project, "rounds/"),
        {"name": "Tour 1", "interviews": [one.pk, two.pk], "coders": [rita.pk]},
    )
    assert response.status_code == 200
    assert "au moins deux codeur·euses" in response.content.decode()
    response = client.post(
        url(project, "rounds/"),
        {
            "name": "Tour 1",
            "interviews": [one.pk, two.pk],
            "coders": [rita.pk, remi.pk],
            "reference_coder": sam.pk,
        },
    )
    assert "doit être l’un·e des codeur·euses" in response.content.decode()
    response = client.post(
        url(project, "rounds/"),
        {"name": "Tour 1", "interviews": [one.pk, two.pk], "coders": [rita.pk, remi.pk]},
    )
    created = CodingRound.objects.get(name="Tour 1")
    assert response.status_code == 302 and response["Location"].endswith(f"/rounds/{created.pk}/")
    assert set(created.coders.all()) == {rita, remi}
    assert created.is_open


def test_a_round_draws_its_interviews_at_random(client, project, sam, rita, remi, study):
    """A random share of the interviews, drawn once when the round opens (agreement.forms)."""
    for n in range(3, 6):
        make_interview(project, text=f"Entretien numéro {n}.", title=f"Entretien {n}")
    client.force_login(sam)
    response = client.post(
        url(project, "rounds/"),
        {"name": "Tirage", "sample": 3, "coders": [rita.pk, remi.pk]},
        follow=True,
    )
    drawn = CodingRound.objects.get(name="Tirage")
    assert drawn.interviews.count() == 3
    assert set(drawn.interviews.values_list("project_id", flat=True)) == {project.pk}
    assert "Tour « Tirage » ouvert, avec 3 entretiens tirés au hasard." in response.content.decode()
    # Each draw is its own: twenty rounds of one interview among five do not all take the same.
    firsts = set()
    for n in range(20):
        client.post(
            url(project, "rounds/"),
            {"name": f"Un {n}", "sample": 1, "coders": [rita.pk, remi.pk]},
        )
        firsts |= set(CodingRound.objects.get(name=f"Un {n}").interviews.values_list("pk"))
    assert len(firsts) > 1


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"sample": 6}, "Tirez-en au plus 5 : le projet n’a pas plus d’entretiens."),
        ({"sample": 0}, "supérieure ou égale à 1"),
        ({"sample": 1, "interviews": "first"}, "ou tirez-les au hasard, pas les deux"),
        ({}, "Choisissez les entretiens du tour, ou tirez-en au hasard."),
    ],
)
def test_a_draw_is_refused_with_a_reason(client, project, sam, rita, remi, study, fields, message):
    for n in range(3, 6):
        make_interview(project, text=f"Entretien numéro {n}.", title=f"Entretien {n}")
    if fields.get("interviews") == "first":
        fields = {**fields, "interviews": [study["interviews"][0].pk]}
    client.force_login(sam)
    response = client.post(
        url(project, "rounds/"), {"name": "Tirage", "coders": [rita.pk, remi.pk], **fields}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not CodingRound.objects.exists()


def test_the_rounds_interviews_are_drawn_as_djangos_select_would(project, sam, rita, study):
    """agreement.forms.ManyOptions writes the interviews' select by hand, for speed: the same
    markup as Django's, chosen options and escaped titles included."""
    from django import forms as django_forms
    from django.test.html import parse_html

    from agreement.forms import RoundForm

    one, two = study["interviews"]
    two.title = 'Entretien <2> & "guillemets"'
    two.save(update_fields=["title"])
    form = RoundForm({"name": "", "interviews": [str(two.pk)]}, project=project)
    field = form["interviews"]
    ours = field.as_widget()
    django_select = django_forms.SelectMultiple(attrs={"size": 8}, choices=field.field.choices)
    theirs = field.as_widget(widget=django_select)
    assert parse_html(ours) == parse_html(theirs)
    assert "selected" in ours and "&lt;2&gt; &amp;" in ours


def test_a_round_refuses_another_projects_interviews(
    client, project, sam, rita, remi, other_project
):
    client.force_login(sam)
    elsewhere = make_interview(other_project)
    response = client.post(
        url(project, "rounds/"),
        {"name": "Tour", "interviews": [elsewhere.pk], "coders": [rita.pk, remi.pk]},
    )
    assert response.status_code == 200
    assert not CodingRound.objects.exists()


def test_researchers_cannot_open_or_close_rounds(client, project, rita, round_):
    client.force_login(rita)
    assert client.post(url(project, "rounds/"), {"name": "x"}).status_code == 403
    assert client.post(url(project, f"rounds/{round_.pk}/close/")).status_code == 403
    assert CodingRound.objects.get().is_open


def test_a_coder_marks_interviews_done_and_the_supervisor_closes(
    client, project, rita, remi, sam, round_, study
):
    one = study["interviews"][0]
    client.force_login(rita)
    page = client.get(url(project, f"rounds/{round_.pk}/")).content.decode()
    assert "marquer comme fait" in page
    client.post(url(project, f"rounds/{round_.pk}/done/"), {"interview": one.pk, "done": "1"})
    assert RoundDone.objects.filter(round=round_, coder=rita, interview=one).exists()
    client.post(url(project, f"rounds/{round_.pk}/done/"), {"interview": one.pk, "done": "0"})
    assert not RoundDone.objects.exists()
    client.post(url(project, f"rounds/{round_.pk}/done/"), {"interview": one.pk, "done": "1"})

    client.force_login(sam)
    page = client.get(url(project, f"rounds/{round_.pk}/")).content.decode()
    assert "1 / 2" in page and "0 / 2" in page
    response = client.post(url(project, f"rounds/{round_.pk}/close/"))
    assert response.status_code == 302
    round_.refresh_from_db()
    assert not round_.is_open and round_.closed_by == sam

    client.force_login(rita)
    client.post(url(project, f"rounds/{round_.pk}/done/"), {"interview": one.pk, "done": "0"})
    assert RoundDone.objects.count() == 1  # a closed round keeps its marks


def test_only_the_rounds_coders_mark_done(client, project, sam, round_, study, ada):
    client.force_login(ada)
    one = study["interviews"][0]
    assert (
        client.post(
            url(project, f"rounds/{round_.pk}/done/"), {"interview": one.pk, "done": "1"}
        ).status_code
        == 403
    )


def test_a_researcher_lists_their_rounds_and_the_closed_ones(client, project, rita, sam, study):
    theirs = CodingRound.objects.create(project=project, name="Le sien")
    theirs.coders.set([rita, sam])
    CodingRound.objects.create(project=project, name="Pas le sien")
    closed = CodingRound.objects.create(
        project=project, name="Fermé", closed_at="2026-01-01T00:00Z"
    )
    client.force_login(rita)
    page = client.get(url(project, "rounds/")).content.decode()
    assert "Le sien" in page and "Fermé" in page and "Pas le sien" not in page
    assert "Ouvrir un tour" not in page
    assert closed.pk


def test_the_navigation_links_to_agreement(client, project, rita, sam):
    client.force_login(sam)
    assert (
        f'href="/projects/{project.pk}/agreement/"'
        in client.get(f"/projects/{project.pk}/").content.decode()
    )
    client.force_login(rita)
    assert (
        f'href="/projects/{project.pk}/agreement/rounds/"'
        in client.get(f"/projects/{project.pk}/").content.decode()
    )


def test_an_outsider_gets_404_on_every_agreement_url(client, project, olga, round_, study):
    from django.urls import get_resolver, reverse

    from agreement.models import ConsensusDecision

    one = study["interviews"][0]
    decision = ConsensusDecision.objects.create(
        project=project, interview=one, code=study["codes"][0], start=0, end=5, choice="none"
    )
    values = {
        "project_id": project.pk,
        "interview_id": one.pk,
        "code_id": study["codes"][0].pk,
        "round_id": round_.pk,
        "decision_id": decision.pk,
    }
    resolver = get_resolver()
    patterns = next(p for p in resolver.url_patterns if getattr(p, "namespace", "") == "agreement")
    client.force_login(olga)
    checked = 0
    for entry in patterns.url_patterns:
        url = reverse(
            f"agreement:{entry.name}", kwargs={k: values[k] for k in entry.pattern.converters}
        )
        assert client.get(url).status_code in (404, 405), url
        assert client.post(url, {"name": "x", "choice": "all"}).status_code in (404, 405), url
        checked += 1
    assert checked >= 9
    assert ConsensusDecision.objects.count() == 1 and CodingRound.objects.count() == 1
