"""coding.highlights: paragraphs as HTML whose text is exactly the stored text, codings as marks."""

import re
from html import unescape

from coding.highlights import Span, paragraph_html, paragraphs_html
from interviews.transcripts import Paragraph


def text_of(html: str) -> str:
    return unescape(re.sub(r"<[^>]+>", "", html))


def marks(html: str) -> list[tuple[str, str]]:
    """(coding ids, text) of each mark."""
    return [
        (ids, unescape(t))
        for ids, t in re.findall(r'data-codings="([^"]*)"[^>]*>(.*?)</mark>', html)
    ]


def test_a_paragraph_without_codings_is_its_escaped_text():
    html = paragraph_html(10, "Un <b>café</b> & «\u00a0rien\u00a0»", [])
    assert (
        html
        == '<p id="p-10" data-start="10">Un &lt;b&gt;café&lt;/b&gt; &amp; «\u00a0rien\u00a0»</p>'
    )


def test_a_carriage_return_stays_a_carriage_return():
    html = paragraph_html(0, "ligne\r", [Span(1, 7, 0, 6)])
    assert "&#13;" in html and "\r" not in html
    assert text_of(html) == "ligne\r"


def test_overlapping_codings_split_the_text_and_each_piece_names_its_codes_and_coders():
    text = "Je m'assois pas loin, sur le même banc."
    a = Span(1, 7, 0, 20, coder_id=3, code_name="Voisinage", coder_name="Rita")
    b = Span(2, 8, 10, 30, coder_id=4, code_name="Attente <longue>", coder_name="Sam")
    html = paragraph_html(0, text, [b, a])
    assert marks(html) == [("1", text[0:10]), ("1 2", text[10:20]), ("2", text[20:30])]
    assert text_of(html) == text
    shared = re.search(r'<mark ([^>]*data-codings="1 2"[^>]*)>', html)[1]
    assert 'class="coded c-7 overlap"' in shared
    assert 'data-codes="7 8"' in shared and 'data-coders="3 4"' in shared
    assert 'title="Voisinage — Rita\nAttente &lt;longue&gt; — Sam"' in shared


def test_highlights_carry_no_style_attribute():
    # The Content-Security-Policy refuses inline styles: colours come from classes.
    html = paragraph_html(0, "abcdefghij", [Span(1, 7, 0, 3), Span(2, 7, 2, 8)])
    assert "style=" not in html


def test_a_coding_beyond_the_paragraph_is_clipped_to_it():
    html = paragraph_html(100, "abcdef", [Span(1, 7, 50, 103), Span(2, 7, 104, 200)])
    assert marks(html) == [("1", "abc"), ("2", "ef")]


def test_paragraphs_receive_only_the_codings_that_reach_them():
    paragraphs = [Paragraph(0, "premier"), Paragraph(10, "deuxième"), Paragraph(30, "troisième")]
    spans = [Span(1, 7, 3, 12), Span(2, 7, 31, 33)]
    first, second, third = paragraphs_html(paragraphs, spans)
    assert marks(first) == [("1", "mier")]
    assert marks(second) == [("1", "de")]
    assert marks(third) == [("2", "ro")]


def test_a_transcript_drawn_again_rebuilds_only_the_paragraphs_whose_codings_changed(monkeypatch):
    from coding import highlights

    highlights._kept.clear()
    paragraphs = [Paragraph(0, "premier"), Paragraph(10, "deuxième"), Paragraph(30, "troisième")]
    spans = [Span(1, 7, 3, 12, 4, "Voisinage", "Rita"), Span(2, 7, 31, 33, 4, "Voisinage", "Rita")]
    built = []
    real = highlights.paragraph_html

    def counted(start, text, spans, *, oob=False):
        built.append(start)
        return real(start, text, spans, oob=oob)

    monkeypatch.setattr(highlights, "paragraph_html", counted)
    first = paragraphs_html(paragraphs, spans)
    assert built == [0, 10, 30]
    # The same codings in another order (rows come in none): nothing rebuilt, the same HTML.
    assert paragraphs_html(paragraphs, spans[::-1]) == first and built == [0, 10, 30]
    # The third paragraph's coding renamed, one added in the second: those two are rebuilt.
    changed = [
        spans[0],
        Span(3, 8, 16, 18, 5, "Courtois", "Sam"),
        Span(2, 7, 31, 33, 4, "Banc", "Rita"),
    ]
    again = paragraphs_html(paragraphs, changed)
    assert built == [0, 10, 30, 10, 30]
    assert again == [real(p.start, p.text, changed) for p in paragraphs]
    assert again[0] == first[0] and "Banc — Rita" in again[2] and marks(again[1])[-1] == ("3", "me")
    # Out of band is another paragraph's HTML.
    assert paragraphs_html(paragraphs[:1], spans, oob=True)[0] != first[0]
