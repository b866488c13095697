"""The code overview (codings, interviews, coders per code, sortable) and the codes × interviews matrix."""

import re

import pytest

from interviews.models import Membership
from tests.factories import TRANSCRIPT, make_code, make_coding, make_interview, make_user

pytestmark = pytest.mark.django_db

EN = {"Accept-Language": "en"}
HTMX = {"HX-Request": "true"}


@pytest.fixture
def corpus(project, interview, rita, sam):
    """Lien (parent of Banc) and Café over two interviews; Vide is never used."""
    second = make_interview(project, TRANSCRIPT.replace("café", "thé"), title="Entretien 2")
    lien = make_code(project, "Lien")
    banc = make_code(project, "Banc", parent=lien)
    cafe = make_code(project, "Café")
    vide = make_code(project, "Vide")
    make_coding(interview, lien, rita, 0, 10)
    make_coding(interview, lien, sam, 0, 10)
    make_coding(second, lien, rita, 20, 30)
    make_coding(interview, banc, sam, 40, 50)
    make_coding(interview, cafe, rita, 60, 70)
    make_coding(interview, cafe, rita, 80, 90)
    make_coding(second, cafe, rita, 80, 90)
    make_coding(second, cafe, rita, 100, 110)
    return {"second": second, "lien": lien, "banc": banc, "cafe": cafe, "vide": vide}


def rows(page: str) -> list[tuple[int, int, int, int]]:
    """(code id, codings, interviews, coders) of each overview row, in page order."""
    found = []
    for pk, body in re.findall(r'<tr id="overview-code-(\d+)">(.*?)</tr>', page, re.S):
        numbers = [int(n) for n in re.findall(r'<td class="num">(?:<[^>]+>)*(\d+)', body)]
        found.append((int(pk), *numbers))
    return found


def test_the_overview_counts_codings_interviews_and_coders_per_code(client, project, corpus, rita):
    client.force_login(rita)
    response = client.get(f"/projects/{project.pk}/codes/overview/", headers=EN)
    c = corpus
    assert response.status_code == 200
    # Codebook order: siblings by position, then name (all at position 0 here).
    assert rows(response.content.decode()) == [
        (c["cafe"].pk, 4, 2, 1),
        (c["lien"].pk, 3, 2, 2),
        (c["banc"].pk, 1, 1, 1),
        (c["vide"].pk, 0, 0, 0),
    ]


def test_a_count_links_to_the_codes_excerpts(client, project, corpus, rita):
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/codes/overview/").content.decode()
    assert f'href="/projects/{project.pk}/excerpts/?code={corpus["cafe"].pk}">4</a>' in page


def test_a_former_member_still_counts_as_a_coder(client, project, corpus, rita, sam):
    Membership.objects.filter(project=project, user=sam).delete()
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/codes/overview/").content.decode()
    assert (corpus["lien"].pk, 3, 2, 2) in rows(page)


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("-codings", ["cafe", "lien", "banc", "vide"]),
        ("codings", ["vide", "banc", "lien", "cafe"]),
        ("-coders", ["lien", "cafe", "banc", "vide"]),  # ties keep codebook order
        ("interviews", ["vide", "banc", "cafe", "lien"]),
        ("name", ["cafe", "lien", "banc", "vide"]),  # by path: "Café", "Lien", "Lien › Banc"
        ("-name", ["vide", "banc", "lien", "cafe"]),
        ("nonsense", ["cafe", "lien", "banc", "vide"]),  # codebook order
    ],
)
def test_the_overview_sorts_on_the_server(client, project, corpus, rita, sort, order):
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/codes/overview/?sort={sort}").content.decode()
    assert [row[0] for row in rows(page)] == [corpus[name].pk for name in order]


def test_a_header_link_toggles_the_direction(client, project, corpus, rita):
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/codes/overview/?sort=-codings").content.decode()
    assert 'aria-sort="descending"' in page and "?sort=codings" in page
    assert "?sort=-interviews" in page and "?sort=name" in page


def test_htmx_gets_the_overview_table_alone(client, project, corpus, rita):
    client.force_login(rita)
    response = client.get(f"/projects/{project.pk}/codes/overview/?sort=name", headers=HTMX)
    assert (
        "<html" not in response.content.decode()
        and 'id="overview-table"' in response.content.decode()
    )


def test_the_overview_costs_the_same_queries_whatever_the_codebook(
    client, project, corpus, rita, django_assert_max_num_queries
):
    client.force_login(rita)
    with django_assert_max_num_queries(12) as few:
        client.get(f"/projects/{project.pk}/codes/overview/")
    for n in range(20):
        make_coding(corpus["second"], make_code(project, f"Code {n}"), rita, n, n + 2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"/projects/{project.pk}/codes/overview/")


def test_an_empty_codebook_says_so(client, project, rita):
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/codes/overview/", headers=EN).content.decode()
    assert "The codebook is empty" in page


# Matrix


def cells(page: str) -> dict[tuple[int, int], int]:
    """(code id, interview id) → count, read from the cell links."""
    return {
        (int(code), int(interview)): int(n)
        for code, interview, n in re.findall(
            r'href="/projects/\d+/excerpts/\?code=(\d+)&amp;interview=(\d+)[^"]*">(\d+)</a>', page
        )
    }


def test_the_matrix_counts_codings_per_code_and_interview(client, project, interview, corpus, rita):
    client.force_login(rita)
    response = client.get(f"/projects/{project.pk}/codes/matrix/", headers=EN)
    c, second = corpus, corpus["second"]
    assert response.status_code == 200
    assert cells(response.content.decode()) == {
        (c["lien"].pk, interview.pk): 2,
        (c["lien"].pk, second.pk): 1,
        (c["banc"].pk, interview.pk): 1,
        (c["cafe"].pk, interview.pk): 2,
        (c["cafe"].pk, second.pk): 2,
    }


def test_matrix_totals_per_row_and_column(client, project, interview, corpus, rita):
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/codes/matrix/").content.decode()
    footer = page[page.index("<tfoot>") :]
    assert re.findall(r'<td class="num total">(\d*)</td>', footer) == ["5", "3", "8"]
    assert f'href="/projects/{project.pk}/excerpts/?code={corpus["cafe"].pk}">4</a>' in page


def test_with_subcodes_a_parent_counts_its_subcodes(client, project, interview, corpus, rita):
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/codes/matrix/?subcodes=1").content.decode()
    assert cells(page)[(corpus["lien"].pk, interview.pk)] == 3
    assert "&amp;subcodes=1" in page
    footer = page[page.index("<tfoot>") :]
    assert re.findall(r'<td class="num total">(\d*)</td>', footer) == ["5", "3", "8"]


def test_a_matrix_cell_opens_exactly_its_excerpts(client, project, interview, corpus, rita):
    client.force_login(rita)
    page = client.get(
        f"/projects/{project.pk}/excerpts/?code={corpus['cafe'].pk}&interview={interview.pk}"
    ).content.decode()
    assert len(re.findall(r'id="excerpt-\d+"', page)) == 2


def test_the_matrix_pages_through_interviews(client, project, corpus, rita, monkeypatch):
    monkeypatch.setattr("excerpts.views.MATRIX_COLUMNS", 1)
    client.force_login(rita)
    first = client.get(f"/projects/{project.pk}/codes/matrix/", headers=EN).content.decode()
    second = client.get(f"/projects/{project.pk}/codes/matrix/?page=2", headers=EN).content
    second = second.decode()
    assert {interview for _code, interview in cells(first)} == {
        corpus["lien"].codings.first().interview_id
    }
    assert {interview for _code, interview in cells(second)} == {corpus["second"].pk}
    assert "Interviews 2–2 of 2" in second and "Total (all interviews)" in second


def test_the_matrix_query_count_does_not_grow(
    client, project, corpus, rita, django_assert_max_num_queries
):
    client.force_login(rita)
    with django_assert_max_num_queries(12) as few:
        client.get(f"/projects/{project.pk}/codes/matrix/")
    for n in range(5):
        item = make_interview(project, TRANSCRIPT + f" {n}", title=f"Entretien {n + 3}")
        make_coding(item, make_code(project, f"Code {n}"), rita, n, n + 2)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(f"/projects/{project.pk}/codes/matrix/?subcodes=1")


def test_an_outsider_gets_404_on_the_overview_and_matrix(client, project, corpus, olga):
    client.force_login(olga)
    assert client.get(f"/projects/{project.pk}/codes/overview/").status_code == 404
    assert client.get(f"/projects/{project.pk}/codes/matrix/").status_code == 404


def test_any_member_may_see_the_matrix(client, project, corpus):
    client.force_login(make_user("vera", project, Membership.Role.RESEARCHER))
    assert client.get(f"/projects/{project.pk}/codes/matrix/").status_code == 200
