"""axe-core over every main page and state, as the demo's admin, supervisor and researcher see them:
no violation of "serious" or "critical" impact. The Content-Security-Policy watch of conftest.py runs
over the same pages (and fails on any violation it reports).

axe-core comes bundled in axe-playwright-python (a test dependency, never served to users) and is
injected by Playwright into each page under test.
"""

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.management import call_command
from playwright.sync_api import expect

from coding.models import Coding
from interviews.models import Interview, Project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLOCKING = ("serious", "critical")
AXE = Axe()


def problems(page, state: str) -> list[str]:
    """The serious and critical violations on the page as it is now, one line per element."""
    results = AXE.run(page)
    return [
        f"{state}: {v['id']} ({v['impact']}) {node['target']} — {node['failureSummary']}"
        for v in results.response["violations"]
        if v["impact"] in BLOCKING
        for node in v["nodes"]
    ]


@pytest.fixture
def demo(live_server, page):
    call_command("load_demo", verbosity=0)
    project = Project.objects.get()
    interview = Interview.objects.filter(codings__isnull=False).order_by("pk").first()
    return live_server.url, project, interview


def sign_in(page, base: str, username: str):
    page.context.clear_cookies()
    page.goto(f"{base}/login/")
    page.get_by_label("Nom d'utilisateur").fill(username)
    page.get_by_label("Mot de passe").fill("verbatim-demo")
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(f"{base}/")


def test_the_main_pages_and_states_have_no_serious_accessibility_violation(demo, page):
    base, project, interview = demo
    found = []
    p = f"{base}/projects/{project.pk}"

    page.goto(f"{base}/login/")
    found += problems(page, "login")

    sign_in(page, base, "ada")
    found += problems(page, "project list")
    for name, url in [
        ("project", f"{p}/"),
        ("members", f"{p}/members/"),
        ("import upload", f"{p}/import/"),
        ("pseudonyms", f"{p}/pseudonyms/"),
        ("excerpts", f"{p}/excerpts/"),
        ("codes overview", f"{p}/codes/overview/"),
        ("codes matrix", f"{p}/codes/matrix/"),
        ("search", f"{p}/search/?q=banc"),
        ("memos", f"{p}/memos/"),
        ("codebook", f"{p}/codebook/"),
        ("trash", f"{p}/trash/"),
        ("agreement", f"{p}/agreement/"),
        ("agreement rounds", f"{p}/agreement/rounds/"),
        ("analysis", f"{p}/analysis/"),
        ("co-occurrence", f"{p}/analysis/cooccurrence/"),
        ("crosstab", f"{p}/analysis/crosstab/"),
        ("code × speaker", f"{p}/analysis/speakers/"),
        ("frequencies", f"{p}/analysis/frequencies/"),
        ("codeline", f"{p}/analysis/codeline/"),
        ("portrait", f"{p}/analysis/interviews/{interview.pk}/portrait/"),
        ("query", f"{p}/analysis/query/"),
        ("exchange", f"{p}/exchange/"),
        ("REFI-QDA import", f"{base}/exchange/import/"),
        ("correction", f"{p}/interviews/{interview.pk}/correct/"),
        ("versions", f"{p}/interviews/{interview.pk}/versions/"),
        ("corrected codings", f"{p}/interviews/{interview.pk}/corrected-codings/"),
        ("jobs", f"{base}/jobs/"),
    ]:
        page.goto(url)
        found += problems(page, name)

    # The codebook while a code is edited.
    page.goto(f"{p}/codebook/")
    page.locator("a.code-action").first.click()
    expect(page.locator(".code-form")).to_be_visible()
    found += problems(page, "codebook editing")

    sign_in(page, base, "sam")
    page.goto(f"{p}/review/")
    expect(page.locator(".review-card").first).to_be_visible()
    found += problems(page, "review queue")
    page.locator(".review-card details.send-back summary").first.click()
    found += problems(page, "review queue, send back open")
    page.locator("details.interview-filter summary").click()
    expect(page.locator("#interview-select option").first).to_be_attached()
    found += problems(page, "review queue, interview list open")
    coding = Coding.objects.filter(interview__project=project).first()
    page.goto(f"{p}/review/{coding.pk}/history/")
    found += problems(page, "review history")

    sign_in(page, base, "rita")
    page.goto(f"{p}/revise/")
    found += problems(page, "to revise")
    page.goto(f"{p}/interviews/{interview.pk}/")
    expect(page.locator("#codebook")).to_be_visible()
    found += problems(page, "workspace")
    # The popover open on a selection, then the inspector on a highlight.
    page.locator("#transcript").focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Control+Shift+ArrowRight")
    page.keyboard.press("Enter")
    expect(page.locator("#code-popover")).to_be_visible()
    found += problems(page, "workspace, popover open")
    page.keyboard.press("Escape")
    page.locator("#transcript mark").first.click()
    expect(page.locator("#inspector .coding-card").first).to_be_visible()
    found += problems(page, "workspace, inspector open")
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("#codebook")).to_be_visible()
    found += problems(page, "workspace on a phone")
    page.get_by_role("button", name="Menu").click()
    found += problems(page, "phone menu open")

    assert found == [], "\n".join(found)
