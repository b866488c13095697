import pytest

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
