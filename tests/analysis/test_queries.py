"""Counts of the analysis tables against hand-built codings, each computed here independently."""

import random
import re
from itertools import combinations

import pytest

from analysis import queries
from coding.models import Coding
from excerpts import queries as excerpt_queries
from excerpts.filters import read_filters
from excerpts.proximity import read_near
from interviews.models import Turn
from tests.analysis import brute
from tests.factories import TRANSCRIPT, make_code, make_coding, make_interview

MODES = ["", "0", "1", "5", "40", "paragraph", "turn"]


def lines_of(start, end):
    """The indexes of the non-blank lines that the characters [start, end) touch."""
    found = set()
    for k, line in enumerate(re.finditer(r"[^\n]+", TRANSCRIPT)):
        low = line.start() + len(line[0]) - len(line[0].lstrip())
        high = line.end() - (len(line[0]) - len(line[0].rstrip()))
        if low < end and start < high:
            found.add(k)
    return found


def together(a, b, mode, turns):
    gap = max(a.start, b.start) - min(a.end, b.end)
    if mode == "":
        return gap < 0
    if mode == "paragraph":
        return bool(lines_of(a.start, a.end) & lines_of(b.start, b.end))
    if mode == "turn":
        covered = [
            {k for k, (s, e) in enumerate(turns) if s < c.end and c.start < e} for c in (a, b)
        ]
        return bool(covered[0] & covered[1])
    return gap <= int(mode)


def expected(codings, mode, turns):
    """{(code A, code B): (codings, interviews, pairs)} by brute force over every pair."""
    cells = {}
    for a, b in combinations(codings, 2):
        if a.code_id == b.code_id or not together(a, b, mode, turns):
            continue
        for x, y in ((a, b), (b, a)):
            seen, pairs = cells.setdefault((x.code_id, y.code_id), (set(), set(), [0]))[::2], None
            cell = cells[(x.code_id, y.code_id)]
            cell[0].update({x.pk, y.pk})
            cell[1].add(x.interview_id)
            cell[2][0] += 1
            del seen, pairs
    return {key: (len(c), len(i), n[0]) for key, (c, i, n) in cells.items()}


@pytest.mark.parametrize("mode", MODES)
def test_cooccurrence_counts_what_a_brute_force_counts(project, scene, mode):
    interview, codes, codings = scene
    turns = list(
        Turn.objects.filter(interview=interview).order_by("start").values_list("start", "end")
    )
    filters = read_filters(project, {})
    near, problem = read_near(mode)
    assert problem is None
    groups = {pk: {pk} for pk in filters.codes}
    cells, totals = queries.cooccurrence(filters, groups, near)
    found = {key: (p.codings, p.interviews, p.pairs) for key, p in cells.items()}
    assert found == expected(codings, mode, turns)
    assert totals[codes["A"].pk] == 3 and totals[codes["B"].pk] == 3


def test_the_hand_counts_of_the_scene(project, scene):
    _interview, codes, _codings = scene
    filters = read_filters(project, {})
    groups = {pk: {pk} for pk in filters.codes}
    a, b, c, d = (codes[n].pk for n in "ABCD")
    overlap, _ = queries.cooccurrence(filters, groups, read_near("")[0])
    assert (overlap[(a, b)].codings, overlap[(a, b)].pairs) == (2, 1)  # overlapping
    assert (overlap[(a, c)].codings, overlap[(a, c)].pairs) == (2, 1)  # nested
    assert (b, c) not in overlap and (a, d) not in overlap
    touching, _ = queries.cooccurrence(filters, groups, read_near("2")[0])
    assert touching[(a, b)].codings == 4  # a full stop and a line break apart
    paragraph, _ = queries.cooccurrence(filters, groups, read_near("paragraph")[0])
    assert paragraph[(b, c)].codings == 2 and (a, d) not in paragraph
    turn, _ = queries.cooccurrence(filters, groups, read_near("turn")[0])
    assert turn[(a, b)].pairs == 5 and (c, d) not in turn  # different turns never meet


@pytest.mark.parametrize("mode", MODES)
def test_each_cell_links_to_exactly_its_codings(project, scene, mode):
    _interview, codes, _codings = scene
    filters = read_filters(project, {"near": mode})
    groups = {pk: {pk} for pk in filters.codes}
    cells, _totals = queries.cooccurrence(filters, groups, filters.near)
    for (a, b), pair in cells.items():
        linked = read_filters(project, {"code": [str(a), str(b)], "match": "all", "near": mode})
        assert linked.is_valid(), linked.errors
        assert excerpt_queries.count(linked) == pair.codings


def test_filters_apply_to_both_sides_of_a_pair(project, scene, sam):
    _interview, codes, codings = scene
    # Sam codes B over rita's first A too: with coder=rita, only rita's pair counts.
    make_coding(codings[0].interview, codes["B"], sam, codings[0].start, codings[0].end)
    groups = {pk: {pk} for pk in codes.values() for pk in [pk.pk]}
    everyone, _ = queries.cooccurrence(read_filters(project, {}), groups, read_near("")[0])
    rita_only, _ = queries.cooccurrence(
        read_filters(project, {"coder": str(codings[0].coder_id)}), groups, read_near("")[0]
    )
    a, b = codes["A"].pk, codes["B"].pk
    assert everyone[(a, b)].pairs == 2 and rita_only[(a, b)].pairs == 1


def random_codings(project, coders, seed: int) -> None:
    """Three interviews, six codes (some the sub-codes of others) and about fifty codings of
    random passages, short and long, nested, overlapping, touching or apart. A coder's codings of
    one code never overlap or touch (the database merges them): such draws are skipped."""
    rng = random.Random(seed)
    interviews = [
        make_interview(project, f"{TRANSCRIPT} ({n})", f"Entretien {n}") for n in range(3)
    ]
    codes = []
    for n in range(6):
        parent = rng.choice([None, None, *codes]) if codes else None
        codes.append(make_code(project, f"Code {n}", parent=parent))
    taken = []
    for _draw in range(80):
        interview, code, coder = rng.choice(interviews), rng.choice(codes), rng.choice(coders)
        start = rng.randrange(len(TRANSCRIPT) - 2)
        end = min(start + rng.choice([1, 3, 10, 30, 80, 200]), len(TRANSCRIPT))
        same = [(s, e) for i, c, u, s, e in taken if (i, c, u) == (interview, code, coder)]
        if any(s <= end and start <= e for s, e in same):
            continue
        taken.append((interview, code, coder, start, end))
        make_coding(interview, code, coder, start, end)


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("subcodes", [False, True])
@pytest.mark.parametrize("mode", ["", "7"])
def test_cooccurrence_counts_what_python_counts_on_random_codings(
    project, rita, sam, seed, subcodes, mode
):
    random_codings(project, [rita, sam], seed)
    filters = read_filters(project, {"subcodes": "1"} if subcodes else {})
    assert filters.subcodes == subcodes
    pks = list(filters.codes)
    groups = dict(zip(pks, filters.code_groups(pks), strict=True))
    near, _problem = read_near(mode)
    cells, totals = queries.cooccurrence(filters, groups, near)
    reach = 0 if mode == "" else int(mode) + 1
    expected_cells, expected_totals = brute.cooccurrence(brute.codings_of(project), groups, reach)
    assert expected_cells  # the draw made pairs to count
    assert cells == expected_cells
    assert totals == expected_totals


def test_measures_follow_their_definitions():
    pair = queries.measures(codings=6, interviews=2, pairs=3, n1=10, n2=5)
    assert pair.jaccard == pytest.approx(6 / 15)
    assert pair.c == pytest.approx(3 / (10 + 5 - 3))
    assert queries.measures(4, 1, 6, 3, 3).c is None  # more pairs than codings: out of range
    assert queries.measures(2, 1, 1, 60, 2).unequal


def test_speaker_roles_give_a_question_coded_with_its_answer_to_the_participant(
    project, scene, rita
):
    interview, codes, _codings = scene
    start = TRANSCRIPT.index("Et quand il vous parle")
    end = TRANSCRIPT.index("Là je peux") + len("Là je peux")
    make_coding(interview, codes["C"], rita, start, end)  # question and answer
    filters = read_filters(project, {})
    groups = {codes["C"].pk: {codes["C"].pk}, codes["D"].pk: {codes["D"].pk}}
    first = queries.speakers(filters, groups, "participant")
    every = queries.speakers(filters, groups, "every")
    c, d = codes["C"].pk, codes["D"].pk
    assert first[(c, "participant")][0] == 2 and (c, "interviewer") not in first
    assert every[(c, "interviewer")][0] == 1 and every[(c, "participant")][0] == 2
    assert first[(d, "interviewer")][0] == 1
    for role in ("participant", "interviewer"):
        linked = read_filters(project, {"code": str(c), "role": role})
        assert excerpt_queries.count(linked) == first.get((c, role), (0, 0))[0]


def test_strips_merge_a_codes_passages_where_they_meet(project, scene, sam):
    interview, codes, codings = scene
    make_coding(interview, codes["A"], sam, codings[0].start + 2, codings[0].end + 5)
    filters = read_filters(project, {})
    strip = queries.strips(filters, {codes["A"].pk: {codes["A"].pk}}, [interview.pk])[0]
    first = strip.passages[codes["A"].pk][0]
    assert first == (codings[0].start, codings[0].end + 5)
    assert strip.length == len(TRANSCRIPT)


def test_frequencies_roll_sub_codes_up(project, scene, rita):
    interview, codes, _codings = scene
    from tests.factories import make_code

    child = make_code(project, "Sous A", parent=codes["A"])
    make_coding(interview, child, rita, 0, 13)
    filters = read_filters(project, {"subcodes": "1"})
    rolled = queries.frequencies(filters, {codes["A"].pk: filters.code_groups([codes["A"].pk])[0]})
    alone = queries.frequencies(read_filters(project, {}), {codes["A"].pk: {codes["A"].pk}})
    assert rolled[codes["A"].pk].codings == 4 and alone[codes["A"].pk].codings == 3
    assert alone[codes["A"].pk].words == sum(len(c.text.split()) for c in codes["A"].codings.all())
    assert alone[codes["A"].pk].coders == 1


def test_frequencies_count_each_interview_and_coder_once_per_group(project, rita, sam, ada):
    """Codings, distinct interviews, distinct coders and words per group, against the codings
    themselves: a coder with several codings of a group in several interviews counts once, and a
    parent rolled up with its sub-code counts an interview and a coder once for both."""
    parent = make_code(project, "Parent")
    child = make_code(project, "Enfant", parent=parent)
    other = make_code(project, "Autre")
    rng = random.Random(7)
    interviews = [
        make_interview(project, TRANSCRIPT + f" Fin {n}.", title=f"Entretien {n}") for n in range(3)
    ]
    for interview in interviews:
        for coder in (rita, sam, ada):
            for code in (parent, child, other):
                for _ in range(rng.randrange(0, 3)):
                    start = rng.randrange(0, 200)
                    make_coding(interview, code, coder, start, start + rng.randrange(1, 60))
    filters = read_filters(project, {"subcodes": "1"})
    groups = {code.pk: filters.code_groups([code.pk])[0] for code in (parent, other)}
    found = queries.frequencies(filters, groups)
    for pk, members in groups.items():
        codings = list(Coding.objects.filter(code_id__in=members))
        expected = queries.Frequency(
            len(codings),
            len({c.interview_id for c in codings}),
            len({c.coder_id for c in codings}),
            sum(len(c.text.split()) for c in codings),
        )
        assert found.get(pk, queries.Frequency()) == expected
        assert isinstance(found[pk].codings, int) and isinstance(found[pk].words, int)


@pytest.mark.parametrize("mode", ["", "2", "paragraph", "turn"])
def test_not_and_followed_by_keep_what_a_brute_force_keeps(project, scene, mode):
    interview, codes, codings = scene
    turns = list(
        Turn.objects.filter(interview=interview).order_by("start").values_list("start", "end")
    )
    a_codings = [c for c in codings if c.code_id == codes["A"].pk]
    b_codings = [c for c in codings if c.code_id == codes["B"].pk]
    a, b = codes["A"].pk, codes["B"].pk

    def followed(x, y):
        if y.start < x.end:
            return False
        if mode == "":
            return True
        return together(x, y, mode, turns)

    not_b = {x.pk for x in a_codings if not any(together(x, y, mode, turns) for y in b_codings)}
    then_b = {x.pk for x in a_codings if any(followed(x, y) for y in b_codings)}
    for query, wanted in (({"without": str(b)}, not_b), ({"followed_by": str(b)}, then_b)):
        filters = read_filters(project, {"code": str(a), "near": mode, **query})
        assert filters.is_valid(), filters.errors
        assert set(excerpt_queries.matching(filters).values_list("pk", flat=True)) == wanted
    if mode == "":  # by hand: the first A overlaps a B; a B comes after the first two A
        assert not_b == {a_codings[1].pk, a_codings[2].pk}
        assert then_b == {a_codings[0].pk, a_codings[1].pk}


def test_the_crosstab_bands_numbers_and_links_each_cell(project, scene, rita):
    from analysis.views import _bands
    from interviews.models import Attribute, AttributeValue
    from tests.factories import make_interview

    interview, codes, _codings = scene
    years = Attribute.objects.create(project=project, name="Années", type=Attribute.Type.NUMBER)
    AttributeValue.objects.create(interview=interview, attribute=years, number=12)
    other = make_interview(project, text=TRANSCRIPT + " ", title="Entretien 2")
    AttributeValue.objects.create(interview=other, attribute=years, number=3)
    make_coding(other, codes["A"], rita, 0, 13)
    filters = read_filters(project, {})
    columns, sql, params = _bands(years, "5, 10", project.pk)
    assert [c.label for c in columns][:3] == ["< 5", "5 – 10", "≥ 10"]
    assert [c.key for c in columns][3] == "unset"
    groups = {codes["A"].pk: {codes["A"].pk}}
    counts = queries.crosstab(filters, groups, years, sql, params)
    assert counts[(codes["A"].pk, "0")] == (1, 1)  # the other interview: 3 years
    assert counts[(codes["A"].pk, "2")] == (3, 1)  # this one: 12 years
    for column in columns:
        data = {"code": str(codes["A"].pk), "attribute": [], "value": []}
        for key, value in column.params:
            data.setdefault(key, []).append(value)
        linked = read_filters(project, data)
        assert linked.is_valid(), linked.errors
        expected_n = counts.get((codes["A"].pk, column.key), (0, 0))[0]
        assert excerpt_queries.count(linked) == expected_n
