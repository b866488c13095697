"""A researcher searches the interviews, opens a hit, and codes every result at once, in a browser."""

import pytest
from playwright.sync_api import expect

from coding.models import Coding
from interviews.models import Membership
from tests.factories import make_code, make_interview, make_project, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TEXT = (
    "Intervieweuse : Qu'est-ce que vous laissez aux gens ?\n\n"
    "Martine : Des seringues neuves. Une trousse de naloxone 💊, toujours.\n\n"
    "Intervieweuse : Toujours ?\n\n"
    "Martine : Oui. Les intervenants de nuit aussi laissent de la Naloxone."
)


def test_a_researcher_searches_opens_a_hit_and_codes_all_results(live_server, log_in):
    project = make_project("Proximité")
    make_user("rita", project, Membership.Role.RESEARCHER)
    interview = make_interview(project, text=TEXT)
    code = make_code(project, "Offre de matériel")
    page = log_in("rita")
    page.goto(f"{live_server.url}/projects/{project.pk}/search/")
    page.evaluate("window.sameDocument = true")

    page.locator("input[name=q]").fill("naloxones")
    page.locator("input[name=q]").press("Enter")
    hits = page.locator(".search-hit")
    expect(hits).to_have_count(2)
    expect(hits.locator("mark")).to_have_text(["naloxone", "Naloxone"])
    assert page.evaluate("window.sameDocument") is True  # swapped in by htmx
    assert "q=naloxones" in page.url  # and the address can be shared

    page.locator("#code-all select[name=code]").select_option(str(code.pk))
    page.locator("#code-all input[value=sentence]").check()
    page.locator("#code-all .code-all-choice button[type=submit]").click()
    expect(page.locator("#code-all [data-count=new]")).to_have_text("2")
    page.locator("#code-all button.primary").click()
    expect(page.locator("#code-all .code-all-done")).to_be_visible()
    texts = sorted(Coding.objects.filter(code=code).values_list("text", flat=True))
    assert texts == [
        "Les intervenants de nuit aussi laissent de la Naloxone.",
        "Une trousse de naloxone 💊, toujours.",
    ]

    page.locator("#code-all .code-all-done button").click()
    expect(page.locator("#code-all .code-all-done form")).to_have_count(0)  # undone: no button
    assert not Coding.objects.filter(code=code).exists()

    hits.nth(1).locator("a").click()  # after the emoji: offsets are code points, not UTF-16
    page.wait_for_url(f"**/interviews/{interview.pk}/?at=*")
    start = TEXT.index("Naloxone")
    assert page.url.endswith(f"?at={start}-{start + 8}")
    # The workspace lights up exactly the word found (offsets.js converts code points to the DOM).
    found = page.evaluate(
        "[...CSS.highlights.get('found-passage')].map((range) => range.toString()).join()"
    )
    assert found == "Naloxone"
