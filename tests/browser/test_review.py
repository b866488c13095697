"""The review loop in Chromium: a supervisor sends an excerpt back with a comment, the researcher sees
it in "to revise", answers and resubmits, and it is back in the supervisor's queue; then "approve
selected" approves it with the other excerpts, in place."""

import re

import pytest
from playwright.sync_api import expect

from coding.models import Coding, ReviewEvent
from interviews.models import Membership
from tests.factories import (
    TRANSCRIPT,
    make_code,
    make_coding,
    make_interview,
    make_project,
    make_user,
)

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


def test_a_supervisor_reviews_dense_cards_with_context_from_the_keyboard(live_server, log_in):
    project = make_project("Proximité")
    rita = make_user("rita", project, Membership.Role.RESEARCHER)
    make_user("sam", project, Membership.Role.SUPERVISOR)
    text = "".join(
        f"Martine : Phrase d'avant numéro {n}. Je m'assois sur le banc {n} et j'attends. "
        f"Puis il vient. Phrase d'après {n}.\n\n"
        for n in range(12)
    )
    interview = make_interview(project, text=text)
    code = make_code(project, "Voisinage courtois")
    codings = []
    for n in range(12):
        start = text.index(f"Je m'assois sur le banc {n} ")
        codings.append(make_coding(interview, code, rita, start, start + 26))
    page = log_in("sam")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{live_server.url}/projects/{project.pk}/review/")
    cards = page.locator(".review-items > .review-card")
    expect(cards).to_have_count(12)

    # The sentence before and after show; more context on demand. Four cards and more on screen.
    first = cards.first
    expect(first.locator("blockquote")).to_contain_text("Phrase d'avant numéro 0.")
    expect(first.locator("blockquote")).to_contain_text("et j'attends.")
    page.locator(".review-items").scroll_into_view_if_needed()
    page.evaluate(
        "() => window.scrollTo(0, document.querySelector('.review-items').offsetTop - 100)"
    )
    in_view = page.evaluate(
        """() => [...document.querySelectorAll('.review-items > .review-card')].filter((c) => {
             const r = c.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }).length"""
    )
    assert in_view >= 4

    # j, j, a: the second card is approved; k, s: the first is sent back with a comment.
    page.locator("body").press("j")
    expect(cards.nth(0)).to_be_focused()
    page.keyboard.press("j")
    expect(cards.nth(1)).to_be_focused()
    page.keyboard.press("a")
    expect(page.locator(f"#review-{codings[1].pk}")).to_have_class("card review-card approved")
    expect(page.locator(f"#review-{codings[1].pk}")).to_be_focused()
    page.keyboard.press("k")
    expect(cards.nth(0)).to_be_focused()
    page.keyboard.press("s")
    comment = cards.nth(0).locator("textarea[name=comment]")
    expect(comment).to_be_focused()
    comment.fill("Inclure la phrase d'après.")
    comment.press("Control+Enter")
    expect(page.locator(f"#review-{codings[0].pk}")).to_have_class("card review-card needs_change")
    assert dict(Coding.objects.values_list("pk", "status"))[codings[1].pk] == "approved"


def test_the_queues_interview_list_loads_when_opened_and_filters(live_server, log_in):
    """The page holds no interview until the list is opened (a large project has thousands); then
    every interview is there, and choosing one shows its excerpts alone, at an address that keeps
    it."""
    project = make_project("Proximité")
    rita = make_user("rita", project, Membership.Role.RESEARCHER)
    make_user("sam", project, Membership.Role.SUPERVISOR)
    code = make_code(project, "Voisinage courtois")
    first = make_coding(make_interview(project, title="Entretien A"), code, rita, 16, 40)
    text = TRANSCRIPT.replace("café", "thé")  # two interviews of one text are refused
    second_interview = make_interview(project, text, title="Entretien B")
    second = make_coding(second_interview, code, rita, 100, 130)

    page = log_in("sam")
    page.goto(f"{live_server.url}/projects/{project.pk}/review/")
    expect(page.locator(f"#review-{first.pk}")).to_be_visible()
    options = page.locator("#interview-select option")
    expect(options).to_have_count(0)
    page.locator("details.interview-filter summary").click()
    expect(options).to_have_text(["Entretien A", "Entretien B"])
    page.locator("#interview-select").select_option(label="Entretien B")
    expect(page.locator(f"#review-{first.pk}")).to_have_count(0)
    expect(page.locator(f"#review-{second.pk}")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"[?&]interview={second_interview.pk}(&|$)"))
