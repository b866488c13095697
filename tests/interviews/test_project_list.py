import pytest

from interviews.models import Membership, Project

pytestmark = pytest.mark.django_db


def test_it_lists_only_my_projects_with_my_role(client, project, rita, other_project):
    client.force_login(rita)
    response = client.get("/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Proximité" in page and "Chercheur·e" in page
    assert "Autre étude" not in page


def test_creating_a_project_makes_me_its_admin(client, rita):
    client.force_login(rita)
    response = client.post("/", {"name": "Nouvelle enquête", "description": ""})
    project = Project.objects.get(name="Nouvelle enquête")
    assert response.status_code == 302 and response["Location"] == f"/projects/{project.pk}/"
    assert project.memberships.get().role == Membership.Role.ADMIN


def test_a_project_needs_a_name(client, rita):
    client.force_login(rita)
    response = client.post("/", {"name": ""})
    assert response.status_code == 200
    assert not Project.objects.exclude(name="Proximité").exists()
