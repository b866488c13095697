"""French first, English available: every page goes through Django's translations."""

import pytest

pytestmark = pytest.mark.django_db


def test_pages_are_in_french_by_default(client, project, rita):
    client.force_login(rita)
    page = client.get("/").content.decode()
    assert 'lang="fr"' in page
    assert "Vos projets" in page and "Se déconnecter" in page


def test_a_user_can_switch_to_english(client, project, rita):
    client.force_login(rita)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    page = client.get("/").content.decode()
    assert 'lang="en"' in page
    assert "Your projects" in page and "Log out" in page


def test_the_login_page_is_translated(client):
    page = client.get("/login/", headers={"Accept-Language": "fr"}).content.decode()
    assert "Connexion" in page
