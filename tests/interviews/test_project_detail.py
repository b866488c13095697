import re

import pytest

from interviews import views
from interviews.models import Attribute, AttributeValue
from tests.factories import make_code, make_coding, make_interview

pytestmark = pytest.mark.django_db


def test_it_lists_interviews_with_attributes_and_coding_progress(
    client, project, interview, rita, sam
):
    attribute = Attribute.objects.create(project=project, name="Milieu", type="choice")
    AttributeValue.objects.create(interview=interview, attribute=attribute, text="Travail de rue")
    code = make_code(project)
    make_coding(interview, code, rita, 0, 5)
    make_coding(interview, code, sam, 3, 9)
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert "Entretien 1" in page and "Travail de rue" in page
    assert "1 / 2" in page  # my codings / everyone's


def test_interviews_are_listed_by_title_with_named_numbers(client, project, rita):
    years = Attribute.objects.create(project=project, name="Années de pratique", type="number")
    for title in ("Entretien 11", "Entretien 02", "Entretien 07"):
        interview = make_interview(project, text=title, title=title)
        AttributeValue.objects.create(interview=interview, attribute=years, number=12)
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/").content.decode()
    assert page.index("Entretien 02") < page.index("Entretien 07") < page.index("Entretien 11")
    assert "Années de pratique : 12<" in page


def test_queries_do_not_grow_with_the_number_of_interviews(
    client, project, rita, django_assert_max_num_queries
):
    for number in range(12):
        make_interview(project, text=f"Texte {number}", title=f"Entretien {number}")
    client.force_login(rita)
    with django_assert_max_num_queries(8):
        assert client.get(f"/projects/{project.pk}/").status_code == 200


def test_a_long_list_comes_in_pages_counted_from_the_kept_rows(
    client, project, rita, sam, monkeypatch
):
    """Past INTERVIEWS_PER_PAGE, the list is cut into pages, each with its links; the heading
    counts every interview. The codings are counted from coding.CoderCount, the member's and
    everyone's, on each page."""
    monkeypatch.setattr(views, "INTERVIEWS_PER_PAGE", 2)
    code = make_code(project)
    interviews = [
        make_interview(project, text=f"Texte {n}", title=f"Entretien {n}") for n in range(5)
    ]
    make_coding(interviews[2], code, rita, 0, 3)
    make_coding(interviews[2], code, sam, 1, 4)
    make_coding(interviews[2], code, sam, 2, 5)
    client.force_login(rita)
    first = client.get(f"/projects/{project.pk}/").content.decode()
    assert '<span class="count">5</span>' in first
    assert "Entretien 1" in first and "Entretien 2" not in first
    assert "Page 1 of 3" in first or "Page 1 sur 3" in first
    assert f'href="/projects/{project.pk}/?page=2" rel="next"' in first
    second = client.get(f"/projects/{project.pk}/?page=2")
    assert [i.title for i in second.context["page"]] == ["Entretien 2", "Entretien 3"]
    assert "1 / 3" in second.content.decode()  # my codings / everyone's
    assert 'rel="prev"' in second.content.decode()
    # Out of range or not a number: the last page, or the first, as Django's paginator does.
    assert [i.title for i in client.get(f"/projects/{project.pk}/?page=9").context["page"]] == [
        "Entretien 4"
    ]
    assert client.get(f"/projects/{project.pk}/?page=x").context["page"].number == 1


def test_an_interview_is_found_by_its_title_or_participant_accents_aside(
    client, project, rita, monkeypatch
):
    monkeypatch.setattr(views, "INTERVIEWS_PER_PAGE", 1)
    for title, participant in (
        ("Entretien 01 — Éloïse", "Éloïse"),
        ("Entretien 02 — Marc", "Marc"),
        ("Entretien 03 — soirée", "Hélène"),
        ("Entretien 04 — 100%_x", "Zoé"),
    ):
        interview = make_interview(project, text=title, title=title)
        interview.participant = participant
        interview.save(update_fields=["participant"])
    client.force_login(rita)
    url = f"/projects/{project.pk}/"

    def titles(query: str) -> list[str]:
        page = client.get(url, {"q": query}).content.decode()
        return re.findall(r">(Entretien 0\d)", page)

    assert titles("eloise") == ["Entretien 01"]  # capitals and accents aside
    assert titles("HELENE") == ["Entretien 03"]  # the participant
    assert titles("100%_") == ["Entretien 04"]  # % and _ are letters here, not patterns
    assert titles("% ") == ["Entretien 04"]
    first = client.get(url, {"q": "entretien"}).content.decode()
    assert "Entretien 01" in first and f'href="{url}?q=entretien&amp;page=2"' in first
    second = client.get(url, {"q": "entretien", "page": 2}).content.decode()
    assert "Entretien 02" in second and f'href="{url}?q=entretien&amp;page=1"' in second
    nothing = client.get(url, {"q": "Zzz"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No interview’s title or participant holds “Zzz”." in nothing
    rien = client.get(url, {"q": "Zzz"}).content.decode()
    assert "Aucun titre ni participant d’entretien ne contient «\u00a0Zzz\u00a0»." in rien
