"""Pseudonymisation before storage, and the project's replacement list page (admins only)."""

from collections import Counter

import pytest

from interviews.models import Pseudonym
from interviews.pseudonyms import Pseudonymiser, fold, parse_rules

# These tests read refusal messages in English, whatever the site language.
pytestmark = pytest.mark.usefixtures("english")


def test_fold_drops_case_and_accents_and_keeps_the_length():
    text = "HÉLÈNE, l’Œuvre ç 🙏"
    assert fold(text) == "helene, l'œuvre c 🙏"
    assert len(fold(text)) == len(text)


def test_names_are_replaced_whole_words_whatever_their_case_and_accents():
    rules = Pseudonymiser([("Hélène", "Zoé"), ("Luc", "Marc")])
    counts = Counter()
    text = rules.apply("Hélène, HELENE et helene ; Luc, Lucie, d’Luc et Luc-André.", counts)
    assert text == "Zoé, ZOÉ et zoé ; Marc, Lucie, d’Marc et Marc-André."
    assert counts == {"Hélène": 3, "Luc": 3}


def test_the_longest_name_wins_and_spaces_may_vary():
    rules = Pseudonymiser([("Marie", "Anne"), ("Marie Tremblay", "Anne Roy")])
    assert rules.apply("Marie\u00a0Tremblay et Marie.") == "Anne Roy et Anne."


def test_a_report_lists_each_replacement_made_with_its_count():
    rules = Pseudonymiser([("Martine", "Claire"), ("Robert", "Paul")])
    counts = Counter()
    rules.apply("Martine, Martine.", counts)
    report = rules.report(counts)
    assert [(r.real_name, r.pseudonym, r.count) for r in report] == [("Martine", "Claire", 2)]


def test_pasted_rules_accept_common_separators_and_say_which_line_is_wrong():
    assert parse_rules("Martine Dupont = Claire\nRobert;Paul\n\nLuc\tMarc") == [
        ("Martine Dupont", "Claire"),
        ("Robert", "Paul"),
        ("Luc", "Marc"),
    ]
    with pytest.raises(ValueError, match="Line 2"):
        parse_rules("Martine = Claire\nRobert")


@pytest.mark.django_db
def test_an_admin_adds_and_removes_replacements(client, project, ada):
    client.force_login(ada)
    url = f"/projects/{project.pk}/pseudonyms/"
    client.post(url, {"rules": "Martine Dupont = Claire\nRobert = Paul"})
    assert dict(project.pseudonyms.values_list("real_name", "pseudonym")) == {
        "Martine Dupont": "Claire",
        "Robert": "Paul",
    }
    page = client.get(url).content.decode()
    assert "Martine Dupont" in page and "Claire" in page
    client.post(url, {"delete": project.pseudonyms.get(real_name="Robert").pk})
    assert list(project.pseudonyms.values_list("real_name", flat=True)) == ["Martine Dupont"]


@pytest.mark.django_db
def test_a_name_already_in_the_list_is_refused_whatever_its_accents(client, project, ada):
    Pseudonym.objects.create(project=project, real_name="Hélène", pseudonym="Zoé")
    client.force_login(ada)
    response = client.post(
        f"/projects/{project.pk}/pseudonyms/",
        {"rules": "HELENE = Anne"},
        headers={"Accept-Language": "en"},
    )
    assert "already in the list" in response.content.decode()
    assert project.pseudonyms.count() == 1


@pytest.mark.django_db
def test_researchers_and_supervisors_cannot_see_real_names(client, project, rita, sam):
    Pseudonym.objects.create(project=project, real_name="Martine Dupont", pseudonym="Claire")
    for user in (rita, sam):
        client.force_login(user)
        assert client.get(f"/projects/{project.pk}/pseudonyms/").status_code == 403
        assert (
            client.post(f"/projects/{project.pk}/pseudonyms/", {"rules": "A = B"}).status_code
            == 403
        )
    assert project.pseudonyms.count() == 1


@pytest.mark.django_db
def test_an_outsider_gets_404_on_the_list(client, project, olga):
    client.force_login(olga)
    assert client.get(f"/projects/{project.pk}/pseudonyms/").status_code == 404
