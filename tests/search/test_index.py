"""Full-text search, the query side (search/index.py, migrations interviews 0004–0005)."""

import pytest
from django.db import connection

from interviews.models import Interview
from search import index
from search.index import Unit
from search.models import SearchSegment
from tests.factories import make_interview

pytestmark = pytest.mark.django_db


def found(project, text):
    """The words found, as the stored text shows them, paragraph by paragraph."""
    hits = index.hits(index.parse(project.pk, text))
    return [[_text(hit, span) for span in hit.spans] for hit in hits]


def _text(hit, span):
    interview = Interview.objects.get(pk=hit.interview_id)
    return interview.text[span[0] : span[1]]


def interview_with(project, text, **fields):
    return Interview.objects.create(
        project=project, title=fields.pop("title", "E"), text=text, **fields
    )


# The index


def test_each_non_blank_line_becomes_a_segment_with_its_exact_offsets(project):
    text = "Intervieweuse : Bonjour.\r\n\r\n  Martine : l'événement 😀 des voisines.  \r\n \nFin"
    interview = interview_with(project, text)
    segments = SearchSegment.objects.filter(interview=interview).order_by("start")
    assert [text[s.start : s.end] for s in segments] == [
        "Intervieweuse : Bonjour.",
        "Martine : l'événement 😀 des voisines.",
        "Fin",
    ]
    assert [s.text for s in segments] == [text[s.start : s.end] for s in segments]
    assert {s.config for s in segments} == {"french"}


def test_interviews_inserted_with_raw_sql_are_indexed_too(project):
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO interviews_interview (project_id, title, participant, language,"
            " source_name, source_format, text, word_count, checksum, created_at)"
            " VALUES (%s, 'Brut', '', 'fr', '', '', 'Les intervenantes du soir.', 4, 'x', now())",
            [project.pk],
        )
    assert found(project, "intervenante") == [["intervenantes"]]


def test_changing_the_language_indexes_the_interview_again(project):
    interview = interview_with(project, "The neighbours were running late.")
    assert found(project, "run") == []  # French stemming leaves "running" as it is
    interview.language = "en"
    interview.save(update_fields=["language"])
    assert found(project, "run") == [["running"]]
    assert set(interview.search_segments.values_list("config", flat=True)) == {"english"}


# Words


def test_plural_and_feminine_forms_find_each_other(project):
    interview_with(project, "Un intervenant.\nDes intervenants.\nLa voisine.\nLe voisin.")
    assert found(project, "intervenants") == [["intervenant"], ["intervenants"]]
    assert found(project, "voisine") == [["voisine"], ["voisin"]]
    assert found(project, "voisin") == [["voisine"], ["voisin"]]


def test_accents_and_capitals_do_not_matter(project):
    interview_with(project, "Un ÉVÉNEMENT marquant.\nUn autre evenement.")
    assert found(project, "evenement") == [["ÉVÉNEMENT"], ["evenement"]]
    assert found(project, "Événements") == [["ÉVÉNEMENT"], ["evenement"]]


def test_decomposed_accents_are_found_and_stay_inside_the_word(project):
    decomposed = "e\u0301ve\u0301nement"  # é written as e + combining acute accent
    interview_with(project, f"Un {decomposed} rare.")
    assert found(project, "événement") == [[decomposed]]


def test_ligatures_read_as_their_two_letters_and_are_marked_whole(project):
    interview_with(project, "Le cœur du quartier.\nSa sœur et son coeur.\nUn ex æquo.")
    assert found(project, "coeur") == [["cœur"], ["coeur"]]
    assert found(project, "cœur") == [["cœur"], ["coeur"]]
    assert found(project, "soeur") == [["sœur"]]
    assert found(project, '"ex aequo"') == [["ex æquo"]]


def test_offsets_are_code_points_after_emoji_crlf_and_combining_accents(project):
    text = "Intervieweuse : 😀😀 Alors ?\r\nMartine : Le cafe\u0301 🎉 du matin, un café.\r\n"
    interview = interview_with(project, text)
    hits = index.hits(index.parse(project.pk, "café"))
    assert [[text[s:e] for s, e in hit.spans] for hit in hits] == [["cafe\u0301", "café"]]
    (hit,) = hits
    assert hit.spans[0][0] == text.index("cafe\u0301")
    assert interview.text[hit.start : hit.end] == hit.text


def test_a_phrase_in_quotes_finds_only_the_words_together(project):
    interview_with(
        project,
        "Je lui offre « juste un café », rien de plus.\n"
        "Un café, c'est juste une excuse.\n"
        "Juste un café pis un autre café.",
    )
    assert found(project, '"juste un café"') == [["juste un café"], ["Juste un café"]]


def test_or_and_exclusion(project):
    interview_with(project, "La police est passée.\nLe café est chaud.\nLe café de la police.")
    assert found(project, "café -police") == [["café"]]
    assert found(project, "police or café") == [["police"], ["café"], ["café", "police"]]


def test_ou_between_words_is_or_as_in_french_but_stays_a_word_in_a_phrase(project):
    interview_with(project, "La police est passée.\nLe café est chaud.\nCafé ou thé ?")
    assert found(project, "police OU café") == [["police"], ["café"], ["Café"]]
    assert found(project, '"café ou thé"') == [["Café ou thé"]]


def test_a_phrase_and_a_word_mark_both(project):
    interview_with(project, "Un café, juste un café, et la naloxone.")
    assert found(project, '"juste un café" naloxone') == [["juste un café", "naloxone"]]


def test_an_english_interview_is_stemmed_in_english(project):
    interview_with(project, "The workers kept visiting the park.", language="en")
    assert found(project, "visit") == [["visiting"]]
    assert found(project, "worker") == [["workers"]]


def test_another_projects_interviews_never_appear(project, other_project):
    make_interview(other_project, text="Martine : La naloxone sauve des vies.")
    interview_with(project, "Ici, rien à voir.")
    assert found(project, "naloxone") == []
    assert index.counts(index.parse(project.pk, "naloxone")) == {}


def test_each_line_is_indexed_under_its_project(project, other_project):
    """The index finds a project's lines without reading other projects' (migration 0005)."""
    interview_with(project, "Un café.\nEncore un café.")
    make_interview(other_project, text="Martine : Un café.")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM interviews_searchsegment"
            " WHERE vector @@ verbatim_project_query(%s)",
            [project.pk],
        )
        assert cursor.fetchone()[0] == 2


def test_no_words_typed_reach_the_project_lexeme(project):
    interview_with(project, "Rien à voir ici.")
    assert found(project, "project") == []
    assert found(project, f'"project {project.pk}"') == []


def test_an_interview_moved_to_another_project_is_found_there(project, other_project):
    interview = interview_with(project, "La naloxone sauve des vies.")
    Interview.objects.filter(pk=interview.pk).update(project=other_project)
    assert found(project, "naloxone") == []
    assert found(other_project, "naloxone") == [["naloxone"]]


def test_hits_come_in_interview_title_order_then_text_order(project):
    interview_with(project, "Un café.\nEncore un café.", title="B")
    interview_with(project, "Du café.", title="A")
    hits = index.hits(index.parse(project.pk, "café"))
    assert [(h.title, h.text) for h in hits] == [
        ("A", "Du café."),
        ("B", "Un café."),
        ("B", "Encore un café."),
    ]
    assert index.hits(index.parse(project.pk, "café"), offset=1, limit=1)[0].text == "Un café."


def test_a_hit_knows_its_speaker(interview):
    (hit,) = index.hits(index.parse(interview.project_id, "semaines"))
    assert hit.speaker == "Martine"
    assert hit.turn is not None


# Queries that cannot be searched


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Type a word"),
        ("   ", "Type a word"),
        ("?!… « » --", "punctuation alone"),
        ("de la du et", "too common"),
        ("-police", "not only what to leave out"),
        ("mot " * 60, "at most 200 characters"),
    ],
)
def test_a_query_that_cannot_find_anything_says_why(project, english, text, message):
    interview_with(project, "La police.")
    with pytest.raises(index.SearchError) as error:
        index.parse(project.pk, text)
    assert message in error.value.message


def test_a_nul_character_is_not_an_error(project):
    interview_with(project, "La naloxone.")
    assert found(project, "nalox\x00one") == []  # two words, neither found
    assert found(project, "naloxone\x00") == [["naloxone"]]


def test_a_project_without_interviews_finds_nothing(project):
    assert index.counts(index.parse(project.pk, "café")) == {}


# What "code all results" codes


def passages(project, text, unit):
    hits = index.hits(index.parse(project.pk, text))
    ranges = index.passages(hits, unit)
    interview = Interview.objects.get(pk=next(iter(ranges)))
    return [interview.text[s:e] for s, e in ranges[interview.pk]]


TEXT = (
    "Intervieweuse : Et la naloxone ?\n\n"
    "Martine : Je la donne. Une trousse de naloxone, toujours ! Pis un café.\n"
    "Le lendemain, rien.\n\n"
    "Intervieweuse : D'accord.\n\n"
    "Martine : Voilà."
)


def test_code_all_units_cut_around_the_words_found(project):
    make_interview(project, text=TEXT)
    assert passages(project, "naloxone", Unit.WORDS) == ["naloxone", "naloxone"]
    assert passages(project, "naloxone", Unit.SENTENCE) == [
        "Et la naloxone ?",
        "Une trousse de naloxone, toujours !",
    ]
    assert passages(project, "naloxone", Unit.PARAGRAPH) == [
        "Et la naloxone ?",
        "Je la donne. Une trousse de naloxone, toujours ! Pis un café.",
    ]
    assert passages(project, "naloxone", Unit.TURN) == [
        "Et la naloxone ?",
        "Je la donne. Une trousse de naloxone, toujours ! Pis un café.\nLe lendemain, rien.",
    ]


def test_paragraphs_and_turns_need_no_marks(project):
    make_interview(project, text=TEXT)
    query = index.parse(project.pk, "naloxone")
    unmarked = index.hits(query, marks=False)
    assert all(hit.spans == [] for hit in unmarked)
    for unit in (Unit.PARAGRAPH, Unit.TURN):
        assert index.passages(unmarked, unit) == index.passages(index.hits(query), unit)


def test_passages_that_meet_are_merged():
    assert index.merged([(5, 9), (0, 3), (3, 4), (8, 12), (20, 21)]) == [(0, 4), (5, 12), (20, 21)]


def test_a_long_paragraph_is_shown_around_its_words_found(project):
    filler = "Des mots sans importance ici. " * 40
    interview_with(project, f"{filler}La naloxone au milieu. {filler}")
    (hit,) = index.hits(index.parse(project.pk, "naloxone"))
    pieces = hit.pieces()
    assert pieces[0].gap and pieces[-1].gap
    assert [p.text for p in pieces if p.mark] == ["naloxone"]
    shown = "".join(p.text for p in pieces)
    assert len(shown) < 2 * index.CONTEXT + 20
