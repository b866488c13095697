"""A researcher grows the codebook from the sidebar, in a real browser, without leaving the page."""

import pytest
from playwright.sync_api import expect

from interviews.models import Membership
from tests.factories import make_code, make_project, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_researcher_creates_and_renames_a_code_in_the_sidebar(live_server, log_in):
    project = make_project("Proximité")
    make_user("rita", project, Membership.Role.RESEARCHER)
    parent = make_code(project, "Gestion de la proximité")
    make_code(project, "Voisinage courtois", parent)
    page = log_in("rita")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    codebook = page.locator("#codebook")
    expect(codebook).to_contain_text("Gestion de la proximité")
    page.evaluate("window.notReloaded = true")

    codebook.locator(".codebook-new").click()
    form = page.locator("#code-new form")
    form.locator("input[name=name]").fill("Écoute active")
    form.locator("select[name=parent]").select_option(str(parent.pk))
    form.locator("button[type=submit]").click()
    new_code = codebook.locator(f"#code-{parent.pk} li", has_text="Écoute active")
    expect(new_code).to_be_visible()

    new_code.locator(".code").hover()
    new_code.locator("a.code-action").click()
    name = new_code.locator("input[name=name]")
    expect(name).to_be_focused()
    name.fill("Écoute attentive")
    new_code.locator("button[type=submit]").click()
    expect(codebook.locator(".code-name", has_text="Écoute attentive")).to_be_visible()
    expect(codebook).not_to_contain_text("Écoute active")

    # The new sub-code came last among its siblings; one click moves it up.
    renamed = codebook.locator(f"#code-{parent.pk} li", has_text="Écoute attentive")
    renamed.locator(".code").hover()
    renamed.locator("button[value=up]").click()
    expect(codebook.locator(f"#code-{parent.pk} li .code-name").first).to_have_text(
        "Écoute attentive"
    )

    # The sub-code's branch folds with its parent's row.
    page.locator(f"#code-{parent.pk} > .code > button.code-fold").click()
    expect(codebook.locator(".code-name", has_text="Écoute attentive")).to_be_hidden()
    assert page.evaluate("window.notReloaded") is True
