"""The Content-Security-Policy is sent, allows no inline script or style, and the browser tests'
watch (conftest.py) does see what it refuses: every browser test fails on a violation."""

import pytest
from playwright.sync_api import expect

from interviews.models import Membership
from tests.factories import make_code, make_coding, make_interview, make_project, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_policy_refuses_inline_code_and_the_watch_reports_it(live_server, log_in, page):
    project = make_project("Proximité")
    rita = make_user("rita", project, Membership.Role.RESEARCHER)
    interview = make_interview(project)
    make_coding(interview, make_code(project), rita, 16, 40)
    log_in("rita")
    response = page.goto(f"{live_server.url}/projects/{project.pk}/interviews/{interview.pk}/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    expect(page.locator("#transcript mark")).to_have_count(1)
    assert page.context.policy_violations == []  # the page itself needs nothing inline

    page.evaluate("() => document.body.setAttribute('style', 'color: red')")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = '1'; document.body.append(s); }"
    )
    # Seen by the page, so reported to the test before this wait's answer.
    page.wait_for_function("() => window.policyViolations.length >= 2")
    reported = list(page.context.policy_violations)
    page.context.policy_violations.clear()  # seen: the fixture's own check must not fail on them
    assert any("style-src" in line for line in reported)
    assert any("script-src" in line for line in reported)
