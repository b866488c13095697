"""agreement.metrics against published values and hand-computed cases (no database).

Published sources, and where their numbers were read:
- NVivo help, "Coding comparison query": how percentage agreement and kappa are calculated.
- Krippendorff (1995) "On the reliability of unitizing continuous data", Sociological Methodology
  25: 47–76, cases A–D p. 57, and Krippendorff (2004) Content Analysis, 2nd ed., example p. 254,
  as tested in DKPro Statistics (github.com/dkpro/dkpro-statistics):
  dkpro-statistics-agreement/src/test/java/org/dkpro/statistics/agreement/unitizing/
  Krippendorff1995Test.java and Krippendorff2004Test.java, for the implementation
  dkpro-statistics-agreement/src/main/java/org/dkpro/statistics/agreement/unitizing/
  KrippendorffAlphaUnitizingAgreement.java. Inputs and tolerances below are theirs.
- Krippendorff (2011) "Computing Krippendorff's Alpha-Reliability" (Annenberg School for
  Communication, repository.upenn.edu/asc_papers/43): 4 observers × 12 units, missing values.
"""

from collections import Counter
from fractions import Fraction

import pytest

from agreement.metrics import (
    CODER_CODED_EVERYTHING,
    CODER_CODED_NOTHING,
    EMPTY_CONTINUUM,
    FEWER_THAN_TWO_CODERS,
    FEWER_THAN_TWO_CODES,
    NO_PAIR_DEFINED,
    NO_PAIRABLE_VALUES,
    NO_SEGMENTS,
    NO_VARIATION,
    NOBODY_CODED,
    SegmentAgreement,
    Table,
    alpha,
    alpha_interval,
    alpha_nominal,
    character_table,
    cohen_kappa,
    group_codings,
    pairwise_mean,
    pairwise_tables,
    percent_agreement,
    pool,
    presence_data,
    segment_agreement,
    segment_kappa,
    union,
    unitized_alpha,
    unitized_alpha_by_code,
    units,
)

# --- Segments ----------------------------------------------------------------------------------


def test_union_merges_overlapping_and_touching_segments():
    assert union([(5, 8), (0, 3), (2, 4), (8, 9), (12, 12)], 20) == [(0, 4), (5, 9)]


def test_units_keep_touching_segments_apart():
    assert units([(5, 8), (0, 3), (2, 4), (8, 9)], 20) == [(0, 4), (5, 8), (8, 9)]


@pytest.mark.parametrize("segment", [(-1, 3), (3, 2), (5, 21)])
def test_a_segment_outside_the_continuum_is_refused(segment):
    with pytest.raises(ValueError):
        union([segment], 20)


def test_group_codings():
    rows = [("x", "ann", 0, 3), ("x", "bob", 1, 4), ("y", "ann", 5, 6), ("x", "ann", 7, 9)]
    assert group_codings(rows) == {
        "x": {"ann": [(0, 3), (7, 9)], "bob": [(1, 4)]},
        "y": {"ann": [(5, 6)]},
    }


# --- 1. Character table, percent agreement, Cohen's kappa --------------------------------------


def test_nvivo_documented_example():
    # NVivo: a 1,000-character source, 50 characters coded by both users, 150 by only one of them,
    # 800 by neither: percentage agreement (800 + 50) / 1000 = 85 %.
    # Kappa depends on how the 150 split. By hand, κ = (p_o − p_e) / (1 − p_e):
    # - all 150 by A: A coded 200, B 50; p_e = (200·50 + 800·950) / 1000² = 0.77,
    #   κ = (0.85 − 0.77) / 0.23 = 8/23 ≈ 0.3478;
    # - 75 each: A and B coded 125; p_e = (125² + 875²) / 1000² = 0.78125,
    #   κ = 0.06875 / 0.21875 = 11/35 ≈ 0.3143.
    one_sided = character_table([(0, 200)], [(0, 50)], 1000)
    assert one_sided == Table(both=50, only_a=150, only_b=0, neither=800)
    assert percent_agreement(one_sided).value == pytest.approx(0.85)
    kappa = cohen_kappa(one_sided)
    assert kappa.value == pytest.approx(8 / 23)
    assert kappa.p_expected == pytest.approx(0.77)

    split = character_table([(0, 125)], [(75, 200)], 1000)
    assert split == Table(both=50, only_a=75, only_b=75, neither=800)
    assert percent_agreement(split).value == pytest.approx(0.85)
    assert cohen_kappa(split).value == pytest.approx(11 / 35)


def test_tables_add_up():
    t = Table(1, 2, 3, 4) + Table(10, 20, 30, 40)
    assert t == Table(11, 22, 33, 44)
    assert sum([Table(1, 2, 3, 4), Table(10, 20, 30, 40)]) == t
    assert t.total == 110 and t.coded_a == 33 and t.coded_b == 44


@pytest.mark.parametrize(
    "first, second",
    [
        (([(0, 4), (6, 9)], [(2, 7)], 10), ([(1, 3)], [(0, 2), (5, 10)], 12)),
        (([], [(0, 10)], 10), ([(3, 5)], [], 7)),
    ],
)
def test_the_table_of_a_continuum_is_the_sum_of_its_interviews(first, second):
    (a1, b1, n1), (a2, b2, n2) = first, second
    shift = [(s + n1, e + n1) for s, e in a2], [(s + n1, e + n1) for s, e in b2]
    whole = character_table(a1 + shift[0], b1 + shift[1], n1 + n2)
    assert whole == character_table(a1, b1, n1) + character_table(a2, b2, n2)


def test_overlapping_codings_of_one_coder_count_once():
    assert character_table([(0, 6), (4, 10), (10, 12)], [(0, 12)], 20) == Table(12, 0, 0, 8)


def test_identical_codings_give_kappa_one():
    table = character_table([(2, 5), (8, 9)], [(2, 5), (8, 9)], 10)
    assert cohen_kappa(table).value == 1.0
    assert percent_agreement(table).value == 1.0


def test_disjoint_codings_give_kappa_minus_one():
    # both 0, only A 5, only B 5, neither 0: p_o = 0, p_e = (5·5 + 5·5)/100 = 0.5,
    # κ = (0 − 0.5) / (1 − 0.5) = −1.
    table = character_table([(0, 5)], [(5, 10)], 10)
    assert table == Table(0, 5, 5, 0)
    assert cohen_kappa(table).value == -1.0
    assert percent_agreement(table).value == 0.0


@pytest.mark.parametrize(
    "a, b, reason",
    [
        ([(0, 5)], [], CODER_CODED_NOTHING),
        ([], [(2, 3)], CODER_CODED_NOTHING),
        ([], [], NO_VARIATION),
        ([(0, 10)], [(0, 10)], NO_VARIATION),
        ([(0, 10)], [(0, 4)], CODER_CODED_EVERYTHING),
    ],
)
def test_kappa_is_undefined_with_a_reason(a, b, reason):
    result = cohen_kappa(character_table(a, b, 10))
    assert result.value is None
    assert result.reason == reason


def test_empty_continuum():
    table = character_table([], [], 0)
    assert percent_agreement(table).reason == EMPTY_CONTINUUM
    assert cohen_kappa(table).reason == EMPTY_CONTINUUM


def test_three_coders_every_pair_and_the_mean():
    # ann and bob agree (κ 1); cyd coded the other half (κ −1 with each): mean (1 − 1 − 1)/3.
    coders = {"ann": [(0, 5)], "bob": [(0, 5)], "cyd": [(5, 10)]}
    result = pairwise_mean(pairwise_tables(coders, 10))
    assert {pair: r.value for pair, r in result.pairs.items()} == {
        ("ann", "bob"): 1.0,
        ("ann", "cyd"): -1.0,
        ("bob", "cyd"): -1.0,
    }
    assert result.value == pytest.approx(-1 / 3)
    assert pairwise_mean(pairwise_tables(coders, 10), percent_agreement).value == pytest.approx(
        1 / 3
    )


def test_pairwise_mean_skips_undefined_pairs_and_says_when_none_is_left():
    coders = {"ann": [(0, 5)], "bob": [(0, 5)], "cyd": []}
    result = pairwise_mean(pairwise_tables(coders, 10))
    assert result.value == 1.0
    assert result.pairs["ann", "cyd"].reason == CODER_CODED_NOTHING
    nobody = pairwise_mean(pairwise_tables({"ann": [], "bob": []}, 10))
    assert (nobody.value, nobody.reason) == (None, NO_PAIR_DEFINED)
    alone = pairwise_mean(pairwise_tables({"ann": [(0, 5)]}, 10))
    assert (alone.value, alone.reason) == (None, FEWER_THAN_TWO_CODERS)


def test_pairwise_tables_pool_over_codes():
    x = pairwise_tables({"ann": [(0, 5)], "bob": [(0, 4)]}, 10)
    y = pairwise_tables({"ann": [], "bob": [(8, 10)]}, 10)
    assert pool(x, y) == {("ann", "bob"): Table(4, 1, 2, 13)}


# --- 2. Krippendorff's uα: published examples ---------------------------------------------------

# Krippendorff (1995) p. 57, cases A–D, as (offset, length) per coder, exactly as
# Krippendorff1995Test.createExample builds them (coders 0 and 1 of a 24-position continuum):
#   A Bertha:  0 0|1 1 1 1 1 1 1 1|0 0 0 0|1 1 1 1 1 1|0 0 0 0
#     Bill:    0 0 0 0|1 1 1 1|0 0 0 0 0 0 0|1 1|0 0 0 0 0 0 0
#   B John:    1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1|0 0 0 0 0 0
#     Jill:    1 1|1|1|1|1|1 1 1|1|0 0 0 0 0 0 0 0 0 0 0 0 0 0
#   C Gerret:  0 0|1 1 1 1 1 1|0 0|1 1|0 0|1 1 1 1|0 0|1 1|0 0
#     Gill:    1 1|0 0|1 1 1 1|0 0|1 1 1 1|0 0|1 1|0 0|1 1|0 0
#   D Heather: 1 1|1 1 1 1 1 1 1 1|1 1 1 1|1 1 1 1 1 1|1 1 1 1
#     Hill:    1 1 1 1|1 1 1 1|1 1 1 1 1 1 1|1 1|1 1 1 1 1 1 1
KRIPPENDORFF_1995 = {
    "A": ([(2, 8), (14, 6)], [(4, 4), (15, 2)]),
    "B": ([(0, 18)], [(0, 2), (2, 1), (3, 1), (4, 1), (5, 1), (6, 3), (9, 1)]),
    "C": ([(2, 6), (10, 2), (14, 4), (20, 2)], [(0, 2), (4, 4), (10, 4), (16, 2), (20, 2)]),
    "D": (
        [(0, 2), (2, 8), (10, 4), (14, 6), (20, 4)],
        [(0, 4), (4, 4), (8, 7), (15, 2), (17, 7)],
    ),
}


def krippendorff_1995(case: str, stretch: float = 1):
    """The case stretched like DKPro's createExample: every position cast (int)(x · stretch)."""
    coders = KRIPPENDORFF_1995[case]
    segments = {
        coder: [(int(o * stretch), int(o * stretch) + int(n * stretch)) for o, n in pairs]
        for coder, pairs in enumerate(coders)
    }
    return segments, int(24 * stretch)


@pytest.mark.parametrize(
    "case, observed",
    [("A", 0.03125), ("B", 2.26736), ("C", 0.02777), ("D", 0.38715)],
)
def test_krippendorff_1995_observed_disagreement(case, observed):
    # Krippendorff1995Test.testAgreement: D_o per case, tolerance 0.00001.
    result = unitized_alpha(*krippendorff_1995(case))
    assert result.observed == pytest.approx(observed, abs=0.00001)


@pytest.mark.parametrize(
    "case, expected, value",
    [("A", 0.06990, 0.553), ("B", 1.17731, -0.926), ("C", 0.08642, 0.679), ("D", 0.41445, 0.066)],
)
def test_krippendorff_1995_expected_disagreement_and_alpha(case, expected, value):
    # Krippendorff1995Test.testAgreement: the continuum stretched 50,000 times (1,200,000 / 24)
    # to approach the paper's continuous data; D_e within 0.005, uα within 0.02.
    result = unitized_alpha(*krippendorff_1995(case, 1_200_000 // 24))
    assert result.observed == pytest.approx(
        unitized_alpha(*krippendorff_1995(case)).observed, abs=0.00001
    )
    assert result.expected == pytest.approx(expected, abs=0.005)
    assert result.value == pytest.approx(value, abs=0.02)


@pytest.mark.parametrize(
    "stretch, expected, expected_tolerance, value",
    [
        (12 / 24.0, 0.05494, 0.00001, 0.494),
        (120 / 24.0, 0.08234, 0.005, 0.663),
        (1200 / 24.0, 0.08600, 0.005, 0.677),
        (12000 / 24.0, 0.08638, 0.005, 0.678),
        (120000 / 24.0, 0.08642, 0.005, 0.679),
    ],
)
def test_krippendorff_1995_case_c_at_varying_lengths(stretch, expected, expected_tolerance, value):
    # Krippendorff1995Test.testVaryingLengths: D_o stays 0.02777; D_e and uα as published.
    result = unitized_alpha(*krippendorff_1995("C", stretch))
    assert result.observed == pytest.approx(0.02777, abs=0.00001)
    assert result.expected == pytest.approx(expected, abs=expected_tolerance)
    assert result.value == pytest.approx(value, abs=0.02)


def test_krippendorff_1995_case_c_expected_disagreement_by_hand():
    # Case C at its own scale (L = 24, m = 2), units of lengths 6, 4×3, 2×5 (N = 9), ten gaps of 2.
    # Bracket Σ_g [(N−1)(2l³−3l²+l)/3 + l² Σ_{gaps ≥ l}(l_h − l + 1)]:
    #   l = 2: 8·6/3 + 4·10 = 56, five of them: 280; l = 4: 8·84/3 = 224, three: 672;
    #   l = 6: 8·330/3 = 880. Total 1832.
    # D_e = (2/24 · 1832) / (48·47 − Σ l(l−1) = 2256 − 76) = 152.67 / 2180 = 0.070031.
    result = unitized_alpha(*krippendorff_1995("C"))
    assert result.expected == pytest.approx(float(Fraction(2 * 1832, 24 * 2180)))
    assert result.units == 9


# Krippendorff (2004) p. 254, as Krippendorff2004Test.createExample builds it: continuum
# [150, 450), categories c and k, (offset, length) per coder. Shifted here to start at 0.
KRIPPENDORFF_2004 = {
    "c": {0: [(225, 70), (370, 30)], 1: [(220, 80), (355, 20), (400, 20)]},
    "k": {0: [(180, 60), (300, 50)], 1: [(180, 60), (300, 50)]},
}


def krippendorff_2004():
    return {
        code: {coder: [(o - 150, o - 150 + n) for o, n in pairs] for coder, pairs in by.items()}
        for code, by in KRIPPENDORFF_2004.items()
    }


def test_krippendorff_2004_per_code():
    # Krippendorff2004Test.testCategoryAgreement, tolerance 0.0001.
    overall = unitized_alpha_by_code(krippendorff_2004(), [0, 1], 300)
    c, k = overall.per_code["c"], overall.per_code["k"]
    assert c.observed == pytest.approx(0.0144, abs=0.0001)
    assert c.expected == pytest.approx(0.0532, abs=0.0001)
    assert c.value == pytest.approx(0.7286, abs=0.0001)
    assert k.observed == pytest.approx(0.0, abs=0.0001)
    assert k.expected == pytest.approx(0.0490, abs=0.0001)
    assert k.value == pytest.approx(1.0, abs=0.0001)


def test_krippendorff_2004_overall():
    # Krippendorff2004Test.testAgreement: uα = 0.8591 within 0.0005 (1 − ΣD_o / ΣD_e).
    overall = unitized_alpha_by_code(krippendorff_2004(), [0, 1], 300)
    assert overall.value == pytest.approx(0.8591, abs=0.0005)
    assert overall.value == pytest.approx(1 - overall.observed / overall.expected)


# Krippendorff1995Test.testDigitizedAgreement: the same cases as one value per position, with
# Cohen's κ and nominal α on them (tolerance 0.001); case D has no variation.
@pytest.mark.parametrize("case, kappa", [("A", 0.385), ("B", 0.385), ("C", 0.314)])
def test_krippendorff_1995_digitized_kappa(case, kappa):
    (a, b), length = krippendorff_1995(case)[0].values(), 24
    assert cohen_kappa(character_table(a, b, length)).value == pytest.approx(kappa, abs=0.001)


def test_krippendorff_1995_digitized_alpha_through_presence_data():
    segments, length = krippendorff_1995("A")
    positions = [(i, i + 1) for i in range(length)]
    data = presence_data(segments, positions, length)
    assert [row[0] for row in data] == [0, 0] + [1] * 8 + [0] * 4 + [1] * 6 + [0] * 4
    assert alpha_nominal(data).value == pytest.approx(0.329, abs=0.001)


def test_krippendorff_1995_digitized_case_d_has_no_variation():
    (a, b), length = krippendorff_1995("D")[0].values(), 24
    assert cohen_kappa(character_table(a, b, length)).reason == NO_VARIATION


# --- 2. uα: hand-built cases --------------------------------------------------------------------


def test_unitized_alpha_identical_codings():
    result = unitized_alpha({"ann": [(2, 5), (7, 9)], "bob": [(2, 5), (7, 9)]}, 10)
    assert result.value == 1.0
    assert result.observed == 0.0


def test_unitized_alpha_disjoint_codings():
    # L = 10, ann [0,5), bob [5,10). D_o: ann's unit inside bob's gap [0,5): 5² = 25, and bob's
    # unit inside ann's gap: 25; D_o = 2·50 / (2·1·10²) = 1/2.
    # D_e: N = 2 units of 5, gaps 5 and 5. Per unit (N−1)(2·125 − 75 + 5)/3 + 25·(1 + 1) = 60 + 50
    # = 110, two units 220; D_e = (2/10 · 220) / (20·19 − 2·20) = 44 / 340 = 11/85.
    # uα = 1 − (1/2)/(11/85) = 1 − 85/22 = −63/22.
    result = unitized_alpha({"ann": [(0, 5)], "bob": [(5, 10)]}, 10)
    assert result.observed == pytest.approx(0.5)
    assert result.expected == pytest.approx(11 / 85)
    assert result.value == pytest.approx(-63 / 22)


def test_unitized_alpha_one_coder_coded_nothing_is_defined():
    # uα stays defined (Krippendorff pools all coders' units and gaps): L = 10, ann [0,5), bob
    # nothing. D_o = 2·25 / (2·100) = 1/4. D_e: one unit of 5; gaps 5 (ann) and 10 (bob):
    # 25·(1 + 6) = 175; D_e = (2/10 · 175) / (20·19 − 20) = 35/360 = 7/72.
    # uα = 1 − (1/4)/(7/72) = 1 − 18/7 = −11/7.
    result = unitized_alpha({"ann": [(0, 5)], "bob": []}, 10)
    assert result.value == pytest.approx(-11 / 7)
    assert result.reason is None


def test_unitized_alpha_three_coders():
    # L = 10: ann and bob [0,5), cyd [5,10). Pairs: ann–bob 0, ann–cyd 50, bob–cyd 50 (as in the
    # disjoint case); D_o = 2·100 / (3·2·100) = 1/3.
    # D_e: three units of 5 (N = 3), three gaps of 5. Per unit 2·180/3 + 25·3 = 195, three: 585;
    # D_e = (2/10 · 585) / (30·29 − 3·20) = 117/810 = 13/90. uα = 1 − (1/3)/(13/90) = −17/13.
    result = unitized_alpha({"ann": [(0, 5)], "bob": [(0, 5)], "cyd": [(5, 10)]}, 10)
    assert result.observed == pytest.approx(1 / 3)
    assert result.expected == pytest.approx(13 / 90)
    assert result.value == pytest.approx(-17 / 13)


def test_unitized_alpha_merges_overlapping_codings_but_not_touching_ones():
    overlapping = unitized_alpha({"ann": [(0, 3), (2, 5)], "bob": [(0, 5)]}, 10)
    assert overlapping.value == 1.0
    touching = unitized_alpha({"ann": [(0, 3), (3, 5)], "bob": [(0, 5)]}, 10)
    assert touching.value < 1.0


def test_unitized_alpha_nobody_coded_is_undefined():
    result = unitized_alpha({"ann": [], "bob": []}, 10)
    assert (result.value, result.reason) == (None, NOBODY_CODED)


def test_unitized_alpha_every_position_a_unit_has_no_variation():
    # Each coder's continuum is all units of length 1: no gap, and l(l − 1) = 0, so D_e = 0.
    every = [(i, i + 1) for i in range(5)]
    result = unitized_alpha({"ann": every, "bob": every}, 5)
    assert (result.value, result.reason) == (None, NO_VARIATION)


def test_unitized_alpha_whole_continuum_as_one_unit_agrees():
    # Both coders mark the whole continuum as one unit: D_o = 0 and D_e > 0 (the unit could have
    # fallen anywhere), so uα = 1 by Krippendorff's definition; case D shows such data is valid.
    result = unitized_alpha({"ann": [(0, 10)], "bob": [(0, 10)]}, 10)
    assert result.value == 1.0


def test_unitized_alpha_needs_two_coders():
    result = unitized_alpha({"ann": [(0, 5)]}, 10)
    assert (result.value, result.reason) == (None, FEWER_THAN_TWO_CODERS)
    assert unitized_alpha({"ann": [], "bob": []}, 0).reason == EMPTY_CONTINUUM


def test_unitized_alpha_by_code_counts_a_coder_who_never_used_a_code():
    # bob never applied y: he is still a coder of y, with no units.
    overall = unitized_alpha_by_code({"y": {"ann": [(0, 5)]}}, ["ann", "bob"], 10)
    assert overall.per_code["y"].value == pytest.approx(-11 / 7)
    nobody = unitized_alpha_by_code({"y": {}}, ["ann", "bob"], 10)
    assert (nobody.value, nobody.reason) == (None, NO_VARIATION)
    with pytest.raises(ValueError):
        unitized_alpha_by_code({"y": {"cyd": [(0, 5)]}}, ["ann", "bob"], 10)


# --- 4. Segment agreement (MAXQDA) and Brennan & Prediger's kappa -------------------------------


@pytest.mark.parametrize(
    "b, matched",
    [
        ([(0, 100)], True),
        ([(5, 100)], True),  # overlap 95 / joint extent 100
        ([(0, 90)], True),  # exactly 90 %
        ([(0, 89)], False),
        ([(0, 95), (95, 100)], True),  # the first of two touching segments is enough
        ([(0, 50), (50, 100)], False),  # neither alone reaches 90 %
        ([(50, 150)], False),
    ],
)
def test_segment_matching_at_90_percent(b, matched):
    result = segment_agreement([(0, 100)], b, 200)
    assert result.matched_a == int(matched)


def test_segment_agreement_counts_both_sides():
    # ann: [0,100) matched by bob's [0,95); [200,210) unmatched. bob: [0,95) matched by ann's
    # [0,100), [300,320) unmatched. Share (1 + 1) / (2 + 2).
    result = segment_agreement([(0, 100), (200, 210)], [(0, 95), (300, 320)], 400)
    assert result == SegmentAgreement(matched_a=1, total_a=2, matched_b=1, total_b=2)
    assert (result.unmatched_a, result.unmatched_b) == (1, 1)
    assert result.value == 0.5


def test_segment_agreement_threshold_is_adjustable():
    assert segment_agreement([(0, 100)], [(0, 60)], 100, min_overlap=0.6).matched_a == 1
    assert segment_agreement([(0, 100)], [(0, 60)], 100, min_overlap=0.61).matched_a == 0
    with pytest.raises(ValueError):
        segment_agreement([(0, 100)], [(0, 60)], 100, min_overlap=0)


def test_segment_agreement_without_segments():
    result = segment_agreement([], [], 10)
    assert (result.value, result.reason) == (None, NO_SEGMENTS)


def test_segment_kappa_brennan_prediger():
    # Two codes: x fully matched (2 + 2 of 4), y half (1 + 1 of 4): p_o = 6/8 = 0.75.
    # p_c = 1/k = 1/2; κ = (0.75 − 0.5) / (1 − 0.5) = 0.5. With k = 4 codes in the analysis:
    # p_c = 0.25, κ = 0.5 / 0.75 = 2/3.
    per_code = {"x": SegmentAgreement(2, 2, 2, 2), "y": SegmentAgreement(1, 2, 1, 2)}
    result = segment_kappa(per_code)
    assert (result.p_observed, result.p_chance, result.value) == (0.75, 0.5, 0.5)
    assert segment_kappa(per_code, codes=4).value == pytest.approx(2 / 3)


def test_segment_kappa_undefined():
    one = segment_kappa({"x": SegmentAgreement(1, 1, 1, 1)})
    assert (one.value, one.reason) == (None, FEWER_THAN_TWO_CODES)
    assert segment_kappa({"x": SegmentAgreement(), "y": SegmentAgreement()}).reason == NO_SEGMENTS


# --- 5. Krippendorff's alpha on units ------------------------------------------------------------

# Krippendorff (2011): observers A–D (columns) × units 1–12 (rows), None for a missing value.
KRIPPENDORFF_2011 = [
    [1, 1, None, 1],
    [2, 2, 3, 2],
    [3, 3, 3, 3],
    [3, 3, 3, 3],
    [2, 2, 2, 2],
    [1, 2, 3, 4],
    [4, 4, 4, 4],
    [1, 1, 2, 1],
    [2, 2, 2, 2],
    [None, 5, 5, 5],
    [None, None, 1, 1],
    [None, 3, None, None],
]


@pytest.mark.parametrize(
    "level, value", [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)]
)
def test_krippendorff_2011_published_values(level, value):
    assert alpha(KRIPPENDORFF_2011, level).value == pytest.approx(value, abs=0.0005)


def test_krippendorff_2011_nominal_to_six_places():
    # n = 40 pairable values (unit 12 has one value and drops out); Σ disagreeing coincidences
    # = 8 and Σ_{c≠k} n_c n_k = 1216, so α = 1 − 39 · 8 / 1216 = 1 − 312/1216 = 0.743421.
    result = alpha_nominal(KRIPPENDORFF_2011)
    assert result.pairable == 40
    assert result.value == pytest.approx(1 - Fraction(39 * 8, 1216), abs=1e-12)
    assert round(result.value, 6) == 0.743421
    assert alpha_interval(KRIPPENDORFF_2011).value == pytest.approx(0.849, abs=0.0005)


@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_of_rows_counted_once_each_equals_alpha_of_every_row(level):
    # The same units given as distinct rows with their multiplicities (how the agreement pages
    # pass thousands of paragraphs nobody coded): the same coincidences, the same α.
    rows = KRIPPENDORFF_2011 + KRIPPENDORFF_2011[:5] + [[1, 1, None, 1]] * 7
    counted = Counter(tuple(row) for row in rows)
    assert len(counted) < len(rows)
    assert alpha(counted, level) == alpha(rows, level)


def test_alpha_identical_disjoint_and_three_coders():
    assert alpha_nominal([[1, 1], [0, 0], [1, 1]]).value == 1.0
    # Disjoint presence over two units: o_01 = o_10 = 2, n_0 = n_1 = 2, n = 4;
    # α = 1 − (n − 1)·Σo_{c≠k} / Σ_{c≠k} n_c n_k = 1 − 3·4/8 = −1/2.
    assert alpha_nominal([[1, 0], [0, 1]]).value == pytest.approx(-0.5)
    # Three coders: units (1, 1, 0) and (0, 0, 1): o_11 = o_00 = 1, o_01 = o_10 = 2, n_c = 3,
    # n = 6; α = 1 − 5·4 / (2·3·3) = −1/9.
    assert alpha_nominal([[1, 1, 0], [0, 0, 1]]).value == pytest.approx(-1 / 9)


def test_alpha_one_coder_marked_nothing_is_defined():
    # (1, 0) and (0, 0): o_10 = o_01 = 1, o_00 = 2; n_0 = 3, n_1 = 1, n = 4;
    # α = 1 − 3·2 / (2·3·1) = 0, the value of the formula, not an undefined one.
    result = alpha_nominal([[1, 0], [0, 0]])
    assert result.value == 0.0 and result.reason is None


@pytest.mark.parametrize(
    "data, reason",
    [
        ([[0, 0], [0, 0]], NO_VARIATION),
        ([[1, 1, 1]], NO_VARIATION),
        ([[1, None], [None, 0]], NO_PAIRABLE_VALUES),
        ([], NO_PAIRABLE_VALUES),
    ],
)
def test_alpha_undefined(data, reason):
    result = alpha_nominal(data)
    assert (result.value, result.reason) == (None, reason)


def test_alpha_refuses_an_unknown_level():
    with pytest.raises(ValueError):
        alpha([[1, 1]], "circular")


def test_presence_data_with_scope():
    # Paragraphs [0,10), [10,20), [20,30); bob was given only the first two to code.
    data = presence_data(
        {"ann": [(2, 4), (25, 26)], "bob": [(9, 11)]},
        [(0, 10), (10, 20), (20, 30)],
        30,
        scope={"bob": [(0, 20)]},
    )
    assert data == [[1, 1], [0, 1], [1, None]]


def test_presence_data_refuses_overlapping_units():
    with pytest.raises(ValueError):
        presence_data({"ann": []}, [(0, 10), (5, 15)], 20)


# --- Size ---------------------------------------------------------------------------------------


def test_a_large_study_gives_the_figures_its_construction_implies():
    # 200 interviews × 150,000 characters, three coders × 5,000 codings, 20,000 paragraphs: its
    # speed is measured by `manage.py bench` (agreement_table_large), never asserted here.
    length, step = 200 * 150_000, 5_987
    coders = {
        name: [((i * step + shift) % (length - 3_000), (i * step + shift) % (length - 3_000) + 900)
               for i in range(5_000)]
        for name, shift in (("ann", 0), ("bob", 40), ("cyd", 2_000))
    }  # fmt: skip
    paragraphs = [(i * 1_500, i * 1_500 + 1_400) for i in range(length // 1_500)]
    pairs = pairwise_mean(pairwise_tables(coders, length)).pairs
    # bob's passages are ann's moved by 40 of 900 characters; cyd's never meet hers.
    assert pairs[("ann", "bob")].value > 0.9 and pairs[("ann", "cyd")].value < 0
    segments = segment_agreement(coders["ann"], coders["bob"], length)
    assert (segments.matched_a, segments.total_a) == (5_000, 5_000)
    alpha_u = unitized_alpha(coders, length).value
    assert pairs[("ann", "cyd")].value < alpha_u < pairs[("ann", "bob")].value
    assert alpha_nominal(presence_data(coders, paragraphs, length)).value < 1
