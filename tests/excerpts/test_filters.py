"""coding.excerpts.Filters: each filter, their combinations, and what bad input gets."""

from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import parse_qsl

import pytest
from django.http import QueryDict
from django.utils import timezone

from coding.models import Coding, Memo
from excerpts import queries
from excerpts.filters import read_filters
from interviews.models import Attribute, AttributeValue, Speaker
from tests.factories import TRANSCRIPT, make_code, make_coding, make_interview

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def span(text: str, words: str) -> tuple[int, int]:
    start = text.index(words)
    return start, start + len(words)


@pytest.fixture
def codes(project):
    lien = make_code(project, "Lien")
    return {
        "lien": lien,
        "banc": make_code(project, "Banc", parent=lien),
        "cafe": make_code(project, "Café"),
    }


@pytest.fixture
def second(project):
    return make_interview(project, TRANSCRIPT.replace("café", "thé"), title="Entretien 2")


@pytest.fixture
def codings(interview, second, codes, rita, sam):
    """Named codings: on the same bench passage, lien and banc overlap; café is alone further on."""
    text = interview.text
    for speaker in Speaker.objects.filter(label="Martine"):
        speaker.role = Speaker.Role.PARTICIPANT
        speaker.save(update_fields=["role"])
    Speaker.objects.filter(label="Intervieweuse").update(role=Speaker.Role.INTERVIEWER)
    return {
        "lien": make_coding(
            interview, codes["lien"], rita, *span(text, "Je m'assois pas loin, sur le même")
        ),
        "banc": make_coding(interview, codes["banc"], sam, *span(text, "sur le même banc")),
        "cafe": make_coding(interview, codes["cafe"], rita, *span(text, "un café")),
        "question": make_coding(interview, codes["lien"], sam, *span(text, "Comment est-ce")),
        "second": make_coding(second, codes["cafe"], sam, *span(second.text, "un thé")),
    }


def pks(project, query: str, user=None) -> set[int]:
    filters = read_filters(project, QueryDict(query), user=user)
    assert filters.is_valid(), filters.errors
    return set(queries.codings(filters).values_list("pk", flat=True))


def errors(project, query: str, user=None) -> list[str]:
    filters = read_filters(project, QueryDict(query), user=user)
    assert not filters.is_valid()
    return filters.errors


def named(codings, *names) -> set[int]:
    return {codings[name].pk for name in names}


# Codes


def test_without_filters_every_coding_of_the_project_comes_and_no_other(
    project, codings, other_project, olga
):
    foreign = make_interview(other_project, title="Ailleurs")
    make_coding(foreign, make_code(other_project, "Autre"), olga, 0, 10)
    assert pks(project, "") == named(codings, *codings)


def test_a_code_gives_its_codings(project, codes, codings):
    assert pks(project, f"code={codes['cafe'].pk}") == named(codings, "cafe", "second")


def test_several_codes_give_the_codings_of_any_of_them_by_default(project, codes, codings):
    query = f"code={codes['cafe'].pk}&code={codes['banc'].pk}"
    assert pks(project, query) == named(codings, "cafe", "second", "banc")
    assert pks(project, query + "&match=any") == pks(project, query)


def test_match_all_gives_the_overlapping_codings_of_every_listed_code(project, codes, codings):
    query = f"code={codes['lien'].pk}&code={codes['banc'].pk}&match=all"
    # The question coded "lien" overlaps no "banc" coding: left out.
    assert pks(project, query) == named(codings, "lien", "banc")


def test_match_all_with_codes_that_never_meet_gives_nothing(project, codes, codings):
    assert pks(project, f"code={codes['lien'].pk}&code={codes['cafe'].pk}&match=all") == set()


def test_match_all_with_a_coder_asks_for_passages_that_coder_coded_with_every_code(
    project, codes, codings, rita
):
    query = f"code={codes['lien'].pk}&code={codes['banc'].pk}&match=all&coder={rita.pk}"
    assert pks(project, query) == set()  # sam coded "banc", not rita


def test_a_code_without_subcodes_leaves_its_subcodes_out(project, codes, codings):
    assert pks(project, f"code={codes['lien'].pk}") == named(codings, "lien", "question")


def test_subcodes_bring_in_the_codings_of_the_whole_subtree(project, codes, codings):
    query = f"code={codes['lien'].pk}&subcodes=1"
    assert pks(project, query) == named(codings, "lien", "question", "banc")


# Coders, interviews, review state, dates


def test_a_coder_gives_that_coders_codings(project, codings, rita, sam):
    assert pks(project, f"coder={rita.pk}") == named(codings, "lien", "cafe")
    assert pks(project, f"coder={rita.pk}&coder={sam.pk}") == named(codings, *codings)


def test_coder_me_is_the_requesting_user(project, codings, sam):
    assert pks(project, "coder=me", user=sam) == named(codings, "banc", "question", "second")


def test_an_interview_gives_its_codings(project, second, codings):
    assert pks(project, f"interview={second.pk}") == named(codings, "second")


def test_review_states_filter_and_combine_with_or(project, codings):
    Coding.objects.filter(pk=codings["cafe"].pk).update(status=Coding.Status.APPROVED)
    Coding.objects.filter(pk=codings["lien"].pk).update(status=Coding.Status.NEEDS_CHANGE)
    assert pks(project, "status=approved") == named(codings, "cafe")
    assert pks(project, "status=approved&status=needs_change") == named(codings, "cafe", "lien")


def test_dates_keep_the_codings_made_between_them_both_days_included(project, codings):
    day = timezone.localdate()
    old = timezone.now() - timedelta(days=40)
    Coding.objects.filter(pk=codings["second"].pk).update(created_at=old)
    assert pks(project, f"from={day}") == named(codings, *codings) - named(codings, "second")
    assert pks(project, f"to={day - timedelta(days=1)}") == named(codings, "second")
    assert pks(project, f"from={day}&to={day}") == pks(project, f"from={day}")


def test_filters_of_different_kinds_all_apply(project, codes, codings, rita):
    query = f"code={codes['cafe'].pk}&coder={rita.pk}"
    assert pks(project, query) == named(codings, "cafe")


# Participant attributes


@pytest.fixture
def attributes(project, interview, second):
    setting = Attribute.objects.create(project=project, name="Milieu", type=Attribute.Type.CHOICE)
    years = Attribute.objects.create(project=project, name="Années", type=Attribute.Type.NUMBER)
    since = Attribute.objects.create(project=project, name="Depuis", type=Attribute.Type.DATE)
    for item, place, number, day in [
        (interview, "Travail de rue", 3, date(2019, 5, 1)),
        (second, "Centre de jour", 12, date(2012, 1, 15)),
    ]:
        AttributeValue.objects.create(interview=item, attribute=setting, text=place)
        AttributeValue.objects.create(interview=item, attribute=years, number=Decimal(number))
        AttributeValue.objects.create(interview=item, attribute=since, date=day)
    return {"setting": setting, "years": years, "since": since}


def test_a_text_attribute_value_matches_regardless_of_case(project, attributes, codings):
    query = f"attribute={attributes['setting'].pk}&value=centre de jour"
    assert pks(project, query) == named(codings, "second")


def test_the_benchs_filter_code_attribute_value_works(project, codes, attributes, codings):
    query = f"code={codes['cafe'].pk}&attribute={attributes['setting'].pk}&value=Travail de rue"
    assert pks(project, query) == named(codings, "cafe")


def test_several_values_of_one_attribute_mean_any_of_them(project, attributes, codings):
    pk = attributes["setting"].pk
    query = f"attribute={pk}&value=Travail de rue&attribute={pk}&value=Centre de jour"
    assert pks(project, query) == named(codings, *codings)


@pytest.mark.parametrize(
    ("value", "interviews"),
    [
        ("5", set()),
        ("=3", {"first"}),
        (">=5", {"second"}),
        ("<=3", {"first"}),
        (">3", {"second"}),
        ("<12", {"first"}),
        ("3,0", {"first"}),
    ],
)
def test_number_attributes_compare_with_operators(project, attributes, codings, value, interviews):
    expected = set()
    if "first" in interviews:
        expected |= named(codings, "lien", "banc", "cafe", "question")
    if "second" in interviews:
        expected |= named(codings, "second")
    query = QueryDict(mutable=True)
    query.update({"attribute": attributes["years"].pk, "value": value})
    assert pks(project, query.urlencode()) == expected


def test_two_comparisons_on_one_attribute_make_a_range(project, attributes, codings):
    pk = attributes["years"].pk
    query = QueryDict(mutable=True)
    query.setlist("attribute", [pk, pk])
    query.setlist("value", [">=2", "<=5"])
    assert pks(project, query.urlencode()) == pks(
        project, f"interview={codings['lien'].interview_id}"
    )


def test_date_attributes_compare_with_operators(project, attributes, codings):
    query = QueryDict(mutable=True)
    query.update({"attribute": attributes["since"].pk, "value": "<2015-01-01"})
    assert pks(project, query.urlencode()) == named(codings, "second")


@pytest.mark.parametrize("value", ["=>5", "beaucoup", ">", "5 ans", "NaN", "Infinity"])
def test_a_number_attribute_refuses_what_is_not_a_number(project, attributes, value):
    query = QueryDict(mutable=True)
    query.update({"attribute": attributes["years"].pk, "value": value})
    (message,) = errors(project, query.urlencode())
    assert message.startswith("Années:") and "not a number" in message


@pytest.mark.parametrize("value", ["2024-13-01", "01/02/2024", ">=hier", "~2020-01-01"])
def test_a_date_attribute_refuses_what_is_not_a_date(project, attributes, value):
    query = QueryDict(mutable=True)
    query.update({"attribute": attributes["since"].pk, "value": value})
    (message,) = errors(project, query.urlencode())
    assert "not a date" in message


def test_an_attribute_without_a_value_is_an_error(project, attributes):
    assert errors(project, f"attribute={attributes['setting'].pk}") == [
        "Each participant attribute needs exactly one value."
    ]
    assert errors(project, f"attribute={attributes['setting'].pk}&value=") == [
        "Choose a participant attribute and give it a value."
    ]


def test_an_empty_attribute_row_of_the_form_is_ignored(project, attributes, codings):
    assert pks(project, "attribute=&value=") == named(codings, *codings)


# Speakers


def test_participant_keeps_the_codings_that_start_in_a_participants_turn(project, codings):
    assert pks(project, "speaker=participant") == named(codings, "lien", "banc", "cafe", "second")
    assert pks(project, "speaker=interviewer") == named(codings, "question")


def test_a_speaker_label_keeps_that_speakers_codings(project, codings):
    assert pks(project, "speaker=martine") == pks(project, "speaker=participant")


def test_an_unknown_speaker_is_an_error(project, codings):
    assert errors(project, "speaker=Personne") == [
        "No speaker is called “Personne” in this project."
    ]


# Bad input: messages, never data


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("code=abc", "Code: “abc” is not a valid id."),
        ("code=-1", "Code: “-1” is not a valid id."),
        ("code=1.5", "Code: “1.5” is not a valid id."),
        ("code=٣", "Code: “٣” is not a valid id."),
        ("code=99999999999999999999", "Code: “99999999999999999999” is not a valid id."),
        ("code=424242", "Unknown code 424242."),
        ("coder=x", "Coder: “x” is not a valid id."),
        ("interview=424242", "Unknown interview 424242."),
        ("attribute=424242&value=3", "Unknown participant attribute 424242."),
        ("match=some", "“some” is not a way to combine codes."),
        ("status=done", "“done” is not a review state."),
        ("from=2024-02-30", "“2024-02-30” is not a date (YYYY-MM-DD)."),
        ("to=yesterday", "“yesterday” is not a date (YYYY-MM-DD)."),
        ("from=2024-03-01&to=2024-02-01", "The start date comes after the end date."),
    ],
)
def test_bad_values_are_errors_a_researcher_can_read(project, codings, query, message):
    assert errors(project, query) == [message]


def test_every_bad_value_is_reported_at_once(project):
    assert len(errors(project, "code=x&status=y&from=z")) == 3


def test_another_projects_ids_are_unknown_like_missing_ones(project, codings, other_project, olga):
    foreign = make_interview(other_project, title="Ailleurs")
    foreign_code = make_code(other_project, "Autre")
    make_coding(foreign, foreign_code, olga, 0, 10)
    attribute = Attribute.objects.create(project=other_project, name="Milieu")
    assert errors(project, f"code={foreign_code.pk}") == [f"Unknown code {foreign_code.pk}."]
    assert errors(project, f"interview={foreign.pk}") == [f"Unknown interview {foreign.pk}."]
    assert errors(project, f"coder={olga.pk}") == [f"Unknown coder {olga.pk}."]
    assert errors(project, f"attribute={attribute.pk}&value=x") == [
        f"Unknown participant attribute {attribute.pk}."
    ]


def test_too_many_values_are_refused(project):
    query = "&".join(f"code={n}" for n in range(1, 300))
    assert errors(project, query) == ["Too many values for “code”."]


# What each coding carries


def test_codings_come_in_interview_title_order_then_by_position(project, codings):
    ordered = list(queries.codings(read_filters(project, QueryDict(""))))
    assert [c.pk for c in ordered] == [
        codings[name].pk for name in ("question", "lien", "banc", "cafe", "second")
    ]


def test_each_coding_has_its_context_speaker_and_memo_count(project, interview, codings, rita):
    Memo.objects.create(project=project, coding=codings["banc"], author=rita, body="Note")
    Memo.objects.create(project=project, coding=codings["banc"], author=rita, body="Autre")
    query = f"code={codings['banc'].code_id}"
    (banc,) = queries.codings(read_filters(project, QueryDict(query)))
    assert banc.text == "sur le même banc"
    assert banc.context_before.endswith("Je m'assois pas loin, ")
    assert banc.context_after.startswith(", pis j'attends.")
    assert banc.speaker_name == "Martine"
    assert banc.memo_count == 2
    assert banc.interview.title == "Entretien 1" and banc.code.name == "Banc"
    assert "text" in banc.interview.get_deferred_fields()  # the transcript stays in the database


def test_context_is_cut_at_word_boundaries_far_from_the_edges(project, rita):
    words = " ".join(f"mot{n:03d}" for n in range(300))
    long = make_interview(project, words, title="Long")
    code = make_code(project, "Milieu")
    start = words.index("mot150")
    make_coding(long, code, rita, start, start + len("mot150"))
    (coding,) = queries.codings(read_filters(project, QueryDict(f"code={code.pk}")))
    before, after = coding.context_before.split(), coding.context_after.split()
    assert 25 <= len(before) <= 35 and 25 <= len(after) <= 35
    assert all(len(word) == 6 and word.startswith("mot") for word in before + after)
    assert before[-1] == "mot149" and after[0] == "mot151"


def test_a_coding_between_turns_has_no_speaker(project, rita):
    text = "Préambule sans locuteur.\n\nA : bonjour\n\nB : salut\n\nA : encore\n\nB : fin"
    item = make_interview(project, text, title="Entre")
    code = make_code(project, "Préambule")
    make_coding(item, code, rita, 0, 9)
    (coding,) = queries.codings(read_filters(project, QueryDict(f"code={code.pk}")))
    assert coding.speaker_name is None and coding.context_before == ""


# Links


def test_the_querystring_is_canonical_and_takes_overrides(project, codes, codings, rita):
    query = f"status=pending&code={codes['cafe'].pk}&coder={rita.pk}&page=3&match=any&junk=1"
    filters = read_filters(project, QueryDict(query))
    assert filters.querystring() == f"code={codes['cafe'].pk}&coder={rita.pk}&status=pending"
    assert filters.querystring(page=2).endswith("&status=pending&page=2")
    assert filters.querystring(status=None) == f"code={codes['cafe'].pk}&coder={rita.pk}"
    assert "status=approved&status=pending" in filters.querystring(status=["approved", "pending"])


def test_the_querystring_keeps_attribute_pairs_together(project, attributes):
    query = QueryDict(mutable=True)
    query.setlist("attribute", [attributes["years"].pk, attributes["setting"].pk])
    query.setlist("value", [">=5", "Travail de rue"])
    filters = read_filters(project, query)
    pairs = parse_qsl(filters.querystring())
    assert pairs == [
        ("attribute", str(attributes["years"].pk)),
        ("value", ">=5"),
        ("attribute", str(attributes["setting"].pk)),
        ("value", "Travail de rue"),
    ]


def test_each_chip_names_a_filter_and_links_to_the_others(project, codes, attributes, rita):
    query = QueryDict(mutable=True)
    query.setlist("code", [codes["lien"].pk])
    query.setlist("subcodes", ["1"])
    query.setlist("coder", [rita.pk])
    query.setlist("attribute", [attributes["years"].pk])
    query.setlist("value", [">=5"])
    query.setlist("speaker", ["participant"])
    query.setlist("from", ["2024-01-02"])
    filters = read_filters(project, query)
    chips = {chip.label: dict(parse_qsl(chip.query)) for chip in filters.chips()}
    assert set(chips) == {
        "Lien and its sub-codes",
        "Coder: rita",
        "Années ≥ 5",
        "Speaker: Participant",
        "Coded from 02/01/2024",  # day first, in English too
    }
    # Removing the only code also drops what only applies to codes.
    assert "code" not in chips["Lien and its sub-codes"]
    assert "subcodes" not in chips["Lien and its sub-codes"]
    assert "attribute" not in chips["Années ≥ 5"] and chips["Années ≥ 5"]["coder"] == str(rita.pk)
    assert "speaker" not in chips["Speaker: Participant"]


def test_a_sub_code_chip_shows_its_path(project, codes):
    (chip,) = read_filters(project, QueryDict(f"code={codes['banc'].pk}")).chips()
    assert chip.label == "Lien › Banc" and chip.query == ""


@pytest.mark.parametrize("role", ["researcher", "supervisor"])
def test_a_membership_gives_what_its_member_sees_without_asking_again(
    project, interview, codes, rita, sam, role
):
    """`member=` reads the blind rounds only for a researcher (a supervisor sees everything), and
    gives the same filters as `user=`."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from coding.models import CodingRound
    from interviews import permissions

    round_ = CodingRound.objects.create(project=project, name="Aveugle", created_by=sam)
    round_.coders.set([rita])
    round_.interviews.set([interview])
    user = rita if role == "researcher" else sam
    membership = permissions.membership_for(user, project.pk)
    with CaptureQueriesContext(connection) as queries_seen:
        given = read_filters(project, QueryDict(""), member=membership)
    asked = read_filters(project, QueryDict(""), user=user)
    assert given.seen == asked.seen and given.user == user
    assert given.seen.blind == ({interview.pk} if role == "researcher" else set())
    rounds_read = [q for q in queries_seen.captured_queries if "codinground" in q["sql"]]
    assert len(rounds_read) == (1 if role == "researcher" else 0)
