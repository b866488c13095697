"""A code's report: its definition, memos and approved excerpts by interview, as a page and .docx."""

import io

import docx
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coding.audit import recorded_as
from coding.models import Coding, Memo
from interviews.models import Attribute, AttributeValue
from tests.factories import TRANSCRIPT, make_code, make_coding, make_interview, make_project

pytestmark = pytest.mark.django_db

EN = {"Accept-Language": "en"}
SECOND = (
    "Intervieweuse : Et ensuite ?\n\n"
    "Paul : On se salue, c'est du voisinage courtois 🤝🏽, rien de plus.\n\n"
    "Intervieweuse : D'accord.\n\n"
    "Paul : Voilà."
)


def span(text: str, phrase: str) -> tuple[int, int]:
    start = text.index(phrase)
    return start, start + len(phrase)


def approve(*codings, by):
    with recorded_as(by):
        Coding.objects.filter(pk__in=[c.pk for c in codings]).update(status=Coding.Status.APPROVED)


@pytest.fixture
def report(project, rita, sam):
    """« voisinage courtois » under « Relation », a sub-code « Salutations », codings in two
    interviews: some approved, one pending, one on the sub-code."""
    setting = Attribute.objects.create(project=project, name="Milieu")
    relation = make_code(project, "Relation")
    courtois = make_code(project, "Voisinage courtois", parent=relation)
    courtois.description = "Une relation polie, sans plus."
    courtois.inclusion = "Salutations, petits services"
    courtois.exclusion = "Amitié déclarée"
    courtois.save()
    salutations = make_code(project, "Salutations", parent=courtois)
    first = make_interview(project)
    second = make_interview(project, SECOND, title="Entretien 2")
    AttributeValue.objects.create(interview=first, attribute=setting, text="Rue")
    banc = make_coding(first, courtois, rita, *span(TRANSCRIPT, "Je m'assois pas loin"))
    emoji = make_coding(second, courtois, rita, *span(SECOND, "du voisinage courtois 🤝🏽"))
    pending = make_coding(first, courtois, rita, *span(TRANSCRIPT, "« juste un café »"))
    salut = make_coding(second, salutations, sam, *span(SECOND, "On se salue"))
    approve(banc, emoji, salut, by=sam)
    Memo.objects.create(project=project, author=sam, code=courtois, body="Concept central")
    Memo.objects.create(project=project, author=rita, coding=banc, body="Le banc revient souvent")
    return {
        "code": courtois,
        "interviews": (first, second),
        "codings": {"banc": banc, "emoji": emoji, "pending": pending, "salut": salut},
    }


def url(project, code, query=""):
    return f"/projects/{project.pk}/codes/{code.pk}/report/{query}"


def test_the_report_shows_the_definition_memos_and_approved_excerpts_by_interview(
    client, project, rita, report
):
    client.force_login(rita)
    response = client.get(url(project, report["code"]), headers=EN)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Relation › Voisinage courtois" in page
    assert "Une relation polie, sans plus." in page
    assert "Salutations, petits services" in page and "Amitié déclarée" in page
    assert "Concept central" in page and "Le banc revient souvent" in page
    assert "Je m&#x27;assois pas loin" in page and "du voisinage courtois 🤝🏽" in page
    assert "« juste un café »" not in page  # pending
    assert "On se salue" not in page  # a sub-code's
    assert page.index("Entretien 1") < page.index("Je m&#x27;assois") < page.index("Entretien 2")
    assert "Martine" in page and "Milieu : Rue" in page
    assert '<span class="report-speaker">Paul</span>' in page
    assert 'data-count="2"' in page


def test_each_excerpt_links_into_its_interview_at_its_offsets(client, project, rita, report):
    client.force_login(rita)
    page = client.get(url(project, report["code"])).content.decode()
    banc = report["codings"]["banc"]
    first = report["interviews"][0]
    assert (
        f'href="/projects/{project.pk}/interviews/{first.pk}/?at={banc.start}-{banc.end}"' in page
    )


def test_every_state_shows_pending_excerpts_too(client, project, rita, report):
    client.force_login(rita)
    page = client.get(url(project, report["code"], "?status=all"), headers=EN).content.decode()
    assert "« juste un café »" in page and 'data-count="3"' in page
    assert "Pending review" in page


def test_subcodes_bring_in_the_excerpts_of_sub_codes(client, project, rita, report):
    client.force_login(rita)
    page = client.get(url(project, report["code"], "?subcodes=1"), headers=EN).content.decode()
    assert "On se salue" in page and 'data-count="3"' in page
    assert "Relation › Voisinage courtois › Salutations" in page
    assert "Without sub-codes" in page


def test_a_code_with_nothing_approved_says_so_with_a_hint(client, project, rita):
    code = make_code(project, "Suggestion légitime")
    make_coding(make_interview(project), code, rita, 0, 13)
    client.force_login(rita)
    page = client.get(url(project, code), headers=EN).content.decode()
    assert "No approved excerpts yet." in page
    assert 'href="?status=all"' in page
    assert 'data-count="0"' in page


def test_the_page_prints_without_the_tools(client, project, rita, report):
    client.force_login(rita)
    page = client.get(url(project, report["code"])).content.decode()
    assert "css/report.css" in page and 'class="report-tools"' in page


def test_the_report_needs_the_same_queries_for_many_excerpts(
    client, project, rita, sam, report, django_assert_max_num_queries
):
    client.force_login(rita)
    client.get("/")  # this process now knows the session's user (verbatim/sessions.py)

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url(project, report["code"], "?subcodes=1")).status_code == 200
        return len(captured)

    few = count()
    code = report["code"]
    extra = [
        make_interview(project, SECOND + f" {i}", title=f"Entretien {i + 3}") for i in range(4)
    ]
    approve(*[make_coding(interview, code, rita, 0, 13) for interview in extra], by=sam)
    assert count() == few
    with django_assert_max_num_queries(12):
        client.get(url(project, report["code"]))


def test_another_projects_code_is_a_404(client, project, rita):
    other = make_project("Autre étude")
    secret = make_code(other, "Secret")
    client.force_login(rita)
    assert client.get(f"/projects/{project.pk}/codes/{secret.pk}/report/").status_code == 404


def test_an_outsider_gets_404(client, project, olga, report):
    client.force_login(olga)
    assert client.get(url(project, report["code"])).status_code == 404
    assert client.get(url(project, report["code"], "?format=docx")).status_code == 404


def test_an_unknown_format_answers_400(client, project, rita, report):
    client.force_login(rita)
    assert client.get(url(project, report["code"], "?format=pdf")).status_code == 400


# The Word document


def open_docx(response) -> docx.document.Document:
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.docx"')
    return docx.Document(io.BytesIO(b"".join(response.streaming_content)))


def test_the_docx_has_headings_and_approved_quotes_indented(client, project, rita, report):
    client.force_login(rita)
    document = open_docx(client.get(url(project, report["code"], "?format=docx"), headers=EN))
    paragraphs = document.paragraphs
    headings = [p.text for p in paragraphs if p.style.name.startswith(("Heading", "Title"))]
    assert headings[0] == "Relation › Voisinage courtois"
    assert "Entretien 1" in headings and "Entretien 2" in headings
    assert "Approved excerpts (2)" in headings
    quotes = [p for p in paragraphs if p.style.name == "Quote"]
    assert [q.text for q in quotes] == ["Je m'assois pas loin", "du voisinage courtois 🤝🏽"]
    assert all(q.paragraph_format.left_indent > 0 for q in quotes)
    texts = "\n".join(p.text for p in paragraphs)
    assert "Une relation polie, sans plus." in texts and "Concept central" in texts
    assert "Martine · coded by rita" in texts
    assert "« juste un café »" not in texts


def test_the_docx_follows_the_same_options(client, project, rita, report):
    client.force_login(rita)
    response = client.get(url(project, report["code"], "?format=docx&subcodes=1&status=all"))
    quotes = [p.text for p in open_docx(response).paragraphs if p.style.name == "Quote"]
    assert len(quotes) == 4 and "On se salue" in quotes


def test_the_docx_drops_control_characters_word_cannot_hold(client, project, rita, sam):
    text = (
        "Intervieweuse : Bonjour.\n\nMartine : Page\x0csuivante, vraiment.\n\nIntervieweuse : Ah."
    )
    code = make_code(project, "Pagination")
    approve(
        make_coding(make_interview(project, text), code, rita, *span(text, "Page\x0csuivante")),
        by=sam,
    )
    client.force_login(rita)
    document = open_docx(client.get(url(project, code, "?format=docx")))
    assert [p.text for p in document.paragraphs if p.style.name == "Quote"] == ["Pagesuivante"]


def test_the_docx_of_an_empty_report_says_so(client, project, rita):
    code = make_code(project, "Suggestion légitime")
    client.force_login(rita)
    response = client.get(url(project, code, "?format=docx"), headers=EN)
    texts = [p.text for p in open_docx(response).paragraphs]
    assert "No approved excerpts yet." in texts


def test_a_memo_whose_author_left_still_shows_in_the_report(client, project, rita, report):
    banc = report["codings"]["banc"]
    Memo.objects.create(project=project, author=None, coding=banc, body="Note d'une ancienne")
    client.force_login(rita)
    for query in ("", "?format=docx"):
        response = client.get(url(project, report["code"], query), headers=EN)
        assert response.status_code == 200
    page = client.get(url(project, report["code"]), headers=EN).content.decode()
    assert "Note d&#x27;une ancienne" in page and "Le banc revient souvent" in page
