import pytest

from interviews.models import Membership
from tests.factories import make_user

pytestmark = pytest.mark.django_db
Role = Membership.Role


def test_members_see_the_member_list_without_controls(client, project, rita, ada):
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/members/").content.decode()
    assert "ada" in page and 'name="remove"' not in page


def test_an_admin_adds_a_member_by_username_or_email(client, project, ada):
    make_user("nora")
    make_user("yves")
    client.force_login(ada)
    client.post(f"/projects/{project.pk}/members/", {"username": "nora", "role": "researcher"})
    client.post(
        f"/projects/{project.pk}/members/", {"username": "YVES@example.org", "role": "supervisor"}
    )
    roles = dict(project.memberships.values_list("user__username", "role"))
    assert roles == {"ada": "admin", "nora": "researcher", "yves": "supervisor"}


def test_adding_an_unknown_or_existing_member_says_why(client, project, ada, rita):
    client.force_login(ada)
    page = client.post(
        f"/projects/{project.pk}/members/", {"username": "personne", "role": "admin"}
    )
    assert "No active user" in page.content.decode() or "Aucun utilisateur" in page.content.decode()
    client.post(f"/projects/{project.pk}/members/", {"username": "rita", "role": "admin"})
    assert project.memberships.get(user=rita).role == Role.RESEARCHER


def test_a_researcher_cannot_add_members(client, project, rita):
    make_user("nora")
    client.force_login(rita)
    response = client.post(
        f"/projects/{project.pk}/members/", {"username": "nora", "role": "admin"}
    )
    assert response.status_code == 403
    assert not project.memberships.filter(user__username="nora").exists()


def test_an_admin_changes_a_role_and_removes_a_member(client, project, ada, rita, sam):
    client.force_login(ada)
    rita_membership = project.memberships.get(user=rita)
    client.post(f"/projects/{project.pk}/members/{rita_membership.pk}/", {"role": "supervisor"})
    assert project.memberships.get(user=rita).role == Role.SUPERVISOR
    sam_membership = project.memberships.get(user=sam)
    client.post(f"/projects/{project.pk}/members/{sam_membership.pk}/", {"remove": "1"})
    assert not project.memberships.filter(user=sam).exists()


def test_the_last_admin_can_neither_leave_nor_be_demoted(client, project, ada):
    client.force_login(ada)
    membership = project.memberships.get(user=ada)
    client.post(f"/projects/{project.pk}/members/{membership.pk}/", {"remove": "1"})
    client.post(f"/projects/{project.pk}/members/{membership.pk}/", {"role": "researcher"})
    assert project.memberships.get(user=ada).role == Role.ADMIN


def test_member_update_refuses_get_and_researchers(client, project, rita, ada):
    client.force_login(rita)
    url = f"/projects/{project.pk}/members/{project.memberships.get(user=ada).pk}/"
    assert client.get(url).status_code == 405
    assert client.post(url, {"remove": "1"}).status_code == 403
    assert project.memberships.filter(user=ada).exists()
