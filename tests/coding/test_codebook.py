"""The codebook sidebar: the tree with its counts, folding, filter and definitions."""

import pytest

from coding.codebook import code_tree, fold
from coding.models import Code
from tests.factories import make_code, make_coding

pytestmark = pytest.mark.django_db


def test_it_shows_the_hierarchy_with_counts(client, project, interview, rita):
    parent = make_code(project, "Gestion de la proximité")
    child = make_code(project, "Voisinage courtois", parent)
    make_coding(interview, child, rita, 0, 5)
    make_coding(interview, child, rita, 10, 15)
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/codebook/?interview={interview.pk}").content.decode()
    assert page.index("Gestion de la proximité") < page.index("Voisinage courtois")
    assert f'aria-controls="code-children-{parent.pk}"' in page  # its fold button
    assert f'<ul id="code-children-{parent.pk}">' in page
    assert f'id="code-count-{child.pk}">2 / 2</span>' in page


def test_each_code_keeps_the_ids_the_coding_workspace_relies_on(client, project, interview, rita):
    code = make_code(project)
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/codebook/?interview={interview.pk}").content.decode()
    assert f'id="code-{code.pk}"' in page
    assert f'data-code-id="{code.pk}"' in page
    assert f'class="code-apply" data-code-id="{code.pk}"' in page


def test_the_project_page_codebook_has_no_apply_button(client, project, rita):
    make_code(project)
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/codebook/").content.decode()
    assert "code-apply" not in page and "Voisinage courtois" in page


def test_the_htmx_request_gets_only_the_fragment(client, project, rita):
    make_code(project)
    client.force_login(rita)
    response = client.get(f"/projects/{project.pk}/codebook/", headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "<html" not in page and 'id="codebook"' in page and "Voisinage courtois" in page
    assert "HX-Request" in response["Vary"]


def test_a_malformed_interview_parameter_answers_404(client, project, rita):
    client.force_login(rita)
    assert client.get(f"/projects/{project.pk}/codebook/?interview=abc").status_code == 404


def test_the_definition_is_in_a_tooltip_tied_to_the_row(client, project, rita):
    code = make_code(project)
    code.description = "Être là sans s'imposer."
    code.inclusion = "Présence physique"
    code.exclusion = "Propositions verbales"
    code.save()
    client.force_login(rita)
    page = client.get(
        f"/projects/{project.pk}/codebook/", headers={"Accept-Language": "en"}
    ).content.decode()
    assert f'aria-describedby="code-tip-{code.pk}"' in page
    tip = page[page.index(f'id="code-tip-{code.pk}"') :]
    assert tip.index("Être là sans s&#x27;imposer.") < tip.index("When to use")
    assert tip.index("Présence physique") < tip.index("When not to use")
    assert "Propositions verbales" in tip


def test_codes_without_a_definition_have_no_tooltip(client, project, rita):
    make_code(project)
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/codebook/").content.decode()
    assert "code-tip" not in page and "aria-describedby" not in page


def test_filtering_ignores_accents_and_case():
    assert fold("Réseau d'ÉCHANGE") == fold("reseau d'echange")
    assert fold("Œuvre") != fold("oeuvre")  # a ligature is a letter, not an accent


def test_the_filter_keeps_matching_codes_and_their_ancestors(project):
    root = make_code(project, "Gestion de la proximité")
    middle = make_code(project, "Proximité verbale", root)
    make_code(project, "Suggestion légitime", middle)
    make_code(project, "Voisinage courtois", root)
    make_code(project, "Non-demande")
    [kept] = code_tree(project.pk, query="LEGITIME")
    assert kept.code == root and not kept.match
    [kept_middle] = kept.children
    assert kept_middle.code == middle and not kept_middle.match
    assert [(n.code.name, n.match) for n in kept_middle.children] == [("Suggestion légitime", True)]


def test_the_filter_box_gets_only_the_tree_with_the_interview_counts(
    client, project, interview, rita
):
    wanted = make_code(project, "Écoute")
    make_code(project, "Voisinage courtois")
    make_coding(interview, wanted, rita, 0, 5)
    client.force_login(rita)
    response = client.get(
        f"/projects/{project.pk}/codebook/?q=ecou&interview={interview.pk}",
        headers={"HX-Request": "true", "HX-Target": "code-tree"},
    )
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="code-tree">')
    assert "Écoute" in page and "Voisinage courtois" not in page
    assert f'id="code-count-{wanted.pk}">1 / 1</span>' in page


def test_a_filter_without_match_says_so(client, project, rita):
    make_code(project)
    client.force_login(rita)
    page = client.get(
        f"/projects/{project.pk}/codebook/?q=zzz", headers={"Accept-Language": "en"}
    ).content.decode()
    assert "No code matches “zzz”." in page


def test_the_full_page_keeps_the_filter_in_its_box(client, project, rita):
    make_code(project)
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/codebook/?q=voisin").content.decode()
    assert 'name="q" value="voisin"' in page and "Voisinage courtois" in page


def test_members_who_code_see_the_editing_controls(client, project, rita):
    code = make_code(project)
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/codebook/").content.decode()
    assert f"/projects/{project.pk}/codebook/new/" in page
    assert f"/projects/{project.pk}/codebook/{code.pk}/edit/" in page
    assert f"/projects/{project.pk}/codebook/{code.pk}/reorder/" in page


def test_siblings_come_in_their_chosen_order(project):
    for position, name in enumerate(["Zèle", "Accueil", "Médiation"]):
        Code.objects.create(project=project, name=name, position=position)
    assert [node.code.name for node in code_tree(project.pk)] == ["Zèle", "Accueil", "Médiation"]


def test_names_and_definitions_are_escaped_and_each_level_disables_its_ends(
    client, project, interview, rita
):
    """The tree is written in Python (coding/codebook_html.py): what a member typed is escaped
    wherever it goes, a definition keeps its line breaks, and the first and last code of each
    level cannot move further up or down."""
    parent = make_code(project, 'A & B <i>"x\'y"</i>')
    parent.description = "Ligne 1\nLigne <2>"
    parent.save()
    first = make_code(project, "Avant", parent)
    last = make_code(project, "Ensuite", parent)
    client.force_login(rita)
    url = f"/projects/{project.pk}/codebook/?interview={interview.pk}"
    page = client.get(url, headers={"Accept-Language": "en"}).content.decode()
    escaped = "A &amp; B &lt;i&gt;&quot;x&#x27;y&quot;&lt;/i&gt;"
    assert f'<span class="code-name">{escaped}</span>' in page
    assert f'aria-label="Sub-codes of “{escaped}”"' in page
    assert f'aria-label="Edit “{escaped}”"' in page
    assert "<i>" not in page
    assert '<span class="code-tip-text">Ligne 1<br>Ligne &lt;2&gt;</span>' in page

    def buttons(code):
        row = page[page.index(f'id="code-{code.pk}"') :]
        row = row[: row.index("</form>")]
        return 'value="up" disabled' in row, 'value="down" disabled' in row

    assert buttons(parent) == (True, True)  # alone at the top level
    assert buttons(first) == (True, False)
    assert buttons(last) == (False, True)
    # A branch's codes apply on click beside an interview; none takes the focus itself.
    assert f'<div class="code" data-code-id="{last.pk}">' in page
