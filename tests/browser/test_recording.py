"""The recording plays along its transcript in Chromium: a turn's time seeks there, Alt+B goes back
5 seconds, Alt+L plays from the cue of the caret (even after the page redrew a panel), the turn being
heard is marked and followed, an excerpt plays from its cue and stops at the next one; axe-core finds
nothing serious on the page with its player (static/coding/player.js)."""

import pytest
from playwright.sync_api import expect

from interviews.models import Membership
from tests.browser.test_a11y import problems
from tests.factories import (
    make_code,
    make_coding,
    make_interview,
    make_project,
    make_recording,
    make_user,
    time_turns,
    wav_bytes,
)
from verbatim import ranges

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLAYER = "document.getElementById('recording-player')"


@pytest.fixture
def timed(live_server, settings, tmp_path):
    """An interview of four turns at 0, 3, 6 and 9 s, with a 12-second recording."""
    settings.MEDIA_ROOT = tmp_path
    project = make_project("Proximité")
    make_user("rita", project, Membership.Role.RESEARCHER)
    make_user("ada", project, Membership.Role.ADMIN)
    interview = make_interview(project)
    turns = time_turns(interview, seconds_apart=3)
    make_recording(interview, wav_bytes(12))
    url = f"{live_server.url}/projects/{project.pk}/interviews/{interview.pk}/"
    return project, interview, turns, url


def test_a_turns_time_seeks_and_alt_b_goes_back_five_seconds(timed, log_in):
    project, interview, turns, url = timed
    page = log_in("rita")
    page.goto(url)
    page.get_by_role("button", name="Lire à partir de 0:00:09").click()
    page.wait_for_function(f"() => {PLAYER}.currentTime >= 9 && {PLAYER}.currentTime < 11")
    page.keyboard.press("Alt+KeyB")
    page.wait_for_function(f"() => {PLAYER}.currentTime >= 4 && {PLAYER}.currentTime < 8")
    page.keyboard.press("Alt+KeyP")  # pauses
    page.wait_for_function(f"() => {PLAYER}.paused")


def test_playing_on_past_a_part_of_the_file_asks_for_the_next(timed, log_in, monkeypatch):
    """The server answers an open range one part at a time (verbatim/ranges.py): here 16 kB, two
    seconds of this recording. Played from 6 s, it carries on past 8 s, 10 s: the player asked for
    the next parts itself, each answered 206 with at most 16 kB."""
    monkeypatch.setattr(ranges, "PART", 16 * 1024)
    project, interview, turns, url = timed
    page = log_in("rita")
    parts = []
    page.on(
        "response",
        lambda response: (
            "/recording/" in response.url
            and response.status == 206
            and parts.append(response.headers["content-range"])
        ),
    )
    page.goto(url)
    page.get_by_role("button", name="Lire à partir de 0:00:06").click()
    page.wait_for_function(f"() => {PLAYER}.currentTime >= 10.5", timeout=20_000)
    assert page.evaluate(f"() => {PLAYER}.error") is None
    spans = [[int(n) for n in part.split()[1].split("/")[0].split("-")] for part in parts]
    assert all(last - first < 16 * 1024 for first, last in spans), parts
    assert any(first > 8 * 8000 for first, _last in spans), parts  # a part from past 8 s


def test_the_turn_being_heard_is_marked_and_followed(timed, log_in):
    project, interview, turns, url = timed
    page = log_in("rita")
    page.set_viewport_size({"width": 1200, "height": 500})
    page.goto(url)
    page.get_by_label("Suivre dans la transcription").check()
    page.get_by_role("button", name="Lire à partir de 0:00:06").click()
    playing = page.locator("#transcript section.turn.playing")
    expect(playing).to_have_count(1)
    expect(playing).to_contain_text("Et quand il vous parle ?")
    page.get_by_role("button", name="Lire à partir de 0:00:00").click()
    expect(playing).to_contain_text("Comment est-ce que vous abordez")
    page.keyboard.press("Alt+KeyP")
    page.wait_for_function(f"() => {PLAYER}.paused")
    # The follow choice is kept for the next visit.
    page.reload()
    expect(page.get_by_label("Suivre dans la transcription")).to_be_checked()


def test_alt_l_plays_from_the_cue_of_the_caret(timed, log_in):
    project, interview, turns, url = timed
    page = log_in("rita")
    page.goto(url)
    page.locator("#transcript").get_by_text("Et quand il vous parle ?").click()
    page.keyboard.press("Alt+KeyL")
    # Where playback began (however far it went since: a busy machine polls late): the cue's 6 s.
    page.wait_for_function(
        f"() => {{ const p = {PLAYER}.played; const i = p.length - 1;"
        " return i >= 0 && p.start(i) >= 5.9 && p.start(i) < 6.5; }"
    )


def test_alt_l_plays_the_caret_s_turn_after_a_redraw_of_the_page(timed, log_in):
    """A panel redrawn after the click (the codebook, the memos, someone's new coding) keeps the
    caret where it was: at the end of a line, on that line, not at the start of the next turn."""
    project, interview, turns, url = timed
    page = log_in("rita")
    page.goto(url)
    page.locator("#transcript").get_by_text("Et quand il vous parle ?").click()
    caret = "() => getSelection().focusNode && getSelection().focusNode.textContent"
    assert page.evaluate(caret) == "Et quand il vous parle ?"
    # What the server asks for after a coding (HX-Trigger: codebook-stale), once the click is done.
    page.evaluate(
        """() => new Promise((done) => {
          document.addEventListener("htmx:afterSwap", (event) => {
            if (event.detail.target.id === "codebook-slot") done();
          });
          htmx.trigger(document.body, "codebook-stale");
        })"""
    )
    assert page.evaluate(caret) == "Et quand il vous parle ?"
    page.keyboard.press("Alt+KeyL")
    page.wait_for_function(
        f"() => {{ const p = {PLAYER}.played; const i = p.length - 1;"
        " return i >= 0 && p.start(i) >= 5.9 && p.start(i) < 6.5; }"
    )


def test_an_excerpt_plays_from_its_cue_and_stops_at_the_next(timed, log_in):
    project, interview, turns, url = timed
    rita = project.memberships.get(role="researcher").user
    make_coding(interview, make_code(project), rita, turns[1].start + 3, turns[1].start + 20)
    page = log_in("rita")
    page.goto(f"{url.split('/projects/')[0]}/projects/{project.pk}/excerpts/")
    button = page.get_by_role("button", name="Écouter le passage")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    audio = "document.querySelector('audio[hidden]')"
    page.wait_for_function(f"() => {audio} && {audio}.currentTime >= 3 && !{audio}.paused")
    # Stopped at the next turn's time (6 s), not played on.
    page.wait_for_function(f"() => {audio}.paused && {audio}.currentTime >= 5.9", timeout=15_000)
    assert page.evaluate(f"() => {audio}.currentTime") < 6.5
    expect(button).to_have_attribute("aria-pressed", "false")


def test_the_page_with_its_player_has_no_serious_accessibility_problem(timed, log_in):
    project, interview, turns, url = timed
    page = log_in("ada")
    page.goto(url)
    expect(page.locator("#recording-player")).to_be_visible()
    page.get_by_text("Remplacer ou retirer l’enregistrement").click()
    expect(page.get_by_label("Fichier audio ou vidéo")).to_be_visible()
    assert problems(page, "interview with its recording") == []
