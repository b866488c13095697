"""Positions written in each tool's unit come back as exact code point ranges of the text.

The raw numbers are computed here from the text by plain string arithmetic (UTF-16 length, CRLF
replaced by LF, a BOM prepended), independently of exchange.refi.positions.
"""

import pytest

from exchange.refi import Unit, read_project
from exchange.refi.positions import Mapper, candidates, clean_boundary

from .builders import one_source, selection_xml

# Emoji (one astral, one with a skin-tone modifier: two astral code points), a letter with a
# combining accent, no-break spaces before the colons, « guillemets », CRLF line endings.
TEXT = (
    "Élise\u00a0: « Je t’aime 😀 le café du matin »\r\n"
    "Rene\u0301 répond\u00a0: « non 👍🏽, jamais le soir ! »\r\n"
    "Fin de l’entretien."
)
PASSAGES = [
    "t’aime 😀 le café",
    "Rene\u0301 répond",
    "non 👍🏽, jamais le soir",
    "Fin de l’entretien",
]
GUIDS = [f"0000000{i}-0000-4000-8000-00000000000{i}" for i in range(1, 5)]


def ranges(text=TEXT):
    return [(text.index(p), text.index(p) + len(p)) for p in PASSAGES]


def utf16(text, k):
    return len(text[:k].encode("utf-16-le")) // 2


def crlf_as_one(text, k):
    return len(text[:k].replace("\r\n", "\n"))


UNITS = {
    # the standard: code points of the file's text
    "codepoint": (lambda k: k, b"", Unit()),
    # NVivo for Windows: UTF-16 code units, CRLF as two, BOM in the file but not counted
    "nvivo": (lambda k: utf16(TEXT, k), b"\xef\xbb\xbf", Unit("utf16", "as_stored")),
    # ATLAS.ti: CRLF in the file, counted as one
    "atlas": (lambda k: crlf_as_one(TEXT, k), b"", Unit("codepoint", "one")),
    # UTF-16 with the BOM counted as the first unit
    "utf16+bom": (lambda k: 1 + utf16(TEXT, k), b"\xef\xbb\xbf", Unit("utf16", "as_stored", True)),
}


@pytest.mark.parametrize("unit", UNITS)
def test_each_unit_comes_back_as_code_points(unit):
    convert, bom, expected_unit = UNITS[unit]
    selections = "".join(
        selection_xml(convert(start), convert(end), guid=guid)
        for (start, end), guid in zip(ranges(), GUIDS, strict=True)
    )
    project = read_project(one_source(bom + TEXT.encode("utf-8"), selections, origin="Unknown"))
    (source,) = project.sources
    assert source.text == TEXT
    assert source.alignment.unit == expected_unit
    assert [(s.start, s.end) for s in source.selections] == ranges()
    assert [TEXT[s.start : s.end] for s in source.selections] == PASSAGES
    assert project.loss("unaligned_selection") == 0


def test_lf_text_counted_with_two_character_line_breaks():
    text = TEXT.replace("\r\n", "\n")

    def two(k):
        return len(text[:k].replace("\n", "\r\n"))

    selections = "".join(
        selection_xml(two(start), two(end), guid=guid)
        for (start, end), guid in zip(ranges(text), GUIDS, strict=True)
    )
    project = read_project(one_source(text, selections, origin="Unknown"))
    (source,) = project.sources
    assert source.alignment.unit == Unit("codepoint", "two")
    assert [(s.start, s.end) for s in source.selections] == ranges(text)


def test_origin_breaks_a_tie_but_never_overrules_the_evidence():
    # One selection before any emoji or line break: every unit reads it the same.
    selections = selection_xml(0, 5, guid=GUIDS[0])
    nvivo = read_project(one_source(TEXT, selections, origin="NVivo for Windows 12.6"))
    assert nvivo.sources[0].alignment.unit == Unit("utf16", "as_stored")
    assert (nvivo.sources[0].selections[0].start, nvivo.sources[0].selections[0].end) == (0, 5)
    # Code points written by a tool that claims to be NVivo: the selections decide.
    standard = "".join(
        selection_xml(start, end, guid=guid)
        for (start, end), guid in zip(ranges(), GUIDS, strict=True)
    )
    project = read_project(one_source(TEXT, standard, origin="NVivo for Windows 12.6"))
    assert project.sources[0].alignment.unit == Unit()
    assert [(s.start, s.end) for s in project.sources[0].selections] == ranges()


def test_atlas_quotation_names_confirm_the_unit():
    # ATLAS.ti names a quotation after its text (cut with an ellipsis).
    start, end = ranges()[3]
    name = "Fin de l’entre…"
    selections = selection_xml(crlf_as_one(TEXT, start), crlf_as_one(TEXT, end), name=name)
    project = read_project(one_source(TEXT, selections, origin="ATLAS.ti 9.1"))
    (source,) = project.sources
    assert source.alignment.unit == Unit("codepoint", "one")
    assert source.alignment.name_matches == 1
    assert TEXT[source.selections[0].start : source.selections[0].end] == PASSAGES[3]


def test_a_selection_outside_the_text_is_reported_not_moved():
    inside = [selection_xml(s, e, guid=g) for (s, e), g in zip(ranges(), GUIDS, strict=True)]
    outside = selection_xml(
        len(TEXT) + 50, len(TEXT) + 60, guid="dead0000-0000-4000-8000-000000000000"
    )
    backwards = selection_xml(20, 10, guid="beef0000-0000-4000-8000-000000000000")
    project = read_project(one_source(TEXT, "".join(inside) + outside + backwards))
    (source,) = project.sources
    assert [(s.start, s.end) for s in source.selections] == ranges()
    lost = [loss for loss in project.losses if loss.kind == "unaligned_selection"]
    assert len(lost) == 2
    assert "dead0000-0000-4000-8000-000000000000" in lost[0].detail
    assert f"{len(TEXT) + 50}–{len(TEXT) + 60}" in lost[0].detail
    assert "“Interview”" in lost[0].detail
    assert "beef0000" in lost[1].detail


def test_half_an_emoji_is_not_a_position_in_utf16():
    mapper = Mapper("a😀b", Unit("utf16", "as_stored"))
    assert [mapper.codepoint(u) for u in range(5)] == [0, 1, None, 2, 3]
    assert [mapper.units(k) for k in range(4)] == [0, 1, 3, 4]


def test_crlf_counted_as_one_maps_past_the_line_break():
    mapper = Mapper("ab\r\ncd", Unit("codepoint", "one"))
    assert [mapper.codepoint(u) for u in range(7)] == [0, 1, 2, 4, 5, 6, None]


def test_boundaries_that_split_what_a_person_keeps_together():
    assert not clean_boundary("Rene\u0301", 4)  # the accent from its letter
    assert not clean_boundary("ab\r\ncd", 3)  # a CRLF in two
    assert not clean_boundary("matin", 2)
    assert clean_boundary("« non", 1) and clean_boundary("a\u00a0:", 1)


def test_only_units_that_differ_on_this_text_are_tried():
    assert candidates("plain text", bom_present=False) == [Unit()]
    assert len(candidates(TEXT, bom_present=True)) == 2 * 2 * 2  # astral × CRLF/one × BOM


def test_selections_that_split_words_in_every_unit_are_flagged():
    text = "Nous avons parlé de la confiance envers les médecins et les infirmières."
    splits = [(1, 6), (13, 19), (25, 33), (40, 52), (57, 66)]  # every one cuts words in two
    selections = "".join(
        selection_xml(s, e, guid=f"0000000{i}-0000-4000-8000-00000000000{i}")
        for i, (s, e) in enumerate(splits, start=1)
    )
    project = read_project(one_source(text, selections))
    assert [(s.start, s.end) for s in project.sources[0].selections] == splits  # kept as written
    (loss,) = [loss for loss in project.losses if loss.kind == "uncertain_alignment"]
    assert "word boundaries" in loss.detail and loss.count == 5


@pytest.mark.parametrize("seed", range(5))
def test_the_way_back_from_units_is_exact(seed):
    """Mapper.codepoint inverts Mapper.units: each unit position names the last code point index
    counted there, and a position inside a character (or past the end) names none."""
    import random

    rng = random.Random(seed)
    for _ in range(40):
        text = "".join(rng.choice(["a", "😀", "\r\n", "\n", "\r", "é", " "]) for _ in range(30))
        for unit in [
            Unit(c, b, m)
            for c in ("codepoint", "utf16")
            for b in ("as_stored", "one", "two")
            for m in (False, True)
        ]:
            mapper = Mapper(text, unit, bom_present=unit.bom_counted)
            last = {mapper.units(k): k for k in range(len(text) + 1)}
            for u in range(mapper.units(len(text)) + 3):
                expected = 0 if u < mapper.offset else last.get(u)
                assert mapper.codepoint(u) == expected, (text, unit, u)
