"""A whole day in the coding workspace: the page never jumps, a shortcut typed at once is not lost,
Back leaves a working page, codings are reachable from the keyboard and named, stripes show each
coding, undo undoes this tab's own actions and says what."""

import re

import pytest
from playwright.sync_api import expect

from coding.models import Coding
from interviews.models import Membership
from tests.browser.selection import drag
from tests.factories import make_code, make_coding, make_interview, make_project, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TURNS = 60
TEXT = "".join(
    f"Intervieweuse : Question {n}, sur le voisinage et la rue ?\n\n"
    f"Martine : Réponse {n}. Je m’assois pas loin, sur le même banc, pis j’attends que ça vienne.\n\n"
    for n in range(TURNS)
)


def answer(n: int) -> tuple[int, int]:
    words = f"Réponse {n}. Je m’assois pas loin"
    start = TEXT.index(words)
    return start, start + len(words)


@pytest.fixture
def long_interview(live_server, log_in):
    project = make_project("Proximité")
    rita = make_user("rita", project, Membership.Role.RESEARCHER)
    interview = make_interview(project, text=TEXT)
    code = make_code(project, "Voisinage courtois", color="#2d68b0")
    page = log_in("rita")
    page.goto(f"{live_server.url}/projects/{project.pk}/interviews/{interview.pk}/")
    expect(page.locator("#codebook")).to_contain_text("Voisinage courtois")
    return page, interview, code, rita


def scroll_to_answer(page, n: int) -> float:
    """Scroll so that answer n is in the middle of the screen; where it is drawn on the screen.

    Turns off-screen are laid out only once near it (content-visibility), which moves what follows:
    scroll, let two frames lay it out, and again until the passage stays where it is.
    """
    return page.evaluate(
        """async (start) => {
          const frames = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
          const root = document.getElementById("transcript");
          const top = () => VerbatimOffsets.rangeToDom(root, start, start + 1).getBoundingClientRect().top;
          let before = null;
          while (before === null || Math.abs(top() - before) > 0.5) {
            window.scrollBy(0, top() - innerHeight / 2);
            await frames();
            before = top();
            await frames();
          }
          return top();
        }""",
        answer(n)[0],
    )


def passage_top(page, n: int) -> float:
    return page.evaluate(
        """(start) => VerbatimOffsets.rangeToDom(document.getElementById("transcript"), start, start + 1)
             .getBoundingClientRect().top""",
        answer(n)[0],
    )


def assert_not_scrolled(page, y: float, n: int = TURNS // 2):
    """The passage is where it was on the screen (the page did not scroll under the reader)."""
    assert abs(passage_top(page, n) - y) < 2


def test_the_page_stays_put_when_coding_with_the_mouse_then_the_keyboard(long_interview):
    page, interview, code, rita = long_interview
    y = scroll_to_answer(page, TURNS // 2)
    assert page.evaluate("() => scrollY") > 1000  # halfway down a long interview

    drag(page, *answer(TURNS // 2))
    popover = page.locator("#code-popover")
    expect(popover).to_be_visible()
    assert_not_scrolled(page, y)
    expect(popover).to_be_in_viewport()
    page.keyboard.press("1")
    expect(page.locator("#workspace-status")).to_contain_text("Voisinage courtois")
    assert_not_scrolled(page, y)

    # The keyboard: a caret in the next answer, Shift+→ selects, Enter opens, Enter applies.
    start = answer(TURNS // 2 + 1)[0]
    page.evaluate(
        """(start) => {
          const root = document.getElementById("transcript");
          root.focus({preventScroll: true});
          const r = VerbatimOffsets.rangeToDom(root, start, start + 1);
          getSelection().collapse(r.startContainer, r.startOffset);
        }""",
        start,
    )
    page.keyboard.press("Escape")
    for _ in range(3):
        page.keyboard.press("Control+Shift+ArrowRight")
    page.wait_for_function("() => getSelection().toString().startsWith('Réponse')")
    page.keyboard.press("Enter")
    expect(popover).to_be_visible()
    assert_not_scrolled(page, y)
    page.keyboard.press("Enter")
    expect(page.locator("#workspace-status")).to_contain_text("Voisinage courtois")
    expect(page.locator("#transcript mark")).to_have_count(2)
    assert_not_scrolled(page, y)
    assert Coding.objects.count() == 2


def test_the_page_stays_put_on_a_phone(long_interview):
    page, interview, code, rita = long_interview
    page.set_viewport_size({"width": 390, "height": 844})
    y = scroll_to_answer(page, TURNS // 2)
    drag(page, *answer(TURNS // 2))
    popover = page.locator("#code-popover")
    expect(popover).to_be_visible()
    expect(popover).to_be_in_viewport()
    assert_not_scrolled(page, y)
    box = popover.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    page.keyboard.press("1")
    expect(page.locator("#workspace-status")).to_contain_text("Voisinage courtois")
    assert_not_scrolled(page, y)
    # Nothing wider than the phone, and the codebook one tap away.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    page.locator(".workspace-tabs").get_by_role("link", name="Livre de codes").click()
    expect(page.locator("#codebook")).to_be_in_viewport()


def test_a_shortcut_pressed_in_the_same_instant_as_the_mouse_release_is_not_lost(long_interview):
    page, interview, code, rita = long_interview
    start, end = answer(3)
    # The release and the key in one task: nothing between them can open the popover late.
    page.evaluate(
        """([start, end]) => {
          const root = document.getElementById("transcript");
          const r = VerbatimOffsets.rangeToDom(root, start, end);
          getSelection().setBaseAndExtent(r.startContainer, r.startOffset, r.endContainer, r.endOffset);
          root.dispatchEvent(new MouseEvent("mouseup", {bubbles: true}));
          document.body.dispatchEvent(new KeyboardEvent("keydown", {key: "1", bubbles: true}));
        }""",
        [start, end],
    )
    expect(page.locator("#workspace-status")).to_contain_text("Voisinage courtois")
    assert Coding.objects.get().text == TEXT[start:end]


def test_coding_still_works_after_a_swap_and_back(long_interview):
    page, interview, code, rita = long_interview
    url = page.url
    page.locator("select[name=coders]").select_option("mine")
    page.wait_for_url(re.compile(r"coders=mine"))
    expect(page.locator("#transcript")).to_be_visible()
    page.go_back()
    page.wait_for_url(url)
    expect(page.locator("#transcript p[data-start]").first).to_be_visible()
    drag(page, *answer(2))
    expect(page.locator("#code-popover")).to_be_visible()
    page.keyboard.press("1")
    expect(page.locator("#workspace-status")).to_contain_text("Voisinage courtois")
    expect(page.locator("#transcript mark")).to_have_count(1)
    assert Coding.objects.get().text == TEXT[slice(*answer(2))]


def test_a_coded_passage_is_reached_named_and_inspected_from_the_keyboard(long_interview):
    page, interview, code, rita = long_interview
    sam = make_user("sam", interview.project, Membership.Role.RESEARCHER)
    start, end = answer(1)
    make_coding(interview, code, rita, start, end)
    make_coding(interview, code, sam, start + 8, end)
    page.reload()
    mark = page.locator("#transcript mark").nth(1)
    # Its accessible name lists the codes and coders.
    expect(mark).to_have_attribute("title", "Voisinage courtois — rita\nVoisinage courtois — sam")

    page.locator("#transcript").focus()
    page.keyboard.press("n")  # the next coded passage
    status = page.locator("#workspace-status")
    expect(status).to_contain_text("Voisinage courtois — rita")
    page.keyboard.press("n")
    expect(status).to_contain_text("Voisinage courtois — sam")
    page.keyboard.press("Enter")
    inspector = page.locator("#inspector")
    expect(inspector.locator(".coding-card")).to_have_count(2)
    expect(inspector).to_be_focused()
    # The same inspector as a click.
    page.keyboard.press("Escape")
    mark.click()
    expect(inspector.locator(".coding-card")).to_have_count(2)


def test_stripes_show_each_coding_side_by_side_and_can_be_filtered(long_interview):
    page, interview, code, rita = long_interview
    sam = make_user("sam", interview.project, Membership.Role.RESEARCHER)
    other = make_code(interview.project, "Attente", color="#a64e20")
    start, end = answer(1)
    make_coding(interview, code, rita, start, end)
    make_coding(interview, code, sam, start, end)  # the same code, another coder
    make_coding(interview, other, rita, *answer(2))
    page.reload()
    stripes = page.locator("#transcript .stripe")
    expect(stripes).to_have_count(3)
    first, second = stripes.nth(0).bounding_box(), stripes.nth(1).bounding_box()
    assert first["x"] != second["x"] and abs(first["y"] - second["y"]) < 2  # side by side
    expect(stripes.nth(0)).to_have_attribute("title", re.compile("Voisinage courtois — (rita|sam)"))
    colour = stripes.nth(2).evaluate("(s) => getComputedStyle(s).backgroundColor")
    assert colour == "rgb(166, 78, 32)"  # #a64e20

    page.locator("#stripes-coder").select_option(label="sam")
    expect(stripes).to_have_count(1)
    page.locator("#stripes-coder").select_option("")
    page.locator("#stripes-code").select_option(label="Attente")
    expect(stripes).to_have_count(1)
    page.locator("#stripes-on").uncheck()
    expect(page.locator("#transcript .stripe").first).to_be_hidden()
    # A new coding gets its stripe at once.
    page.locator("#stripes-on").check()
    page.locator("#stripes-code").select_option("")
    drag(page, *answer(4))
    page.keyboard.press("1")
    expect(stripes).to_have_count(4)


def test_undo_undoes_this_tab_only_and_says_what(long_interview, live_server):
    page, interview, code, rita = long_interview
    drag(page, *answer(1))
    page.keyboard.press("1")
    expect(page.locator("#undo-what")).to_contain_text("Voisinage courtois")
    expect(page.locator("#undo-what")).to_contain_text("Réponse 1.")

    other = page.context.new_page()
    other.goto(page.url)
    expect(other.locator("#transcript mark")).to_have_count(1)
    # The other tab did nothing: it has nothing to undo, and leaves this tab's coding alone.
    other.keyboard.press("Control+z")
    expect(other.locator("#workspace-status")).to_contain_text("Rien à annuler dans cet onglet")
    assert Coding.objects.count() == 1
    drag(other, *answer(2))
    other.keyboard.press("1")
    expect(other.locator("#workspace-status")).to_contain_text("Voisinage courtois")
    assert Coding.objects.count() == 2

    page.bring_to_front()
    page.keyboard.press("Escape")
    page.keyboard.press("Control+z")  # undoes this tab's coding, not the newer one of the other tab
    expect(page.locator("#workspace-status")).to_contain_text("Annulé")
    expect(page.locator("#workspace-status")).to_contain_text("Réponse 1.")
    assert [c.text for c in Coding.objects.all()] == [TEXT[slice(*answer(2))]]
    expect(page.locator("#undo-what")).to_have_text("")


def test_an_expired_session_keeps_the_page_and_replays_the_coding(long_interview, live_server):
    page, interview, code, rita = long_interview
    # A memo half-written on the interview.
    memo = page.locator("#interview-memos textarea")
    memo.fill("Martine revient toujours au banc")
    page.context.clear_cookies(name="sessionid")  # the session ends

    drag(page, *answer(1))
    page.keyboard.press("1")
    dialog = page.locator("#session-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Votre session a pris fin")
    assert not Coding.objects.exists()
    dialog.get_by_label("Mot de passe").fill("pw-for-tests")
    dialog.get_by_role("button", name="Se connecter et réessayer").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#workspace-status")).to_contain_text("Voisinage courtois")
    assert Coding.objects.get().text == TEXT[slice(*answer(1))]
    expect(memo).to_have_value("Martine revient toujours au banc")  # nothing typed was lost
    # And the memo is kept across a reload until it is saved.
    page.reload()
    expect(page.locator("#interview-memos textarea")).to_have_value(
        "Martine revient toujours au banc"
    )


def test_the_skip_link_goes_to_the_transcript(long_interview):
    page, interview, code, rita = long_interview
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Aller à la transcription")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#transcript")).to_be_focused()
