"""Correcting a coded transcript in Chromium: a supervisor fixes a misheard word inside a coded
passage, turn by turn; the coder finds the coding flagged with the words before and after."""

import pytest
from playwright.sync_api import expect

from coding.models import Coding
from interviews.models import Membership
from tests.factories import make_code, make_coding, make_interview, make_project, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_word_corrected_inside_a_coded_passage_flags_the_coding(live_server, log_in, page):
    project = make_project("Proximité")
    rita = make_user("rita", project, Membership.Role.RESEARCHER)
    make_user("sam", project, Membership.Role.SUPERVISOR)
    interview = make_interview(project)
    code = make_code(project, "Voisinage courtois")
    start = interview.text.index("sur le même banc")
    coding = make_coding(interview, code, rita, start, start + len("sur le même banc"))
    base = f"{live_server.url}/projects/{project.pk}/interviews/{interview.pk}"

    log_in("sam")
    page.goto(f"{base}/correct/")
    turn = page.locator("section.correction-block", has_text="même banc")
    turn.get_by_role("link", name="Corriger ce tour").click()
    words = turn.get_by_label("Mots")
    expect(words).to_be_visible()  # the form came in place, by htmx
    words.fill(words.input_value().replace("même banc", "grand banc"))
    turn.get_by_label("Pourquoi (facultatif)").fill("mal entendu")
    turn.get_by_role("button", name="Enregistrer cette correction").click()
    expect(page.locator(".messages")).to_contain_text("Version 2 enregistrée.")
    expect(page.locator("section.correction-block", has_text="grand banc")).to_be_visible()
    coding.refresh_from_db()
    assert coding.text == "sur le grand banc"

    page.locator("form[action='/logout/'] button").click()
    page.wait_for_url("**/login/**")
    log_in("rita")
    page.goto(f"{base}/corrected-codings/")
    flagged = page.locator("li.card", has_text="Voisinage courtois")
    expect(flagged).to_contain_text("sur le même banc")
    expect(flagged).to_contain_text("sur le grand banc")
    flagged.get_by_role("button", name="Vu, c’est juste").click()
    expect(page.get_by_text("Aucun codage n’a de mots changés par une correction.")).to_be_visible()
    assert Coding.objects.get(pk=coding.pk).text_changes.get().seen_by == rita
