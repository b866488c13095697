"""Inter-coder agreement over character ranges of a text continuum.

Pure Python, standard library only: no Django here, so the formulas can be read and tested alone.

Vocabulary. A *segment* is a character range ``(start, end)`` of Unicode code points, end
exclusive. The caller lays interviews end to end as one *continuum* of ``length`` characters and
passes absolute segments. A coder's segments of one code may overlap or touch (several codings):

- presence measures (the character table, presence per unit) take their **union**;
- unit measures (uα, MAXQDA-style segment matching) merge **overlapping** segments only, so two
  codings that merely touch stay two units, as Jill's adjacent units do in Krippendorff's (1995)
  case B.

Every measure returns a small frozen result with ``value`` (a float, or None when the measure is
undefined), the counts behind it, and ``reason`` (a sentence key, one of the constants below) when
``value`` is None. An undefined value is never reported as 0 or 1.

Everything is interval arithmetic over sorted segments (merge walks, bisection), never a loop over
characters. Formulas and their sources: docs/agreement-formulas.md.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import accumulate, combinations

Segment = tuple[int, int]

# Reasons given with an undefined value.
EMPTY_CONTINUUM = "empty continuum"
FEWER_THAN_TWO_CODERS = "fewer than two coders"
FEWER_THAN_TWO_CODES = "fewer than two codes"
NO_VARIATION = "no variation"
CODER_CODED_NOTHING = "a coder coded nothing"
CODER_CODED_EVERYTHING = "a coder coded everything"
NOBODY_CODED = "no coder applied this code"
NO_SEGMENTS = "no segments"
NO_PAIRABLE_VALUES = "no unit has two values"
NO_PAIR_DEFINED = "no pair of coders has a value"


# --- Segments ---------------------------------------------------------------------------------


def _checked(segments: Iterable[Segment], length: int) -> list[Segment]:
    """Sorted non-empty segments; a segment outside [0, length) or reversed is a caller's bug."""
    kept = []
    for start, end in segments:
        if not 0 <= start <= end <= length:
            raise ValueError(f"segment ({start}, {end}) is not inside [0, {length})")
        if start < end:
            kept.append((start, end))
    kept.sort()
    return kept


def _merge(segments: Iterable[Segment], length: int, *, touching: bool) -> list[Segment]:
    merged: list[Segment] = []
    for start, end in _checked(segments, length):
        if merged and (start < merged[-1][1] or (touching and start == merged[-1][1])):
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def union(segments: Iterable[Segment], length: int) -> list[Segment]:
    """The characters coded, as sorted disjoint segments (overlapping and touching ones merged)."""
    return _merge(segments, length, touching=True)


def units(segments: Iterable[Segment], length: int) -> list[Segment]:
    """A coder's units of one code: overlapping segments merged, touching ones kept apart."""
    return _merge(segments, length, touching=False)


def _covered(segments: Sequence[Segment]) -> int:
    return sum(end - start for start, end in segments)


def _overlap(a: Sequence[Segment], b: Sequence[Segment]) -> int:
    """Characters in both of two sorted disjoint segment lists (a merge walk)."""
    i = j = total = 0
    while i < len(a) and j < len(b):
        total += max(0, min(a[i][1], b[j][1]) - max(a[i][0], b[j][0]))
        if a[i][1] <= b[j][1]:
            i += 1
        else:
            j += 1
    return total


def group_codings(
    codings: Iterable[tuple[Hashable, Hashable, int, int]],
) -> dict[Hashable, dict[Hashable, list[Segment]]]:
    """``(code, coder, start, end)`` rows as ``{code: {coder: [segments]}}``."""
    grouped: dict[Hashable, dict[Hashable, list[Segment]]] = {}
    for code, coder, start, end in codings:
        grouped.setdefault(code, {}).setdefault(coder, []).append((start, end))
    return grouped


# --- 1. Character-level 2×2 table, percent agreement, Cohen's kappa ----------------------------


@dataclass(frozen=True)
class Table:
    """Characters coded by both coders, by A only, by B only, by neither. Tables add up (pooling)."""

    both: int = 0
    only_a: int = 0
    only_b: int = 0
    neither: int = 0

    def __add__(self, other: Table) -> Table:
        if not isinstance(other, Table):
            return NotImplemented
        return Table(
            self.both + other.both,
            self.only_a + other.only_a,
            self.only_b + other.only_b,
            self.neither + other.neither,
        )

    def __radd__(self, other: object) -> Table:
        if other == 0:  # sum(tables) starts from 0
            return self
        return NotImplemented

    @property
    def total(self) -> int:
        return self.both + self.only_a + self.only_b + self.neither

    @property
    def coded_a(self) -> int:
        return self.both + self.only_a

    @property
    def coded_b(self) -> int:
        return self.both + self.only_b


def character_table(a: Iterable[Segment], b: Iterable[Segment], length: int) -> Table:
    """The 2×2 table of two coders' codings of one code over a continuum of ``length`` characters."""
    ua, ub = union(a, length), union(b, length)
    both = _overlap(ua, ub)
    only_a, only_b = _covered(ua) - both, _covered(ub) - both
    return Table(both, only_a, only_b, length - both - only_a - only_b)


@dataclass(frozen=True)
class TableResult:
    value: float | None
    table: Table
    p_observed: float | None = None
    p_expected: float | None = None
    reason: str | None = None


def percent_agreement(table: Table) -> TableResult:
    """Share of characters on which the coders agree: (both + neither) / total (NVivo's figure)."""
    if table.total == 0:
        return TableResult(None, table, reason=EMPTY_CONTINUUM)
    p_o = (table.both + table.neither) / table.total
    return TableResult(p_o, table, p_observed=p_o)


def _degenerate_reason(table: Table) -> str | None:
    """Why kappa says nothing: a coder whose marginal is all or nothing makes p_e equal p_o."""
    n, a, b = table.total, table.coded_a, table.coded_b
    if n == 0:
        return EMPTY_CONTINUUM
    if (a == 0 and b == 0) or (a == n and b == n):
        return NO_VARIATION
    if a == 0 or b == 0:
        return CODER_CODED_NOTHING
    if a == n or b == n:
        return CODER_CODED_EVERYTHING
    return None


def cohen_kappa(table: Table) -> TableResult:
    """Cohen (1960): κ = (p_o − p_e) / (1 − p_e), with p_e from the two coders' marginals."""
    reason = _degenerate_reason(table)
    if reason:
        return TableResult(None, table, reason=reason)
    n, a, b = table.total, table.coded_a, table.coded_b
    p_o = Fraction(table.both + table.neither, n)
    p_e = Fraction(a * b + (n - a) * (n - b), n * n)
    kappa = (p_o - p_e) / (1 - p_e)
    return TableResult(float(kappa), table, float(p_o), float(p_e))


def pairwise_tables(
    segments_by_coder: Mapping[Hashable, Iterable[Segment]], length: int
) -> dict[tuple[Hashable, Hashable], Table]:
    """The character table of every pair of coders (in the mapping's order) for one code."""
    coders = {coder: union(segs, length) for coder, segs in segments_by_coder.items()}
    return {
        (ca, cb): character_table(coders[ca], coders[cb], length)
        for ca, cb in combinations(coders, 2)
    }


def pool(
    *table_maps: Mapping[tuple[Hashable, Hashable], Table],
) -> dict[tuple[Hashable, Hashable], Table]:
    """Pairwise tables summed pair by pair: pooled over codes (or over separate continua)."""
    pooled: dict[tuple[Hashable, Hashable], Table] = {}
    for tables in table_maps:
        for pair, table in tables.items():
            pooled[pair] = pooled.get(pair, Table()) + table
    return pooled


@dataclass(frozen=True)
class PairwiseResult:
    value: float | None  # mean over the pairs that have a value
    pairs: dict[tuple[Hashable, Hashable], TableResult]
    reason: str | None = None


def pairwise_mean(
    tables: Mapping[tuple[Hashable, Hashable], Table],
    measure: Callable[[Table], TableResult] = cohen_kappa,
) -> PairwiseResult:
    """A table measure for every pair of coders, and its mean over the pairs where it is defined."""
    pairs = {pair: measure(table) for pair, table in tables.items()}
    if not pairs:
        return PairwiseResult(None, pairs, FEWER_THAN_TWO_CODERS)
    values = [r.value for r in pairs.values() if r.value is not None]
    if not values:
        return PairwiseResult(None, pairs, NO_PAIR_DEFINED)
    return PairwiseResult(sum(values) / len(values), pairs)


# --- 2. Krippendorff's unitized alpha (uα, 1995 / 2004) ----------------------------------------

Piece = tuple[int, int, bool]  # (start, end, is a unit of the code); gaps have False


def _pieces(unit_list: Sequence[Segment], length: int) -> list[Piece]:
    """A coder's continuum cut into the code's units and the gaps between them."""
    pieces: list[Piece] = []
    position = 0
    for start, end in unit_list:
        if start > position:
            pieces.append((position, start, False))
        pieces.append((start, end, True))
        position = end
    if position < length:
        pieces.append((position, length, False))
    return pieces


def _delta2(g: Piece, h: Piece) -> int:
    """δ² of two intersecting pieces of two coders (Krippendorff 1995, 2004).

    Two units: squared differences of their beginnings and of their ends. A unit inside the other
    coder's gap: its squared length. Anything else (a gap with a gap, a unit partly in a gap): 0.
    """
    (gs, ge, g_unit), (hs, he, h_unit) = g, h
    if g_unit and h_unit:
        return (gs - hs) ** 2 + (ge - he) ** 2
    if g_unit and hs <= gs and ge <= he:
        return (ge - gs) ** 2
    if h_unit and gs <= hs and he <= ge:
        return (he - hs) ** 2
    return 0


def _observed_pair(p: Sequence[Piece], q: Sequence[Piece]) -> int:
    """Σ δ² over every intersecting pair of pieces of two coders (a merge walk)."""
    i = j = total = 0
    while i < len(p) and j < len(q):
        total += _delta2(p[i], q[j])
        end_p, end_q = p[i][1], q[j][1]
        i += end_p <= end_q
        j += end_q <= end_p
    return total


def _expected(pieces: Sequence[Sequence[Piece]], length: int) -> Fraction:
    """D_e of Krippendorff (2004), as DKPro Statistics computes it (docs/agreement-formulas.md).

    D_e = 2/L · Σ_g [ (N−1)(2l³ − 3l² + l)/3 + l² Σ_{gaps h, l_h ≥ l} (l_h − l + 1) ]
          / [ mL(mL − 1) − Σ_g l(l − 1) ]
    over every coder's units g (length l, N of them) and every coder's gaps h.
    """
    m = len(pieces)
    lengths = [e - s for coder in pieces for s, e, unit in coder if unit]
    gaps = sorted(e - s for coder in pieces for s, e, unit in coder if not unit)
    gap_sums = list(accumulate(reversed(gaps), initial=0))[::-1]  # gap_sums[k] = Σ gaps[k:]
    n = len(lengths)
    numerator = 0  # three times the bracketed sum, kept in integers
    for ln in lengths:
        k = bisect_left(gaps, ln)
        fitting = gap_sums[k] - (ln - 1) * (len(gaps) - k)
        numerator += (n - 1) * ln * (ln - 1) * (2 * ln - 1) + 3 * ln * ln * fitting
    denominator = m * length * (m * length - 1) - sum(ln * (ln - 1) for ln in lengths)
    return Fraction(2 * numerator, 3 * length * denominator)


@dataclass(frozen=True)
class UnitizedResult:
    value: float | None
    observed: float | None  # D_o
    expected: float | None  # D_e
    coders: int
    units: int  # N, the code's units over all coders
    length: int
    reason: str | None = None


def unitized_alpha(
    segments_by_coder: Mapping[Hashable, Iterable[Segment]], length: int
) -> UnitizedResult:
    """Krippendorff's uα for one code against its absence: 1 − D_o / D_e.

    ``segments_by_coder`` names every coder of the study, with an empty list for one who did not
    apply the code. D_o = 2 Σ_{i<j} Σ δ² / (m(m−1)L²); D_e: see ``_expected``.
    """
    m = len(segments_by_coder)
    if m < 2 or length <= 0:
        reason = FEWER_THAN_TWO_CODERS if m < 2 else EMPTY_CONTINUUM
        return UnitizedResult(None, None, None, m, 0, max(length, 0), reason)
    pieces = [_pieces(units(segs, length), length) for segs in segments_by_coder.values()]
    n = sum(unit for coder in pieces for _, _, unit in coder)
    pair_sum = sum(_observed_pair(p, q) for p, q in combinations(pieces, 2))
    d_o = Fraction(2 * pair_sum, m * (m - 1) * length * length)
    d_e = _expected(pieces, length)
    if d_e == 0:
        reason = NOBODY_CODED if n == 0 else NO_VARIATION
        return UnitizedResult(None, float(d_o), 0.0, m, n, length, reason)
    return UnitizedResult(float(1 - d_o / d_e), float(d_o), float(d_e), m, n, length)


@dataclass(frozen=True)
class UnitizedOverall:
    value: float | None
    observed: float  # Σ D_o over the codes
    expected: float  # Σ D_e over the codes
    per_code: dict[Hashable, UnitizedResult]
    reason: str | None = None


def unitized_alpha_by_code(
    by_code: Mapping[Hashable, Mapping[Hashable, Iterable[Segment]]],
    coders: Sequence[Hashable],
    length: int,
) -> UnitizedOverall:
    """uα of every code, and overall 1 − Σ D_o / Σ D_e over the codes (Krippendorff 1995).

    ``coders`` lists every coder of the study: one who never applied a code is a coder of it too.
    """
    for by_coder in by_code.values():
        if unknown := set(by_coder) - set(coders):
            raise ValueError(f"coders not listed in coders: {sorted(map(str, unknown))}")
    per_code = {
        code: unitized_alpha({c: by_coder.get(c, ()) for c in coders}, length)
        for code, by_coder in by_code.items()
    }
    d_o = sum(r.observed or 0.0 for r in per_code.values())
    d_e = sum(r.expected or 0.0 for r in per_code.values())
    if len(coders) < 2:
        return UnitizedOverall(None, d_o, d_e, per_code, FEWER_THAN_TWO_CODERS)
    if d_e == 0:
        return UnitizedOverall(None, d_o, d_e, per_code, NO_VARIATION)
    return UnitizedOverall(1 - d_o / d_e, d_o, d_e, per_code)


# --- 4. Segment agreement as MAXQDA reports it, Brennan & Prediger's kappa ---------------------


def _threshold(min_overlap: float | Fraction) -> Fraction:
    share = Fraction(str(min_overlap)) if isinstance(min_overlap, float) else Fraction(min_overlap)
    if not 0 < share <= 1:
        raise ValueError("min_overlap is a share in (0, 1], 0.9 for MAXQDA's 90 %")
    return share


def _matched(xs: Sequence[Segment], ys: Sequence[Segment], share: Fraction) -> int:
    """How many of ``xs`` overlap some of ``ys`` by ≥ share of the two segments' joint extent."""
    y_ends = [end for _, end in ys]  # ys are disjoint, so their ends are sorted too
    matched = 0
    for start, end in xs:
        k = bisect_right(y_ends, start)
        while k < len(ys) and ys[k][0] < end:
            inter = min(end, ys[k][1]) - max(start, ys[k][0])
            joint = max(end, ys[k][1]) - min(start, ys[k][0])
            if inter >= share * joint:
                matched += 1
                break
            k += 1
    return matched


@dataclass(frozen=True)
class SegmentAgreement:
    """Each coder's segments of a code, and how many the other coder matched. Adds up over codes."""

    matched_a: int = 0
    total_a: int = 0
    matched_b: int = 0
    total_b: int = 0

    def __add__(self, other: SegmentAgreement) -> SegmentAgreement:
        if not isinstance(other, SegmentAgreement):
            return NotImplemented
        return SegmentAgreement(
            self.matched_a + other.matched_a,
            self.total_a + other.total_a,
            self.matched_b + other.matched_b,
            self.total_b + other.total_b,
        )

    def __radd__(self, other: object) -> SegmentAgreement:
        if other == 0:
            return self
        return NotImplemented

    @property
    def unmatched_a(self) -> int:
        return self.total_a - self.matched_a

    @property
    def unmatched_b(self) -> int:
        return self.total_b - self.matched_b

    @property
    def value(self) -> float | None:
        """Matched segments of both coders over all their segments (MAXQDA's percentage)."""
        total = self.total_a + self.total_b
        return (self.matched_a + self.matched_b) / total if total else None

    @property
    def reason(self) -> str | None:
        return None if self.total_a + self.total_b else NO_SEGMENTS


def segment_agreement(
    a: Iterable[Segment], b: Iterable[Segment], length: int, min_overlap: float = 0.9
) -> SegmentAgreement:
    """Two coders' segments of one code, matched in the manner of MAXQDA's segment-level check.

    A segment counts as matched when the other coder has a segment of the same code overlapping
    it by at least ``min_overlap`` of the two segments' joint extent (overlap / union). That
    reading of MAXQDA's "overlap percentage" is unverified: see docs/agreement-formulas.md.
    """
    share = _threshold(min_overlap)
    ua, ub = units(a, length), units(b, length)
    return SegmentAgreement(_matched(ua, ub, share), len(ua), _matched(ub, ua, share), len(ub))


@dataclass(frozen=True)
class SegmentKappa:
    value: float | None
    p_observed: float | None
    p_chance: float | None
    codes: int
    counts: SegmentAgreement
    reason: str | None = None


def segment_kappa(
    per_code: Mapping[Hashable, SegmentAgreement], codes: int | None = None
) -> SegmentKappa:
    """Brennan & Prediger (1981) κ_n = (p_o − 1/k) / (1 − 1/k), as MAXQDA computes it.

    p_o is the share of matched segments over all codes; k, the number of codes in the analysis
    (by default the number of codes given).
    """
    counts = sum(per_code.values(), SegmentAgreement())
    k = len(per_code) if codes is None else codes
    if counts.reason:
        return SegmentKappa(None, None, None, k, counts, counts.reason)
    if k < 2:
        return SegmentKappa(None, counts.value, None, k, counts, FEWER_THAN_TWO_CODES)
    p_o, p_c = counts.value, 1 / k
    return SegmentKappa((p_o - p_c) / (1 - p_c), p_o, p_c, k, counts)


# --- 5. Krippendorff's alpha on reliability data (units × coders, missing values) --------------


Data = Iterable[Sequence[Hashable | None]] | Mapping[tuple[Hashable | None, ...], int]


def _coincidences(data: Data) -> Counter:
    """o_ck = Σ_u (number of c–k pairs of values in unit u) / (m_u − 1) (Krippendorff 2011).

    Pair counts are summed as integers per m_u, then divided once per (c, k, m_u). `data` is one
    row per unit, or a mapping of distinct rows to how many units have them (the same sums).
    """
    pairs: Counter = Counter()
    rows = data.items() if isinstance(data, Mapping) else ((row, 1) for row in data)
    for row, weight in rows:
        counts = Counter(v for v in row if v is not None)
        m_u = sum(counts.values())
        if m_u < 2:
            continue  # a unit with fewer than two values cannot be paired
        for c, n_c in counts.items():
            for k, n_k in counts.items():
                pairs[c, k, m_u] += weight * n_c * (n_k - (c == k))
    o: Counter = Counter()
    for (c, k, m_u), count in pairs.items():
        o[c, k] += Fraction(count, m_u - 1)
    return o


def _nominal(c, k, marginals) -> Fraction:
    return Fraction(c != k)


def _interval(c, k, marginals) -> Fraction:
    return Fraction(c - k) ** 2


def _ratio(c, k, marginals) -> Fraction:
    return (Fraction(c - k) / (c + k)) ** 2 if c + k else Fraction(0)


def _ordinal(c, k, marginals) -> Fraction:
    """(Σ_{g between c and k} n_g − (n_c + n_k)/2)², values ranked by their order."""
    low, high = min(c, k), max(c, k)
    between = sum(n for value, n in marginals.items() if low <= value <= high)
    return (between - (marginals[c] + marginals[k]) / 2) ** 2


METRICS = {"nominal": _nominal, "ordinal": _ordinal, "interval": _interval, "ratio": _ratio}


@dataclass(frozen=True)
class AlphaResult:
    value: float | None
    observed: float | None  # D_o
    expected: float | None  # D_e
    pairable: int  # n, the values in units with two or more values
    level: str
    reason: str | None = None


def alpha(data: Data, level: str = "nominal") -> AlphaResult:
    """Krippendorff's α = 1 − D_o / D_e from the coincidence matrix (Krippendorff 2011).

    ``data`` has one row per unit and one column per coder; None is a missing value. It may also
    be a mapping of distinct rows (tuples) to how many units have them: thousands of paragraphs
    that no coder coded are then one row.
    D_o = Σ o_ck δ²_ck / n and D_e = Σ n_c n_k δ²_ck / (n(n − 1)).
    """
    if level not in METRICS:
        raise ValueError(f"level is one of {', '.join(METRICS)}")
    delta2 = METRICS[level]
    o = _coincidences(data)
    marginals: Counter = Counter()
    for (c, _), count in o.items():
        marginals[c] += count
    n = sum(marginals.values())
    if n == 0:
        return AlphaResult(None, None, None, 0, level, NO_PAIRABLE_VALUES)
    d_o = sum(count * delta2(c, k, marginals) for (c, k), count in o.items()) / n
    d_e = sum(
        n_c * n_k * delta2(c, k, marginals)
        for c, n_c in marginals.items()
        for k, n_k in marginals.items()
    ) / (n * (n - 1))
    if d_e == 0:
        return AlphaResult(None, float(d_o), 0.0, int(n), level, NO_VARIATION)
    return AlphaResult(float(1 - d_o / d_e), float(d_o), float(d_e), int(n), level)


def alpha_nominal(data: Data) -> AlphaResult:
    return alpha(data, "nominal")


def alpha_interval(data: Data) -> AlphaResult:
    return alpha(data, "interval")


def _present(segments: Sequence[Segment], unit_list: Sequence[Segment]) -> list[int]:
    """1 for each unit sharing at least one character with the segments, else 0."""
    flags, j = [], 0
    for start, end in unit_list:
        while j < len(segments) and segments[j][1] <= start:
            j += 1
        flags.append(int(j < len(segments) and segments[j][0] < end))
    return flags


def _inside(scope: Sequence[Segment], unit_list: Sequence[Segment]) -> list[bool]:
    """True for each unit lying wholly inside the scope's segments."""
    flags, j = [], 0
    for start, end in unit_list:
        while j < len(scope) and scope[j][1] <= start:
            j += 1
        flags.append(j < len(scope) and scope[j][0] <= start and end <= scope[j][1])
    return flags


def presence_data(
    segments_by_coder: Mapping[Hashable, Iterable[Segment]],
    unit_bounds: Iterable[Segment],
    length: int,
    scope: Mapping[Hashable, Iterable[Segment]] | None = None,
) -> list[list[int | None]]:
    """Reliability data for ``alpha``: one row per unit (paragraph, turn), one column per coder.

    1 when the coder's segments of the code touch at least one character of the unit, 0 when not;
    None (missing) for a unit outside the coder's ``scope`` (the ranges that coder was given to
    code), when a scope is given for that coder. Units must not overlap.
    """
    unit_list = _checked(unit_bounds, length)
    if any(a[1] > b[0] for a, b in zip(unit_list, unit_list[1:], strict=False)):
        raise ValueError("units overlap")
    columns = []
    for coder, segs in segments_by_coder.items():
        flags: list[int | None] = list(_present(union(segs, length), unit_list))
        if scope is not None and coder in scope:
            inside = _inside(union(scope[coder], length), unit_list)
            flags = [f if ok else None for f, ok in zip(flags, inside, strict=True)]
        columns.append(flags)
    return [list(row) for row in zip(*columns, strict=True)] if columns else []
