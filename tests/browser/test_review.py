"""The review loop in Chromium: a supervisor sends an excerpt back with a comment, the researcher sees
it in "to revise", answers and resubmits, and it is back in the supervisor's queue; then "approve
selected" approves it with the other excerpts, in place."""

import pytest
from playwright.sync_api import expect

from coding.models import Coding, ReviewEvent
from interviews.models import Membership
from tests.factories import make_code, make_coding, make_interview, make_project, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_out(page):
    page.locator("form[action='/logout/'] button").click()
    page.wait_for_url("**/login/**")


def test_an_excerpt_sent_back_is_revised_and_returns_to_the_queue(live_server, log_in):
    project = make_project("Proximité")
    rita = make_user("rita", project, Membership.Role.RESEARCHER)
    make_user("sam", project, Membership.Role.SUPERVISOR)
    interview = make_interview(project)
    code = make_code(project, "Voisinage courtois")
    first = make_coding(interview, code, rita, 16, 40)
    other = make_coding(interview, code, rita, 100, 130)
    queue_url = f"{live_server.url}/projects/{project.pk}/review/"

    # Sam sends the first excerpt back, from the keyboard, without leaving the page.
    page = log_in("sam")
    page.goto(queue_url)
    page.evaluate("window.sameDocument = true")
    card = page.locator(f"#review-{first.pk}")
    card.locator("details.send-back summary").click()
    comment = card.locator("textarea[name=comment]")
    comment.fill("Le passage devrait inclure la réponse de Martine.")
    comment.press("Control+Enter")
    expect(card).to_have_class("card review-card needs_change")
    expect(card.locator(".review-history")).to_contain_text("devrait inclure la réponse")
    expect(page.locator(f"#review-{other.pk}")).to_have_class("card review-card pending")
    assert page.evaluate("window.sameDocument") is True
    log_out(page)

    # Rita finds it in "to revise" with the comment, answers and resubmits.
    log_in("rita")
    page.goto(f"{live_server.url}/projects/{project.pk}/revise/")
    revised = page.locator(f"#revise-{first.pk}")
    expect(revised).to_contain_text("Le passage devrait inclure la réponse de Martine.")
    expect(page.locator("#revise-count")).to_have_text("1")
    expect(revised.locator("a.open-passage")).to_have_attribute(
        "href", f"/projects/{project.pk}/interviews/{interview.pk}/?at=16-40"
    )
    revised.locator("textarea[name=answer]").fill("La question suffit ici, je crois.")
    revised.locator("form.resubmit button[type=submit]").click()
    expect(revised).to_have_class("card review-card pending")
    expect(revised.locator("form.resubmit")).to_have_count(0)
    expect(page.locator("#revise-count")).to_have_text("0")
    log_out(page)

    # Back in Sam's queue, with the answer in its history; he approves both at once.
    log_in("sam")
    page.goto(queue_url)
    card = page.locator(f"#review-{first.pk}")
    expect(card).to_have_class("card review-card pending")
    expect(card.locator(".review-history")).to_contain_text("La question suffit ici")
    page.locator("input.select-all").check()
    expect(page.locator("input[form=review-bulk]:checked")).to_have_count(2)
    page.locator("#review-bulk button[type=submit]").click()
    expect(card).to_have_class("card review-card approved")
    expect(page.locator(f"#review-{other.pk}")).to_have_class("card review-card approved")
    expect(page.locator("#review-bulk-status")).not_to_be_empty()
    assert set(Coding.objects.values_list("status", flat=True)) == {"approved"}
    assert list(
        ReviewEvent.objects.filter(coding=first).values_list("reviewer__username", "status")
    ) == [("sam", "needs_change"), ("rita", "pending"), ("sam", "approved")]
