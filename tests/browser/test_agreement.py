"""A blind double coding in Chromium: the supervisor opens a round, two researchers code the same
interview without seeing each other's codings, the supervisor closes the round, reads the figures,
opens the side-by-side view, steps to a disagreement with the keyboard and settles it."""

import pytest
from playwright.sync_api import expect

from agreement.models import ConsensusDecision
from coding.models import Coding, CodingRound, ConsensusCoder
from interviews.models import Membership
from tests.browser.selection import drag
from tests.factories import TRANSCRIPT, make_code, make_interview, make_project, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def span(words: str) -> tuple[int, int]:
    start = TRANSCRIPT.index(words)
    return start, start + len(words)


def log_out(page):
    page.locator("form[action='/logout/'] button").click()
    page.wait_for_url("**/login/**")


def code_passage(page, words: str):
    page.keyboard.press("Escape")
    drag(page, *span(words))
    expect(page.locator("#code-popover")).to_be_visible()
    page.keyboard.type("voisin")
    page.keyboard.press("Enter")
    expect(page.locator("#workspace-status")).to_contain_text("Voisinage courtois")


def test_a_blind_double_coding_ends_in_a_consensus(live_server, log_in):
    project = make_project("Proximité")
    rita = make_user("rita", project, Membership.Role.RESEARCHER)
    remi = make_user("remi", project, Membership.Role.RESEARCHER)
    make_user("sam", project, Membership.Role.SUPERVISOR)
    interview = make_interview(project)
    make_code(project, "Voisinage courtois")
    base = f"{live_server.url}/projects/{project.pk}"
    workspace = f"{base}/interviews/{interview.pk}/"

    # Sam opens a round of the interview for Rita and Rémi.
    page = log_in("sam")
    page.goto(f"{base}/agreement/rounds/")
    page.get_by_role("textbox", name="Nom :").fill("Double codage")
    page.get_by_role("listbox", name="Entretiens").select_option(label="Entretien 1")
    page.get_by_label("Codeur·euses").select_option(["rita", "remi"])
    page.get_by_role("button", name="Ouvrir le tour").click()
    expect(page.locator("h1")).to_have_text("Double codage")
    round_ = CodingRound.objects.get()
    log_out(page)

    # Rita codes the neighbourly wait; the page tells her the round is blind.
    log_in("rita")
    page.goto(workspace)
    expect(page.locator(".blind-note")).to_be_visible()
    code_passage(page, "Je m'assois pas loin, sur le même banc, pis j'attends.")
    page.goto(f"{base}/agreement/rounds/{round_.pk}/")
    page.get_by_role("button", name="Marquer Entretien 1 comme fait").click()
    expect(page.locator("tr.mine")).to_contain_text("1 / 1")
    log_out(page)

    # Rémi sees none of it, and codes less of the passage, and the coffee too.
    log_in("remi")
    page.goto(workspace)
    expect(page.locator(".blind-note")).to_be_visible()
    expect(page.locator("#transcript mark")).to_have_count(0)
    code_passage(page, "sur le même banc, pis j'attends.")
    code_passage(page, "je peux lui proposer un café")
    expect(page.locator("#transcript mark")).to_have_count(2)
    log_out(page)

    # Sam closes the round, reads the figures and opens the interview side by side.
    log_in("sam")
    page.goto(f"{base}/agreement/rounds/{round_.pk}/")
    page.get_by_role("button", name="Fermer le tour").click()
    expect(page.locator(".messages")).to_contain_text("fermé")
    page.get_by_role("link", name="Résultats d’accord de ce tour").click()
    table = page.locator(".agreement-table")
    expect(table).to_contain_text("Voisinage courtois")
    expect(page.locator(".agreement-legend")).to_contain_text("fiable")
    expect(page.locator("#methods-en")).to_contain_text(
        "Two coders independently coded 1 of the 1 interview"
    )
    table.get_by_role("link", name="Voisinage courtois").click()
    page.get_by_role("link", name="Entretien 1").click()
    # Loaded, scripts included: the keys below need the page's script listening.
    page.wait_for_url("**/agreement/compare/**", wait_until="load")
    cards = page.locator(".disagreement")
    expect(cards).to_have_count(2)
    expect(page.locator("#compare-text mark.region.boundary").first).to_be_visible()

    # N steps from one disagreement to the next; the second is Rémi's coffee, Rémi's alone.
    page.locator("h1").click()
    page.keyboard.press("n")
    expect(cards.nth(0)).to_be_focused()
    page.keyboard.press("n")
    second = cards.nth(1)
    expect(second).to_be_focused()
    expect(second).to_contain_text("Codé par une seule personne")
    expect(page.locator("#compare-text mark.region.only.current")).to_have_text(
        "je peux lui proposer un café"
    )
    page.keyboard.press("p")
    expect(cards.nth(0)).to_be_focused()

    # Sam keeps Rita's version of the first, with a comment.
    first = cards.nth(0)
    first.get_by_label("la version de rita").check()
    first.get_by_label("Commentaire (pourquoi)").fill("L'attente fait partie du voisinage.")
    first.get_by_role("button", name="Régler").click()
    expect(page.locator(".messages")).to_contain_text("Réglé")
    page.wait_for_load_state("load")  # the next card's form loads through the page's script
    expect(page.locator(".disagreement.settled")).to_contain_text("Réglé par sam")
    consensus = ConsensusCoder.objects.get(project=project).user
    assert list(Coding.objects.filter(coder=consensus).values_list("text", flat=True)) == [
        "Je m'assois pas loin, sur le même banc, pis j'attends."
    ]
    assert ConsensusDecision.objects.get().comment == "L'attente fait partie du voisinage."

    # The coffee: its form loads when its card opens; not this code, says Sam.
    second = page.locator(".disagreement").nth(1)
    second.locator("details.settle summary").click()
    second.get_by_label("rien : pas ce code").check()
    second.get_by_role("button", name="Régler").click()
    expect(page.locator(".disagreement.settled")).to_have_count(2)
    assert ConsensusDecision.objects.filter(choice="none").count() == 1
    assert Coding.objects.filter(coder=consensus).count() == 1
    log_out(page)

    # The round closed, Rita now sees Rémi's codings too.
    log_in("rita")
    page.goto(f"{workspace}?coders={remi.pk}")
    expect(page.locator(".blind-note")).to_have_count(0)
    expect(page.locator("#transcript mark")).to_have_count(2)
    assert rita.pk != remi.pk
