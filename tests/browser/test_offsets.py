"""static/coding/offsets.js: browser selections to code-point offsets in the stored text, and back.

The page mimics interview_detail.html: speaker headers outside the text, one <p data-start> per
paragraph, stored text (labels, newlines) hidden between paragraphs.
"""

import html
from pathlib import Path

import pytest

from tests.browser.selection import char_box, drag

pytestmark = [pytest.mark.browser]

OFFSETS_JS = Path(__file__).resolve().parents[2] / "static" / "coding" / "offsets.js"

ZWJ_NURSE = "\U0001f469\u200d\u2695\ufe0f"  # 👩‍⚕️: four code points, five UTF-16 units, one glyph
SMILE = "\U0001f60a"  # 😊: one code point, two UTF-16 units
THUMB = "\U0001f44d\U0001f3fd"  # 👍🏽: thumb and skin tone, two code points

P1 = f"Vous dites «\u00a0ça va\u00a0» ? Et cet e\u0301te\u0301 {SMILE} dernier\u202f?"
P2 = f"Oui {ZWJ_NURSE} l’infirmie\u0300re passe.\r\nLe cafe\u0301 {SMILE}{SMILE} était «\u202fcorrect\u202f»."
P3 = f"Bref\u00a0: c’est la vie\u202f! {THUMB}"
TEXT = f"Intervieweuse : {P1}\n\nMartine : {P2}\n{P3}\n"
PARAGRAPHS = [(TEXT.index(p), p) for p in (P1, P2, P3)]
(S1, _), (S2, _), (S3, _) = PARAGRAPHS
E1, E2, E3 = (start + len(p) for start, p in PARAGRAPHS)


def escape(text: str) -> str:
    # The HTML parser turns a raw CR into LF (same length, other character): a character reference
    # keeps the page's textContent exactly the stored text.
    return html.escape(text).replace("\r", "&#13;")


def paragraph(start: int, text: str, marks=()) -> str:
    """<p data-start>, its text wrapped in <mark> over the (nested, sorted) code point spans `marks`."""
    cuts = sorted({0, len(text), *(i for span in marks for i in span)})
    inner = ""
    for a, b in zip(cuts, cuts[1:], strict=False):
        inner += "</mark>" * sum(end == a for _, end in marks)
        inner += "<mark>" * sum(begin == a for begin, _ in marks)
        inner += escape(text[a:b])
    inner += "</mark>" * sum(end == len(text) for _, end in marks)
    return f'<p data-start="{start}">{inner}</p>'


def page_html(marks=((), (), ())) -> str:
    p1, p2, p3 = (paragraph(s, p, m) for (s, p), m in zip(PARAGRAPHS, marks, strict=True))
    return f"""<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><style>
  body {{ font: 24px/1.6 sans-serif; margin: 2rem; }}
  .speaker {{ user-select: none; font-size: 14px; text-transform: uppercase; }}
  .turn p {{ white-space: pre-wrap; margin: .25rem 0 .6rem; }}
</style></head><body>
<h1 id="title">Entretien 1</h1>
<div class="text">
  <section class="turn"><header class="speaker"><span class="speaker-name">Intervieweuse</span>
  </header>{p1}</section>
  <section class="turn participant"><header class="speaker"><span class="speaker-name">Martine</span>
  </header>{p2}{p3}</section>
</div>
<p id="outside">Hors du texte.</p>
</body></html>"""


PAGE = page_html()
# Codings shown as <mark>, nested too, their edges on emoji, accents and the CR.
MARKED_PAGE = page_html(
    (
        [(P1.index("e\u0301"), P1.index(SMILE) + 1)],
        [(0, 8), (4, 8), (P2.index("infirm"), P2.index("\n")), (P2.index("\r"), P2.index("\n"))],
        [(0, len(P3)), (len(P3) - 2, len(P3) - 1)],
    )
)

# Select [start, end) through rangeToDom and the real Selection, then read it back.
ROUND_TRIP = """([pairs]) => {
  const O = window.VerbatimOffsets, root = document.querySelector(".text"), sel = getSelection();
  return pairs.map(([start, end]) => {
    const range = O.rangeToDom(root, start, end);
    if (!range) return "no range";
    sel.removeAllRanges();
    sel.addRange(range);
    const found = O.selectionToRange(sel, root);
    return found && [found.start, found.end, found.text];
  });
}"""

READ_SELECTION = """() => {
  const found = VerbatimOffsets.selectionToRange(getSelection(), document.querySelector(".text"));
  return found && [found.start, found.end, found.text];
}"""


def open_transcript(page, content: str = PAGE):
    page.set_content(content)
    page.add_script_tag(path=OFFSETS_JS)
    return page


@pytest.fixture
def transcript(page):
    return open_transcript(page)


def selection(page):
    found = page.evaluate(READ_SELECTION)
    return found and tuple(found)


def test_code_points_are_counted_as_python_counts_them(transcript):
    samples = [SMILE, ZWJ_NURSE, THUMB, "e\u0301", "\r\n", "«\u202fa\u00a0»", "", TEXT]
    lengths = transcript.evaluate("(s) => s.map(VerbatimOffsets.codePointLength)", samples)
    assert lengths == [len(s) for s in samples]
    assert lengths[:6] == [1, 4, 2, 2, 2, 5]


def edges(start: int, text: str) -> set[int]:
    """Offsets next to anything a UTF-16 or normalizing count would get wrong, and the paragraph edges."""
    found = {start, start + len(text)}
    for i, char in enumerate(text):
        if ord(char) > 0xFFFF or char in "\u0301\u0300\u200d\ufe0f\r\n\u00a0\u202f«»":
            found |= {start + i, start + i + 1}
    return found


@pytest.mark.parametrize("content", [PAGE, MARKED_PAGE], ids=["plain", "marked"])
def test_ranges_survive_a_round_trip_through_the_selection(page, content):
    transcript = open_transcript(page, content)
    assert content == PAGE or content.count("<mark>") == 7
    paragraphs = transcript.evaluate(
        """() => [...document.querySelectorAll("p[data-start]")].map(
          p => [+p.dataset.start, p.textContent])"""
    )
    assert paragraphs == [[start, text] for start, text in PARAGRAPHS]

    points = sorted(set().union(*(edges(start, text) for start, text in PARAGRAPHS)))
    # Within the visible text, a start is never at a paragraph's end nor an end at one's start.
    pairs = [
        (s, e)
        for s in points
        for e in points
        if s < e and s not in (E1, E2, E3) and e not in (S1, S2, S3)
    ]
    assert len(pairs) > 500

    results = transcript.evaluate(ROUND_TRIP, [pairs])

    for (start, end), found in zip(pairs, results, strict=True):
        pieces = [
            TEXT[max(start, s) : min(end, s + len(p))]
            for s, p in PARAGRAPHS
            if s < end and s + len(p) > start
        ]
        assert found == [start, end, "\n".join(pieces)], (start, end, TEXT[start:end])
        if len(pieces) == 1:
            assert found[2] == TEXT[start:end]


def test_a_range_at_the_edges_of_a_mark_stays_inside_it(page):
    # For rendering: a range over a coding's exact text should not begin or end in its neighbours.
    transcript = open_transcript(page, MARKED_PAGE)
    start, end = S2 + P2.index("infirm"), S2 + P2.index("\r")
    bounds = transcript.evaluate(
        """([start, end]) => {
          const r = VerbatimOffsets.rangeToDom(document.querySelector(".text"), start, end);
          return [r.startContainer.data, r.startOffset, r.endContainer.data, r.endOffset,
                  r.startContainer.parentNode.tagName, r.endContainer.parentNode.tagName];
        }""",
        [start, end],
    )
    piece = TEXT[start:end]
    assert piece == "infirmie\u0300re passe."
    assert bounds == [piece, 0, piece, len(piece), "MARK", "MARK"]


def round_trips(transcript, bias: str) -> tuple[list[int], list[int | None]]:
    """Every paragraph edge, and where it comes back after offsetToDom then pointToOffset."""
    points = sorted(set().union(*(edges(start, text) for start, text in PARAGRAPHS)))
    back = transcript.evaluate(
        """([points, bias]) => points.map(k => {
          const root = document.querySelector(".text");
          const at = VerbatimOffsets.offsetToDom(root, k, bias);
          return at && VerbatimOffsets.pointToOffset(at[0], at[1], bias, root);
        })""",
        [points, bias],
    )
    return points, back


def test_a_caret_offset_round_trips_through_a_dom_point(page):
    """offsetToDom (the keyboard caret kept across a redraw) is pointToOffset's inverse."""
    transcript = open_transcript(page, MARKED_PAGE)
    points, back = round_trips(transcript, "start")
    inside = [k for k in points if k not in (E1, E2, E3)]  # a start at a paragraph's end moves on
    assert [found for k, found in zip(points, back, strict=True) if k in inside] == inside
    assert (
        transcript.evaluate(
            "(k) => VerbatimOffsets.offsetToDom(document.querySelector('.text'), k, 'start')",
            S1 - 3,
        )
        is None
    )  # in the hidden speaker label


def test_a_caret_stays_on_its_line_through_a_dom_point_and_back(page):
    """bias "caret" (the keyboard caret kept across a redraw, Alt+L's caret): every point round-trips,
    a paragraph's end included, where a start would move on to the next paragraph."""
    transcript = open_transcript(page, MARKED_PAGE)
    points, back = round_trips(transcript, "caret")
    assert {E1, E2, E3} <= set(points)
    assert back == points


def test_a_caret_outside_the_text_snaps_to_the_next_paragraph_or_the_last_end(transcript):
    caret = """([selector, i]) => VerbatimOffsets.pointToOffset(
      document.querySelectorAll(selector)[i].firstChild, 1, "caret", document.querySelector(".text"))"""
    assert transcript.evaluate(caret, [HEADER, 1]) == S2  # on "Martine": her turn
    assert transcript.evaluate(caret, ["#outside", 0]) == E3  # after the text: its end
    assert transcript.evaluate(caret, ["#title", 0]) == S1


def test_hidden_text_at_the_edges_of_a_range_snaps_to_visible_text(transcript):
    label = TEXT.index("Martine : ")
    results = transcript.evaluate(
        ROUND_TRIP,
        [[(E1, S2 + 3), (label, E2), (S1 - 5, E1 + 2), (S2 + 1, S3), (E1, S2), (label, label + 4)]],
    )
    assert results[0] == [S2, S2 + 3, P2[:3]]
    assert results[1] == [S2, E2, P2]
    assert results[2] == [S1, E1, P1]
    assert results[3] == [S2 + 1, E2, P2[1:]]
    # Nothing visible between the end of one paragraph and the start of the next, nor in a label.
    assert results[4:] == ["no range", "no range"]


def shown(page) -> str:
    return page.evaluate("() => getSelection().toString()")


def test_a_mouse_drag_across_a_word_with_a_combining_accent(transcript):
    word = "infirmie\u0300re"  # 11 code points: the grave accent is one of its own
    start = TEXT.index(word)
    drag(transcript, start, start + len(word))

    assert shown(transcript) == word
    assert selection(transcript) == (start, start + 11, word)


def test_a_double_click_selects_a_word_of_decomposed_accents(transcript):
    word = "e\u0301te\u0301"
    start = TEXT.index(word)
    box = char_box(transcript, start + 2)
    transcript.mouse.dblclick(box["left"] + 1, box["y"])

    # Chromium may take the space after the word too: the offsets follow what is selected.
    selected = shown(transcript)
    assert selected.rstrip() == word
    assert selection(transcript) == (start, start + len(selected), selected)


def test_a_triple_click_takes_the_paragraph_without_the_hidden_label_after_it(transcript):
    box = char_box(transcript, S1 + 4)
    transcript.mouse.click(box["left"] + 2, box["y"], click_count=3)

    # Chromium ends this selection at the start of the next paragraph; that is the end of this one.
    assert selection(transcript) == (S1, E1, P1)


def test_a_drag_from_the_title_or_into_the_margin_keeps_only_the_transcript(transcript):
    title = transcript.locator("#title").bounding_box()
    box = char_box(transcript, S1 + 4)
    transcript.mouse.move(title["x"] + 10, title["y"] + title["height"] / 2)
    transcript.mouse.down()
    transcript.mouse.move(box["right"] - 2, box["y"], steps=5)
    transcript.mouse.up()
    assert selection(transcript) == (S1, S1 + 5, P1[:5])

    box = char_box(transcript, S3 + 5)
    below = transcript.locator("#outside").bounding_box()
    transcript.mouse.move(box["left"] + 2, box["y"])
    transcript.mouse.down()
    transcript.mouse.move(below["x"] + 5, below["y"] + 5, steps=5)
    transcript.mouse.up()
    assert selection(transcript) == (S3 + 5, E3, P3[5:])


def test_shift_click_extends_a_selection_over_guillemets_and_no_break_spaces(transcript):
    quoted = "«\u202fcorrect\u202f»"
    start = TEXT.index(quoted)
    first, last = char_box(transcript, start), char_box(transcript, start + len(quoted) - 1)
    transcript.mouse.click(first["left"] + 1, first["y"])
    transcript.keyboard.down("Shift")
    transcript.mouse.click(last["right"] - 1, last["y"])
    transcript.keyboard.up("Shift")

    assert selection(transcript) == (start, start + len(quoted), quoted)


# Outside editable content Chromium has no caret to extend (without caret browsing): the keyboard
# extends a selection made with the mouse.
def test_shift_arrow_counts_an_emoji_as_one_code_point(transcript):
    start = TEXT.index(f"cafe\u0301 {SMILE}")
    emoji = start + 6
    drag(transcript, start, emoji)
    assert selection(transcript) == (start, emoji, "cafe\u0301 ")

    transcript.keyboard.press("Shift+ArrowRight")
    assert selection(transcript) == (start, emoji + 1, TEXT[start : emoji + 1])
    transcript.keyboard.press("Shift+ArrowRight")
    assert selection(transcript) == (start, emoji + 2, f"cafe\u0301 {SMILE}{SMILE}")
    transcript.keyboard.press("Shift+ArrowLeft")
    transcript.keyboard.press("Shift+ArrowLeft")
    transcript.keyboard.press("Shift+ArrowLeft")
    assert selection(transcript) == (start, emoji - 1, "cafe\u0301")


def test_shift_arrow_takes_a_zwj_sequence_whole(transcript):
    drag(transcript, S2, S2 + 4)
    assert selection(transcript) == (S2, S2 + 4, "Oui ")
    transcript.keyboard.press("Shift+ArrowRight")

    assert selection(transcript) == (S2, S2 + 8, f"Oui {ZWJ_NURSE}")


SELECT = f"""([[a, i, aOffset], [b, j, bOffset]]) => {{
  const text = (selector, i) => document.querySelectorAll(selector)[i].firstChild;
  getSelection().setBaseAndExtent(text(a, i), aOffset, text(b, j), bOffset);
  return ({READ_SELECTION})();
}}"""


def select(page, anchor: tuple[str, int, int], focus: tuple[str, int, int]):
    """Select from `anchor` to `focus`, each (selector, index, offset in its first text node)."""
    found = page.evaluate(SELECT, [anchor, focus])
    return found and tuple(found)


def utf16(text: str, index: int) -> int:
    """The DOM's offset for code point `index` of `text`."""
    return len(text[:index].encode("utf-16-le")) // 2


P = "p[data-start]"
HEADER = ".speaker-name"


def test_a_selection_starting_in_a_speaker_header_starts_at_the_next_paragraph(transcript):
    after_nurse = utf16(P2, 8)
    assert select(transcript, (HEADER, 1, 2), (P, 1, after_nurse)) == (S2, S2 + 8, P2[:8])
    # Backwards, from the paragraph up into the header: the same.
    assert select(transcript, (P, 1, after_nurse), (HEADER, 1, 2)) == (S2, S2 + 8, P2[:8])


def test_a_selection_ending_in_a_speaker_header_ends_with_the_previous_paragraph(transcript):
    assert select(transcript, ("#title", 0, 3), (HEADER, 1, 4)) == (S1, E1, P1)


def test_a_selection_starting_at_the_very_end_of_a_paragraph_starts_at_the_next(transcript):
    assert select(transcript, (P, 0, utf16(P1, len(P1))), (P, 1, 3)) == (S2, S2 + 3, P2[:3])


def test_a_point_between_the_halves_of_a_surrogate_pair_takes_the_whole_emoji(transcript):
    smile = P1.index(SMILE)
    between = utf16(P1, smile) + 1
    assert P1[smile : smile + 2] == f"{SMILE} "

    found = select(transcript, (P, 0, between), (P, 0, between + 2))
    assert found == (S1 + smile, S1 + smile + 2, f"{SMILE} ")
    found = select(transcript, (P, 0, 0), (P, 0, between))
    assert found == (S1, S1 + smile + 1, P1[: smile + 1])


def test_empty_collapsed_or_outside_selections_give_null(transcript):
    assert selection(transcript) is None  # nothing selected yet
    assert select(transcript, (P, 0, 3), (P, 0, 3)) is None
    assert select(transcript, ("#title", 0, 0), ("#title", 0, 5)) is None
    assert select(transcript, ("#outside", 0, 0), ("#outside", 0, 4)) is None
    assert select(transcript, (HEADER, 0, 1), (HEADER, 0, 6)) is None
    # Only hidden text: from the end of a paragraph to the start of the next.
    assert select(transcript, (P, 0, utf16(P1, len(P1))), (P, 1, 0)) is None
    transcript.evaluate("() => getSelection().removeAllRanges()")
    assert selection(transcript) is None

    whole = select(transcript, ("#title", 0, 1), ("#outside", 0, 2))
    assert whole == (S1, E3, "\n".join([P1, P2, P3]))
