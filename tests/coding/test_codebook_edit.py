"""Creating, editing, moving and reordering codes from the codebook sidebar."""

import pytest
from django import forms

from coding.codebook import PALETTE
from coding.models import Code
from tests.factories import make_code

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true", "Accept-Language": "en"}


def create(client, project, **data):
    fields = {"name": "Écoute", "color": "#4e79a7", "parent": "", **data}
    return client.post(f"/projects/{project.pk}/codebook/new/", fields, headers=HTMX)


def edit(client, code, **data):
    fields = {
        "name": code.name,
        "color": code.color,
        "parent": code.parent_id or "",
        "description": code.description,
        **data,
    }
    return client.post(
        f"/projects/{code.project_id}/codebook/{code.pk}/edit/", fields, headers=HTMX
    )


def assert_sidebar_came_back(response):
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page and page.lstrip().startswith('<section class="card codebook"')
    assert response["HX-Retarget"] == "#codebook" and response["HX-Reswap"] == "outerHTML"
    assert "codes-changed" in response["HX-Trigger"]


def assert_form_came_back(response, error: str):
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page and page.lstrip().startswith('<div class="code-panel">')
    assert error in page
    assert "HX-Trigger" not in response and "HX-Retarget" not in response


# Creating


@pytest.mark.parametrize("member", ["rita", "sam", "ada"])
def test_every_member_who_codes_creates_a_code_in_place(client, project, member, request):
    user = request.getfixturevalue(member)
    client.force_login(user)
    response = create(client, project, description="Ce que la personne dit entendre")
    assert_sidebar_came_back(response)
    code = Code.objects.get(project=project, name="Écoute")
    assert code.created_by == user and code.description == "Ce que la personne dit entendre"
    assert f'id="code-{code.pk}"' in response.content.decode()


def test_the_create_form_comes_as_a_fragment_with_a_fresh_colour(client, project, rita):
    make_code(project).__class__.objects.filter(project=project).update(color=PALETTE[0])
    client.force_login(rita)
    response = client.get(f"/projects/{project.pk}/codebook/new/", headers=HTMX)
    page = response.content.decode()
    assert "<html" not in page and "New code" in page
    assert f'type="color" name="color" value="{PALETTE[1]}"' in page


def test_a_sub_code_form_names_its_parent_and_avoids_its_siblings_colours(client, project, rita):
    parent = make_code(project, "Gestion de la proximité")
    for name, color in [("Voisinage courtois", PALETTE[0]), ("Suggestion légitime", PALETTE[1])]:
        Code.objects.create(project=project, parent=parent, name=name, color=color)
    client.force_login(rita)
    page = client.get(
        f"/projects/{project.pk}/codebook/new/?parent={parent.pk}", headers=HTMX
    ).content.decode()
    assert "New sub-code of “Gestion de la proximité”" in page
    assert f'<option value="{parent.pk}" selected>' in page
    assert f'value="{PALETTE[2]}"' in page
    assert f'action="/projects/{project.pk}/codebook/new/?parent={parent.pk}"' in page


def test_a_new_code_goes_after_its_siblings(client, project, rita):
    parent = make_code(project, "Gestion de la proximité")
    Code.objects.create(project=project, parent=parent, name="Zèle", position=4)
    client.force_login(rita)
    create(client, project, name="Accueil", parent=parent.pk)
    assert Code.objects.get(name="Accueil").position == 5


def test_an_empty_name_is_refused(client, project, rita):
    client.force_login(rita)
    assert_form_came_back(create(client, project, name="   "), "This field is required.")
    assert not Code.objects.exists()


def test_a_name_a_sibling_has_in_another_case_is_refused(client, project, rita):
    make_code(project, "Voisinage courtois")
    client.force_login(rita)
    response = create(client, project, name="VOISINAGE COURTOIS")
    assert_form_came_back(response, "A code with this name already exists at this level.")
    assert Code.objects.count() == 1


def test_the_same_name_is_fine_at_another_level(client, project, rita):
    parent = make_code(project, "Gestion de la proximité")
    make_code(project, "Voisinage courtois")
    client.force_login(rita)
    assert_sidebar_came_back(create(client, project, name="Voisinage courtois", parent=parent.pk))


def test_a_name_taken_meanwhile_is_a_form_error_not_a_crash(client, project, rita, monkeypatch):
    """Two people create the same code at once: the second one's check passed, the database refuses."""
    make_code(project, "Voisinage courtois")
    monkeypatch.setattr("coding.codebook_forms.CodeForm.clean", forms.ModelForm.clean)
    client.force_login(rita)
    response = create(client, project, name="voisinage courtois")
    assert_form_came_back(response, "A code with this name already exists at this level.")


def test_a_parent_moved_under_the_code_meanwhile_is_a_form_error_not_a_crash(
    client, project, rita, monkeypatch
):
    """Someone moved the chosen parent under this code after the form was checked: the database
    refuses the cycle, and the form says why."""
    code = make_code(project, "Proximité")
    child = make_code(project, "Voisinage courtois", parent=code)
    monkeypatch.setattr("coding.codebook_forms.subtree_ids", lambda code: {code.pk})
    client.force_login(rita)
    response = edit(client, code, parent=child.pk)
    assert_form_came_back(response, "A code cannot be moved under itself or its sub-codes.")
    code.refresh_from_db()
    assert code.parent_id is None


def test_a_colour_that_is_not_rrggbb_is_refused(client, project, rita):
    client.force_login(rita)
    assert_form_came_back(create(client, project, color="red"), "Enter a colour as #rrggbb.")
    assert not Code.objects.exists()


def test_a_parent_from_another_project_is_not_a_choice(client, project, other_project, rita):
    elsewhere = make_code(other_project)
    client.force_login(rita)
    response = create(client, project, parent=elsewhere.pk)
    assert_form_came_back(response, "Select a valid choice.")
    assert (
        client.get(f"/projects/{project.pk}/codebook/new/?parent={elsewhere.pk}").status_code == 404
    )


def test_without_htmx_creating_returns_to_the_codebook_page(client, project, rita):
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/codebook/new/").content.decode()
    assert "<html" in page and 'name="name"' in page and "hx-post" not in page
    response = client.post(
        f"/projects/{project.pk}/codebook/new/", {"name": "Écoute", "color": "#4e79a7"}
    )
    assert (
        response.status_code == 302 and response["Location"] == f"/projects/{project.pk}/codebook/"
    )


def test_the_sidebar_that_comes_back_keeps_the_interview_counts_and_the_filter(
    client, project, interview, rita
):
    make_code(project, "Voisinage courtois")
    client.force_login(rita)
    response = create(client, project, interview=interview.pk, q="ecou")
    page = response.content.decode()
    code = Code.objects.get(name="Écoute")
    assert f'id="code-count-{code.pk}">0 / 0</span>' in page
    assert 'value="ecou"' in page and "Voisinage courtois" not in page


def test_outsiders_and_visitors_cannot_create(client, project, olga):
    assert create(client, project).status_code == 401  # the page asks for the password
    client.force_login(olga)
    assert create(client, project).status_code == 404
    assert not Code.objects.exists()


# Editing and moving


def test_a_member_renames_recolours_and_defines_a_code(client, project, rita):
    code = make_code(project)
    client.force_login(rita)
    response = edit(
        client,
        code,
        name="Voisinage discret",
        color="#B07AA1",
        description="Être là",
        inclusion="Présence",
        exclusion="Parole",
    )
    assert_sidebar_came_back(response)
    code.refresh_from_db()
    assert (code.name, code.color) == ("Voisinage discret", "#b07aa1")
    assert (code.description, code.inclusion, code.exclusion) == ("Être là", "Présence", "Parole")


def test_changing_only_the_case_of_a_name_is_allowed(client, project, rita):
    code = make_code(project, "voisinage courtois")
    client.force_login(rita)
    assert_sidebar_came_back(edit(client, code, name="Voisinage courtois"))


def test_the_edit_form_offers_every_parent_but_the_code_and_its_sub_codes(client, project, rita):
    root = make_code(project, "Gestion de la proximité")
    code = make_code(project, "Proximité verbale", root)
    child = make_code(project, "Suggestion légitime", code)
    sibling = make_code(project, "Voisinage courtois", root)
    client.force_login(rita)
    page = client.get(
        f"/projects/{project.pk}/codebook/{code.pk}/edit/", headers=HTMX
    ).content.decode()
    assert "<html" not in page and "Edit “Proximité verbale”" in page
    assert f'<option value="{root.pk}" selected>' in page
    assert f'<option value="{sibling.pk}">' in page
    assert f'<option value="{code.pk}"' not in page and f'<option value="{child.pk}"' not in page


def test_moving_a_code_under_its_own_sub_code_is_refused(client, project, rita):
    code = make_code(project, "Proximité verbale")
    child = make_code(project, "Suggestion légitime", code)
    client.force_login(rita)
    assert_form_came_back(edit(client, code, parent=child.pk), "Select a valid choice.")
    code.refresh_from_db()
    assert code.parent is None


def test_a_code_moves_to_the_top_level_and_last_among_its_new_siblings(client, project, rita):
    make_code(project, "Non-demande")
    root = make_code(project, "Gestion de la proximité")
    code = make_code(project, "Voisinage courtois", root)
    client.force_login(rita)
    assert_sidebar_came_back(edit(client, code, parent=""))
    code.refresh_from_db()
    assert code.parent is None and code.position == 1
    assert_sidebar_came_back(edit(client, code, parent=root.pk))
    code.refresh_from_db()
    assert code.parent == root


def test_moving_next_to_a_code_of_the_same_name_is_refused(client, project, rita):
    root = make_code(project, "Gestion de la proximité")
    make_code(project, "Voisinage courtois", root)
    code = make_code(project, "voisinage courtois")
    client.force_login(rita)
    response = edit(client, code, parent=root.pk)
    assert_form_came_back(response, "A code with this name already exists at this level.")
    assert "Edit “voisinage courtois”" in response.content.decode()  # the name as stored


def test_a_code_of_another_project_answers_404(client, project, other_project, rita):
    elsewhere = make_code(other_project)
    client.force_login(rita)
    url = f"/projects/{project.pk}/codebook/{elsewhere.pk}"
    assert client.get(f"{url}/edit/").status_code == 404
    assert client.post(f"{url}/edit/", {"name": "x", "color": "#000000"}).status_code == 404
    assert client.post(f"{url}/reorder/", {"direction": "up"}).status_code == 404
    assert client.get(f"{url}/merge/").status_code == 404
    assert client.get(f"{url}/delete/").status_code == 404
    assert client.post(f"{url}/delete/").status_code == 404
    assert Code.objects.filter(pk=elsewhere.pk, name="Voisinage courtois").exists()


# Reordering


def names(project, parent=None):
    return list(
        Code.objects.filter(project=project, parent=parent)
        .order_by("position", "name")
        .values_list("name", flat=True)
    )


def test_a_code_moves_up_and_down_among_its_siblings(client, project, rita):
    for name in ["A", "B", "C"]:
        make_code(project, name)
    b = Code.objects.get(name="B")
    client.force_login(rita)
    url = f"/projects/{project.pk}/codebook/{b.pk}/reorder/"
    assert_sidebar_came_back(client.post(url, {"direction": "up"}, headers=HTMX))
    assert names(project) == ["B", "A", "C"]
    client.post(url, {"direction": "up"}, headers=HTMX)  # already first: nothing moves
    assert names(project) == ["B", "A", "C"]
    client.post(url, {"direction": "down"}, headers=HTMX)
    client.post(url, {"direction": "down"}, headers=HTMX)
    assert names(project) == ["A", "C", "B"]


def test_reordering_is_a_post_with_a_direction(client, project, rita):
    code = make_code(project)
    client.force_login(rita)
    url = f"/projects/{project.pk}/codebook/{code.pk}/reorder/"
    assert client.get(url).status_code == 405
    assert client.post(url, {"direction": "sideways"}).status_code == 400
    response = client.post(url, {"direction": "down"})
    assert (
        response.status_code == 302 and response["Location"] == f"/projects/{project.pk}/codebook/"
    )


def test_the_edit_panel_links_to_the_codes_memos(client, project, rita):
    from tests.factories import make_code

    code = make_code(project)
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/codebook/{code.pk}/edit/").content.decode()
    assert f"/projects/{project.pk}/memos/panel/?code={code.pk}" in page
