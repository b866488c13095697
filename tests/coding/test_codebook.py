import pytest

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
    assert 'role="group"' in page  # the child is nested under its parent
    assert '>2 / 2</span>' in page


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
