"""Step 1 of an import, without the database: line endings and positions, names Verbatim can
store, variables as typed attributes, and a plan kept as JSON until the admin confirms."""

import datetime as dt
import io
import random
from decimal import Decimal

import pytest

from exchange import descriptions, plans, refi
from exchange.plans import normalise, stored_passage
from interviews.models import Attribute

from .builders import CODE, SOURCE, USER, code_xml, one_source, project_xml, qdpx, selection_xml

LIMITS = refi.Limits()
OTHER = "18cbced0-d736-44c8-8fd6-eb4d29fe46c5"


def parse(archive) -> plans.Plan:
    return plans.parse(archive, plans.PROJECT, file_name="test.qdpx", limits=LIMITS)


@pytest.mark.parametrize("seed", range(20))
def test_every_passage_reads_the_same_once_stored(seed):
    """Random texts of CRLF, lone CR, LF and NUL: every [start, end) of the original, carried
    through the offset map, is the same passage in the stored text."""
    rng = random.Random(seed)
    pieces = ["a", "é", "😀", " ", "\r\n", "\r", "\n", "\x00", "mot"]
    text = "".join(rng.choice(pieces) for _ in range(60))
    stored, offsets = normalise(text)
    assert "\r" not in stored and "\x00" not in stored
    for start in range(len(text) + 1):
        for end in range(start + 1, len(text) + 1):
            a, b = offsets.start(start), offsets.end(end)
            if b > a:
                assert stored[a:b] == stored_passage(text[start:end]), (start, end)
            else:
                assert stored_passage(text[start:end]) == ""


def test_a_text_without_cr_or_nul_is_stored_unchanged():
    text = "Ligne un\nLigne deux 😀\u00a0e\u0301"
    stored, offsets = normalise(text)
    assert stored == text
    assert [offsets.start(k) for k in range(len(text) + 1)] == list(range(len(text) + 1))


def test_crlf_positions_move_back_by_the_line_breaks_before_them():
    plan = parse(one_source("Un\r\ndeux\r\ntrois", selection_xml(4, 8)))
    (source,) = plan.sources
    assert source.interview.text == "Un\ndeux\ntrois"
    (selection,) = source.selections
    assert source.interview.text[selection.start : selection.end] == "deux"
    assert "line_endings" in {n.kind for n in plan.notices}


def test_half_a_crlf_is_the_line_break():
    stored, offsets = normalise("Un\r\ndeux")
    assert stored[offsets.start(2) : offsets.end(3)] == "\n"  # the CR
    assert stored[offsets.start(3) : offsets.end(4)] == "\n"  # the LF
    assert stored[offsets.start(0) : offsets.end(3)] == "Un\n"  # up to the CR: the line break


def test_a_selection_of_nothing_but_nul_is_listed_not_stored():
    plan = parse(one_source("Un\x00deux", selection_xml(2, 3)))
    assert plan.sources[0].selections == []
    notice = next(n for n in plan.notices if n.kind == "empty_selection")
    assert notice.count == 1


def test_nul_characters_are_dropped_and_positions_follow():
    plan = parse(one_source("A\x00 mot", selection_xml(3, 6)))
    source = plan.sources[0]
    assert source.interview.text == "A mot"
    selection = source.selections[0]
    assert source.interview.text[selection.start : selection.end] == "mot"
    assert any(n.kind == "nul_removed" for n in plan.notices)


def test_two_sources_of_one_text_become_one_interview_with_both_codings():
    other = "b2b94468-80a5-412f-92d6-e900d97b55a6"
    body = (
        code_xml()
        + f'<Sources><TextSource guid="{SOURCE}" name="A" plainTextPath="internal://{SOURCE}.txt">'
        + selection_xml(0, 3)
        + f'</TextSource><TextSource guid="{other}" name="B" plainTextPath="internal://{other}.txt">'
        + selection_xml(4, 8, guid=OTHER)
        + "</TextSource></Sources>"
    )
    files = {f"sources/{SOURCE}.txt": b"Les gens", f"sources/{other}.txt": b"Les gens"}
    plan = parse(qdpx(project_xml(body), files))
    (source,) = plan.sources
    assert source.merged == ["B"] and len(source.selections) == 2
    assert plans.Plan.selections(plan) == 2


def test_sibling_codes_of_the_same_name_are_renamed():
    twin = "3dfba8c9-59f5-4424-99d6-ea9bce18134b"
    body = (
        f'<CodeBook><Codes><Code guid="{CODE}" name="Trust" isCodable="true"/>'
        f'<Code guid="{twin}" name="trust " isCodable="false"/></Codes></CodeBook>'
    )
    plan = parse(qdpx(project_xml(body)))
    assert [c.name for c in plan.project.codes] == ["Trust", "trust (2)"]
    kinds = {n.kind for n in plan.notices}
    assert {"renamed_code", "category"} <= kinds


def test_variables_become_typed_attributes():
    guids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(10)]
    variables = (
        "<Variables>"
        f'<Variable guid="{guids[0]}" name="Âge" typeOfVariable="Integer"/>'
        f'<Variable guid="{guids[1]}" name="Poids" typeOfVariable="Float"/>'
        f'<Variable guid="{guids[2]}" name="Marié" typeOfVariable="Boolean"/>'
        f'<Variable guid="{guids[3]}" name="Né" typeOfVariable="Date"/>'
        f'<Variable guid="{guids[4]}" name="Vu" typeOfVariable="DateTime"/>'
        f'<Variable guid="{guids[5]}" name="Milieu" typeOfVariable="Text">'
        "<Description>Choices: Rue | Site fixe</Description></Variable>"
        f'<Variable guid="{guids[6]}" name="Rôle" typeOfVariable="Text"/>'
        f'<Variable guid="{guids[7]}" name="Énorme" typeOfVariable="Integer"/>'
        "</Variables>"
    )

    def value(i, element, text):
        return (
            f'<VariableValue><VariableRef targetGUID="{guids[i]}"/><{element}>{text}</{element}>'
            "</VariableValue>"
        )

    case = (
        f'<Cases><Case guid="{guids[8]}" name="Martine">'
        + value(0, "IntegerValue", "42")
        + value(1, "FloatValue", "72.123456")
        + value(2, "BooleanValue", "true")
        + value(3, "DateValue", "1982-05-17")
        + value(4, "DateTimeValue", "2024-03-01T09:30:00Z")
        + value(5, "TextValue", "Rue")
        + value(6, "TextValue", "Intervenante")
        + value(7, "IntegerValue", "123456789012345")
        + f'<SourceRef targetGUID="{SOURCE}"/></Case></Cases>'
    )
    source = (
        f'<Sources><TextSource guid="{SOURCE}" name="Entretien">'
        "<PlainTextContent>Bonjour.</PlainTextContent>"
        + value(6, "TextValue", "Paire aidante")  # the source's own value wins over its case's
        + "</TextSource></Sources>"
    )
    plan = parse(qdpx(project_xml(variables + case + source)))
    types = {a.name: (a.type, a.choices) for a in plan.attributes}
    yes, no = plans._choices(refi.Variable(guids[2], "Marié", "Boolean"), [])
    assert types == {
        "Âge": (Attribute.Type.NUMBER, []),
        "Poids": (Attribute.Type.NUMBER, []),
        "Marié": (Attribute.Type.CHOICE, [yes, no]),
        "Né": (Attribute.Type.DATE, []),
        "Vu": (Attribute.Type.DATE, []),
        "Milieu": (Attribute.Type.CHOICE, ["Rue", "Site fixe"]),
        "Rôle": (Attribute.Type.TEXT, []),
        "Énorme": (Attribute.Type.TEXT, []),
    }
    interview = plan.sources[0].interview
    assert interview.participant == "Martine"
    assert interview.values == {
        "Âge": "42",
        "Poids": "72.1235",
        "Marié": yes,
        "Né": "1982-05-17",
        "Vu": "2024-03-01",
        "Milieu": "Rue",
        "Rôle": "Paire aidante",
        "Énorme": "123456789012345",
    }
    kinds = {n.kind for n in plan.notices}
    assert {"number_rounded", "number_as_text", "datetime_as_date"} <= kinds


def test_without_cases_the_participant_is_the_speaker_the_text_suggests():
    text = "Intervieweuse : Bonjour.\nMartine : Bonjour.\nIntervieweuse : Alors ?\nMartine : Bon."
    plan = parse(one_source(text))
    interview = plan.sources[0].interview
    assert interview.participant == "Martine"
    assert {s.label for s in interview.speakers} == {"Intervieweuse", "Martine"}


def test_codings_without_a_known_user_are_counted():
    unknown = selection_xml(0, 3).replace(USER, "99999999-0000-4000-8000-000000000000")
    plan = parse(one_source("Les gens", unknown))
    assert next(n.count for n in plan.notices if n.kind == "unknown_coder") == 1


def test_a_plan_survives_its_stay_in_the_database():
    text = "Intervieweuse : Et ?\r\nMartine : Café 😀.\r\nIntervieweuse : Oui.\r\nMartine : Non."
    plan = parse(one_source(text, selection_xml(24, 30)))
    plan.project.cases.append(
        refi.Case(
            "11111111-0000-4000-8000-000000000000",
            "Martine",
            variable_values=[
                refi.VariableValue("a", Decimal("1.5")),
                refi.VariableValue("b", dt.date(2020, 1, 2)),
                refi.VariableValue("c", dt.datetime(2020, 1, 2, 3, 4, tzinfo=dt.UTC)),
                refi.VariableValue("d", True),
            ],
        )
    )
    again = plans.load(plans.dump(plan))
    assert again == plan
    assert again.sources[0].alignment.unit == plan.sources[0].alignment.unit


def test_a_codebook_plan_holds_codes_only():
    qdc = (
        '<?xml version="1.0" encoding="utf-8"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0">'
        f'<Codes><Code guid="{CODE}" name="Trust" isCodable="true" color="#ABC"/></Codes>'
        "</CodeBook>"
    )
    plan = plans.parse(io.BytesIO(qdc.encode()), plans.CODEBOOK, file_name="c.qdc", limits=LIMITS)
    assert plan.sources == [] and [c.color for c in plan.project.codes] == ["#aabbcc"]


@pytest.mark.parametrize(
    ("definition", "inclusion", "exclusion"),
    [
        ("Une définition.", "Quand c'est dit.", "Quand c'est fait."),
        ("", "Seulement la règle.", ""),
        ("Deux paragraphes.\n\nLe second.", "", "Jamais ici."),
        ("", "", ""),
    ],
)
def test_a_definition_and_its_rules_come_back_apart(definition, inclusion, exclusion):
    joined = descriptions.join(definition, inclusion, exclusion)
    assert descriptions.split(joined) == (definition, inclusion, exclusion)


def test_french_headings_are_read_too():
    text = "Définition.\n\nQuand l’utiliser :\nIci.\n\nQuand ne pas l'utiliser :\nLà."
    assert descriptions.split(text) == ("Définition.", "Ici.", "Là.")


def test_a_draft_altered_to_run_something_else_is_refused():
    import pickle
    import subprocess
    import zlib

    class Evil:
        def __reduce__(self):
            return (subprocess.call, (["true"],))

    with pytest.raises(pickle.UnpicklingError, match="not part of an import plan"):
        plans.load(zlib.compress(pickle.dumps(Evil())))
