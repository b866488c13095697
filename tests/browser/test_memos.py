"""A researcher writes a project memo and rewrites it in place, in a real browser."""

import pytest
from playwright.sync_api import expect

from interviews.models import Membership
from tests.factories import make_project, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_researcher_adds_a_project_memo_and_edits_it_in_place(live_server, log_in):
    project = make_project("Proximité")
    make_user("rita", project, Membership.Role.RESEARCHER)
    page = log_in("rita")
    page.goto(f"{live_server.url}/projects/{project.pk}/")
    page.locator("a.nav-memos").click()
    page.wait_for_url(f"**/projects/{project.pk}/memos/")
    # Anything set on window survives only as long as the page is not reloaded.
    page.evaluate("window.sameDocument = true")

    page.locator("form.memo-add textarea").fill("Relire les entretiens 3 et 7\nà propos du banc")
    page.locator("form.memo-add button[type=submit]").click()
    memo = page.locator("#memo-results li.memo").first
    expect(memo.locator(".memo-body")).to_contain_text("Relire les entretiens 3 et 7")
    expect(memo.locator(".memo-body br")).to_have_count(1)
    expect(page.locator("form.memo-add textarea")).to_have_value("")

    memo.locator("a[href$='/edit/']").click()
    editor = page.locator("li.memo.editing textarea")
    expect(editor).to_be_focused()
    editor.fill("Relire les entretiens 3, 7 et 12")
    editor.press("Control+Enter")
    expect(page.locator("li.memo.editing")).to_have_count(0)
    expect(memo.locator(".memo-body")).to_have_text("Relire les entretiens 3, 7 et 12")
    assert page.evaluate("window.sameDocument") is True
