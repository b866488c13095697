"""A researcher codes an interview in Chromium: select with the mouse and keyboard, apply, overlap,
inspect, remove, undo; the stored passages are exactly what was selected."""

import pytest
from playwright.sync_api import expect

from coding.models import Code, Coding, Memo
from interviews.models import Membership
from tests.browser.selection import drag
from tests.factories import make_code, make_coding, make_interview, make_project, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NURSE = "\U0001f469\u200d\u2695\ufe0f"  # 👩‍⚕️, one glyph of four code points
TEXT = (
    "Intervieweuse : Comment vous approchez-vous\u00a0?\n\n"
    "Martine : Je m’assois pas loin 😊, sur le même banc, pis j’attends.\r\n"
    "Des fois ça prend des semaines\u202f; «\u00a0juste un café\u00a0», rien de plus.\n\n"
    "Intervieweuse : Et l’été ?\n\n"
    f"Martine : L’e\u0301te\u0301 je propose un café {NURSE} ou l’infirmie\u0300re."
)


def span(words: str) -> tuple[int, int]:
    start = TEXT.index(words)
    return start, start + len(words)


@pytest.fixture
def workspace(live_server, log_in):
    project = make_project("Proximité")
    make_user("rita", project, Membership.Role.RESEARCHER)
    interview = make_interview(project, text=TEXT)
    code = make_code(project, "Voisinage courtois")
    page = log_in("rita")
    page.goto(f"{live_server.url}/projects/{project.pk}/interviews/{interview.pk}/")
    expect(page.locator("#codebook")).to_contain_text("Voisinage courtois")
    return page, interview, code


def select(page, words: str) -> str:
    page.keyboard.press("Escape")  # the popover of the previous passage may cover this one
    drag(page, *span(words))
    return page.evaluate("() => getSelection().toString()")


def test_a_researcher_codes_overlapping_passages_and_they_persist(workspace):
    page, interview, code = workspace
    popover = page.locator("#code-popover")

    # An existing code, found by typing part of its name without its accents or capitals.
    selected = select(page, "pas loin 😊, sur le même banc")
    expect(popover).to_be_visible()
    page.keyboard.type("voisin")
    page.keyboard.press("Enter")
    expect(page.locator("#workspace-status")).to_contain_text("Voisinage courtois")
    expect(page.locator(f"#code-count-{code.pk}")).to_have_text("1 / 1")
    assert Coding.objects.get(code=code).text == selected == "pas loin 😊, sur le même banc"

    # A new code in vivo, named after the selected words, guillemets and no-break spaces included.
    quoted = select(page, "«\u00a0juste un café\u00a0»")
    popover.locator("[data-new=in-vivo]").click()
    expect(page.locator("#workspace-status")).to_contain_text("juste un café")
    expect(page.locator("#codebook")).to_contain_text("juste un café")
    in_vivo = Code.objects.get(name__contains="juste un café")
    assert Coding.objects.get(code=in_vivo).text == quoted == "«\u00a0juste un café\u00a0»"

    # Overlapping the first coding, across the CRLF that ends a paragraph, with the new code.
    across = select(page, "même banc, pis j’attends.\r\nDes fois")
    page.keyboard.type("juste")
    page.keyboard.press("Enter")
    expect(page.locator("#transcript mark[data-codings*=' ']").first).to_be_visible()
    assert set(Coding.objects.values_list("text", flat=True)) == {
        selected,
        quoted,
        "même banc, pis j’attends.\r\nDes fois",
    }
    # The browser shows the paragraph break its own way; the words are the same.
    assert across.split() == ["même", "banc,", "pis", "j’attends.", "Des", "fois"]

    page.reload()
    overlapping = page.locator("#transcript mark[data-codings*=' ']")
    expect(overlapping).to_have_text("même banc")
    assert page.locator("#transcript mark").count() >= 4


def test_inspect_remove_and_undo_a_coding(workspace):
    page, interview, code = workspace
    select(page, "rien de plus")
    page.keyboard.press("1")  # the first shortcut: the only code
    mark = page.locator("#transcript mark[data-codings]")
    expect(mark).to_have_text("rien de plus")

    mark.click()
    card = page.locator("#inspector .coding-card")
    expect(card).to_contain_text("rita")
    expect(card.locator("blockquote")).to_have_text("rien de plus")
    # A memo on the passage, written in the inspector.
    card.locator(".memo-add textarea").fill("Trop court : inclure la phrase d’avant ?")
    card.locator(".memo-add button").click()
    expect(card.locator(".memos")).to_contain_text("inclure la phrase")
    assert Memo.objects.get().coding == Coding.objects.get()

    card.locator("button.remove-coding").click()
    expect(page.locator("#transcript mark")).to_have_count(0)
    expect(card).to_have_count(0)
    assert not Coding.objects.exists()

    page.keyboard.press("Control+z")
    expect(page.locator("#transcript mark")).to_have_text("rien de plus")
    assert Coding.objects.get().text == "rien de plus"
    assert Memo.objects.get().body == "Trop court : inclure la phrase d’avant ?"  # back with it


def test_the_keyboard_refines_a_selection_over_accents_and_an_emoji_sequence(workspace):
    page, interview, code = workspace
    select(page, "L’e\u0301te\u0301 je propose un café")
    expect(page.locator("#code-popover")).to_be_visible()
    # Shift+arrows extend what the mouse selected: the space, then the nurse emoji as one glyph.
    for expected in (" ", NURSE):
        page.keyboard.press("Shift+ArrowRight")
        page.wait_for_function("(end) => getSelection().toString().endsWith(end)", arg=expected)
    selected = page.evaluate("() => getSelection().toString()")
    # (Under load the page has been seen to report the selection one step short; what is stored
    # must still be exactly what the page shows as selected when Enter is pressed.)
    assert selected.startswith("L’e\u0301te\u0301 je propose un café")
    page.keyboard.press("Enter")  # applies the highlighted code: the first of the list
    expect(page.locator("#workspace-status")).to_contain_text("Voisinage courtois")
    assert Coding.objects.get().text == selected


def test_a_passage_is_selected_and_coded_with_the_keyboard_alone(workspace):
    page, interview, code = workspace
    # Tab reaches the transcript (from the top of the page, through the links and controls).
    for _ in range(60):
        if page.evaluate("() => document.activeElement.id") == "transcript":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.id") == "transcript"

    # ↓ shows the caret in the first paragraph, then goes paragraph by paragraph.
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    caret = "() => [...(CSS.highlights.get('keyboard-caret') || [])].map(String).join()"
    assert page.evaluate(caret) == "D"  # « Des fois ça prend… », the third paragraph
    # Ctrl+Shift+→ selects word by word.
    for _ in range(3):
        page.keyboard.press("Control+Shift+ArrowRight")
    page.wait_for_function("() => getSelection().toString() === 'Des fois ça'")
    page.keyboard.press("Enter")
    expect(page.locator("#code-popover")).to_be_visible()
    page.keyboard.type("Attente")
    page.keyboard.press("Enter")  # no code is named so: Enter creates it
    expect(page.locator("#workspace-status")).to_contain_text("Attente")
    assert Coding.objects.get(code__name="Attente").text == "Des fois ça"

    # Escape returns to the text, the caret after the passage; the next one is coded the same way.
    page.keyboard.press("Escape")
    assert page.evaluate("() => document.activeElement.id") == "transcript"
    for _ in range(2):
        page.keyboard.press("Control+Shift+ArrowRight")
    page.wait_for_function("() => getSelection().toString() === ' prend des'")
    # Someone else codes that paragraph meanwhile, and the page redraws it: the selection stays.
    sam = make_user("sam", interview.project, Membership.Role.RESEARCHER)
    make_coding(interview, code, sam, *span("semaines"))
    changes = f"/projects/{interview.project_id}/interviews/{interview.pk}/codings/changes/?since=0"
    page.evaluate("(url) => htmx.ajax('GET', url, {target: '#transcript', swap: 'none'})", changes)
    expect(page.locator("#transcript mark", has_text="semaines")).to_have_count(1)
    assert page.evaluate("() => [getSelection().toString(), document.activeElement.id]") == [
        " prend des",
        "transcript",
    ]
    page.keyboard.press("Enter")
    page.keyboard.type("voisin")
    page.keyboard.press("Enter")
    expect(page.locator("#workspace-status")).to_contain_text("Voisinage courtois")
    assert dict(
        Coding.objects.filter(coder__username="rita").values_list("code__name", "text")
    ) == {
        "Attente": "Des fois ça",
        "Voisinage courtois": " prend des",
    }


def test_a_link_with_a_passage_opens_the_interview_lit_on_exactly_that_passage(live_server, log_in):
    project = make_project("Proximité")
    make_user("rita", project, Membership.Role.RESEARCHER)
    # A long transcript, so the passage starts out of sight; an emoji before it shifts UTF-16 units.
    filler = "".join(
        f"Intervieweuse : Question {n} 😊 ?\n\nMartine : Réponse {n}.\n\n" for n in range(80)
    )
    interview = make_interview(project, text=filler + TEXT)
    start = len(filler) + TEXT.index("«\u00a0juste un café\u00a0»")
    end = start + len("«\u00a0juste un café\u00a0»")
    page = log_in("rita")
    page.goto(
        f"{live_server.url}/projects/{project.pk}/interviews/{interview.pk}/?at={start}-{end}"
    )

    lit = page.evaluate(
        """() => {
            const found = CSS.highlights.get("found-passage");
            if (!found) return null;
            const range = [...found][0];
            const box = range.getBoundingClientRect();
            return {text: range.toString(), visible: box.top >= 0 && box.bottom <= innerHeight};
        }"""
    )
    assert lit == {"text": "«\u00a0juste un café\u00a0»", "visible": True}
