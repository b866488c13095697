"""The agreement figures of a selection (agreement/selection.py), from the codings stored.

Whatever made the codings (the coding page, an import, a script), the figures read them with one
ordered query, lay the interviews end to end as one continuum of characters (code points), and
hand sorted segments to agreement/metrics.py, which does the arithmetic on intervals (no loop over
characters). docs/agreement.md says what each figure means.

Per code: percent agreement and Cohen's κ on characters (pairwise, then their mean), Krippendorff's
uα (all coders at once), MAXQDA-style segment agreement (pairwise, then their mean), Krippendorff's
α (nominal) on the code's presence in paragraphs or turns. Overall: the character tables pooled
over the codes, uα as 1 − ΣD_o/ΣD_e, segments pooled with Brennan & Prediger's κ, α over every
(code, unit). Optionally per code × interview (`cells=True`): the XLSX and the code's detail.
"""

import threading
from bisect import bisect_left, bisect_right
from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from django.db import connection
from django.utils.translation import gettext_lazy

from agreement import metrics
from agreement.selection import Selection
from interviews import texts as interview_texts
from interviews.models import Interview, Turn
from interviews.transcripts import blocks
from verbatim.people import name

# Krippendorff's (2004) thresholds for α, applied to every chance-corrected figure.
RELIABLE, TENTATIVE = 0.800, 0.667

# What an undefined figure means, in words (keys: agreement.metrics' reasons, as the JSON gives them).
REASONS = {
    metrics.EMPTY_CONTINUUM: gettext_lazy("no text to compare"),
    metrics.FEWER_THAN_TWO_CODERS: gettext_lazy("fewer than two coders"),
    metrics.FEWER_THAN_TWO_CODES: gettext_lazy("fewer than two codes were applied"),
    metrics.NO_VARIATION: gettext_lazy("no variation: nothing to tell agreement from chance"),
    metrics.CODER_CODED_NOTHING: gettext_lazy("a coder did not apply this code"),
    metrics.CODER_CODED_EVERYTHING: gettext_lazy("a coder coded every character"),
    metrics.NOBODY_CODED: gettext_lazy("no coder applied this code"),
    metrics.NO_SEGMENTS: gettext_lazy("no segments"),
    metrics.NO_PAIRABLE_VALUES: gettext_lazy("no unit was coded by two coders"),
    metrics.NO_PAIR_DEFINED: gettext_lazy("undefined for every pair of coders"),
}


def band(value: float | None) -> str:
    """ "reliable", "tentative", "unreliable", or "undefined"."""
    if value is None:
        return "undefined"
    if value >= RELIABLE:
        return "reliable"
    return "tentative" if value >= TENTATIVE else "unreliable"


@dataclass(frozen=True)
class Figure:
    """One figure: its value, or None with the reason (a metrics.* reason key)."""

    value: float | None
    reason: str | None = None

    @property
    def band(self) -> str:
        return band(self.value)


def _figure(result) -> Figure:
    return Figure(result.value, result.reason)


def _pairwise(tables: dict, measure) -> Figure:
    """The mean of a table measure over the pairs where it is defined; when it is defined for none,
    the pairs' reason if they share one (always so with two coders)."""
    result = metrics.pairwise_mean(tables, measure)
    reasons = {pair.reason for pair in result.pairs.values()}
    if result.value is None and len(reasons) == 1:
        return Figure(None, reasons.pop())
    return _figure(result)


@dataclass
class PairFigures:
    """Two coders' figures for one code (or pooled over the codes)."""

    first: object  # users
    second: object
    table: metrics.Table
    segments: metrics.SegmentAgreement
    percent: Figure
    kappa: Figure


@dataclass
class CellFigures:
    """One code in one interview."""

    interview: object  # selection.InterviewInfo
    pairs: list[PairFigures]
    percent: Figure
    kappa: Figure
    alpha_u: Figure
    coded: dict[int, int]  # coder id → characters coded

    @property
    def anyone_coded(self) -> bool:
        return any(self.coded.values())


@dataclass
class CodeFigures:
    code: object
    path: str
    length: int  # characters of the continuum
    coded: dict[int, int]  # coder id → characters coded (overlaps once)
    segments: dict[int, int]  # coder id → segments (overlapping codings as one)
    pairs: list[PairFigures]
    percent: Figure
    kappa: Figure
    alpha_u: Figure
    segment: Figure
    alpha_nominal: Figure
    units: int  # uα's N, the code's units over all coders
    presence_units: int  # paragraphs or turns
    cells: list[CellFigures] = field(default_factory=list)

    @property
    def anyone_coded(self) -> bool:
        return any(self.coded.values())


@dataclass
class OverallFigures:
    pairs: list[PairFigures]
    percent: Figure
    kappa: Figure
    alpha_u: Figure
    segment: Figure
    segment_kappa: Figure
    alpha_nominal: Figure
    codes_used: int  # codes someone applied: Brennan & Prediger's k


@dataclass
class Figures:
    selection: Selection
    codes: list[CodeFigures]
    overall: OverallFigures
    codings: int  # codings read

    def as_json(self) -> dict:
        """The shape `manage.py agreement --json` writes (docs/agreement.md): fractions, None
        where a figure is undefined (its reason in `reasons`)."""
        s = self.selection
        return {
            "project": s.project.pk,
            "coders": [coder.username for coder in s.coders],
            "interviews": [interview.pk for interview in s.interviews],
            "characters": s.length,
            "settings": s.as_settings(),
            "codes": [_code_json(code, s) for code in self.codes],
            "overall": {
                **_values(
                    percent_agreement=self.overall.percent,
                    kappa=self.overall.kappa,
                    alpha_u=self.overall.alpha_u,
                    segment_agreement=self.overall.segment,
                    segment_kappa=self.overall.segment_kappa,
                    alpha_nominal=self.overall.alpha_nominal,
                ),
                "codes_used": self.overall.codes_used,
                "pairs": [_pair_json(pair) for pair in self.overall.pairs],
            },
        }


def compute(selection: Selection, *, cells: bool = False, code_ids=None) -> Figures:
    """Every figure of the selection (of the codes `code_ids` only, when given)."""
    codes = [(c, p) for c, p in selection.codes if code_ids is None or c.pk in code_ids]
    coder_ids = [coder.pk for coder in selection.coders]
    rows = _segments(selection, [code.pk for code, _path in codes], coder_ids)
    offsets = {interview.pk: interview.offset for interview in selection.interviews}
    length = selection.length
    by_code: dict[int, dict[int, list]] = {}
    for code_id, coder_id, interview_id, start, end in rows:
        shift = offsets[interview_id]
        by_code.setdefault(code_id, {}).setdefault(coder_id, []).append(
            (start + shift, end + shift)
        )
    unitized = metrics.unitized_alpha_by_code(
        {code.pk: by_code.get(code.pk, {}) for code, _path in codes}, coder_ids, length
    )
    unit_bounds = _unit_bounds(selection)
    pairs = selection.pairs
    figures, all_presence = [], Counter()
    for code, path in codes:
        per_coder = {pk: by_code.get(code.pk, {}).get(pk, []) for pk in coder_ids}
        code_figures, presence = _code(
            selection, code, path, per_coder, unit_bounds, unitized.per_code[code.pk]
        )
        all_presence.update(presence)
        if cells:
            code_figures.cells = _cells(selection, per_coder)
        figures.append(code_figures)
    return Figures(
        selection,
        figures,
        _overall(selection, figures, unitized, all_presence, pairs),
        codings=len(rows),
    )


def _segments(selection: Selection, code_ids: list[int], coder_ids: list[int]) -> list[tuple]:
    """Every coding of the chosen coders, codes and interviews, in one query, in continuum order:
    the interviews in the selection's order, each one's codings by start. One small sort per
    interview (its index), where ordering all the rows at once spilled to disk at size L (80,000
    rows); grouped by code and coder, each list is then already sorted for agreement.metrics."""
    visible, params = selection.seen.sql("c")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT c.code_id, c.coder_id, c.interview_id, c.start, c."end"
              FROM unnest(%s::bigint[]) WITH ORDINALITY AS chosen(interview_id, position)
             CROSS JOIN LATERAL (
                   SELECT * FROM coding_coding c
                    WHERE c.interview_id = chosen.interview_id AND c.coder_id = ANY(%s)
                      AND c.code_id = ANY(%s) AND {visible}
                    ORDER BY c.start, c."end") c
             ORDER BY chosen.position
            """,
            [[i.pk for i in selection.interviews], coder_ids, code_ids, *params],
        )
        return cursor.fetchall()


class _Bounds(NamedTuple):
    """What interviews.transcripts.blocks reads of a turn."""

    start: int
    end: int


@dataclass(frozen=True)
class Units:
    """The paragraphs (or turns) of the continuum, in order, as absolute [start, end)."""

    bounds: list[tuple[int, int]]
    starts: list[int]
    ends: list[int]


# An interview's text and turns never change once stored (migration interviews 0002), so its
# paragraphs and turns are cut once per process, keyed by its id and text checksum: a selection of
# 200 interviews then reads 200 checksums, not 200 transcripts.
_unit_cache: dict[tuple[int, str, str], list[tuple[int, int]]] = {}
_unit_cache_lock = threading.Lock()  # production workers serve several threads
UNIT_CACHE_SIZE = 2_000


def _unit_bounds(selection: Selection) -> Units:
    ids = [interview.pk for interview in selection.interviews]
    checksums = dict(Interview.objects.filter(pk__in=ids).values_list("pk", "checksum"))
    keys = {pk: (pk, checksums[pk], selection.unit) for pk in ids}
    missing = [pk for pk in ids if keys[pk] not in _unit_cache]
    if missing:
        texts = dict(interview_texts.in_order((pk, checksums[pk]) for pk in missing))
        turns: dict[int, list] = {}
        rows = Turn.objects.filter(interview_id__in=missing).order_by("interview_id", "start")
        for interview_id, start, end in rows.values_list("interview_id", "start", "end"):
            turns.setdefault(interview_id, []).append(_Bounds(start, end))
        for pk in missing:
            found = _cut(texts[pk], turns.get(pk, []), selection.unit)
            with _unit_cache_lock:
                if len(_unit_cache) >= UNIT_CACHE_SIZE:
                    _unit_cache.pop(next(iter(_unit_cache)))  # the oldest entry
                _unit_cache[keys[pk]] = found
    bounds = []
    for interview in selection.interviews:
        shift = interview.offset
        bounds += [(start + shift, end + shift) for start, end in _unit_cache[keys[interview.pk]]]
    return Units(bounds, [start for start, _end in bounds], [end for _start, end in bounds])


def _cut(text: str, turns: list, unit: str) -> list[tuple[int, int]]:
    if unit == "turn":
        return [(block.start, block.end) for block in blocks(text, turns)]
    return [(p.start, p.start + len(p.text)) for b in blocks(text, turns) for p in b.paragraphs]


def _code(selection, code, path, per_coder, units: Units, unitized) -> tuple[CodeFigures, Counter]:
    length = selection.length
    coders = selection.coders
    unions = {pk: metrics.union(segs, length) for pk, segs in per_coder.items()}
    pair_figures = []
    tables, segment_counts = {}, {}
    for i, j in selection.pairs:
        a, b = coders[i].pk, coders[j].pk
        tables[i, j] = metrics.character_table(unions[a], unions[b], length)
        segment_counts[i, j] = metrics.segment_agreement(
            per_coder[a], per_coder[b], length, selection.min_overlap
        )
        pair_figures.append(_pair(coders[i], coders[j], tables[i, j], segment_counts[i, j]))
    presence = _presence(unions, units)
    # Each coder's segments (overlapping codings as one), as the pairs counted them.
    segments = {}
    for (i, j), counts in segment_counts.items():
        segments[coders[i].pk], segments[coders[j].pk] = counts.total_a, counts.total_b
    return (
        CodeFigures(
            code=code,
            path=path,
            length=length,
            coded={pk: sum(e - s for s, e in union) for pk, union in unions.items()},
            segments=segments,
            pairs=pair_figures,
            percent=_pairwise(tables, metrics.percent_agreement),
            kappa=_pairwise(tables, metrics.cohen_kappa),
            alpha_u=_figure(unitized),
            segment=_segment_mean(segment_counts),
            alpha_nominal=_figure(metrics.alpha_nominal(presence)),
            units=unitized.units,
            presence_units=len(units.bounds),
        ),
        presence,
    )


def _pair(first, second, table: metrics.Table, segments: metrics.SegmentAgreement):
    return PairFigures(
        first,
        second,
        table,
        segments,
        _figure(metrics.percent_agreement(table)),
        _figure(metrics.cohen_kappa(table)),
    )


def _segment_mean(counts: dict) -> Figure:
    values = [c.value for c in counts.values() if c.value is not None]
    if not values:
        return Figure(None, metrics.NO_SEGMENTS)
    return Figure(sum(values) / len(values))


def _presence(unions: dict[int, list], units: Units) -> Counter:
    """metrics.presence_data's rows (1 when a coder's codings share a character with the unit,
    else 0), counted as distinct rows: the units no coder reached are one row of absences with
    their number, so α costs the coded units, not the thousands of paragraphs. The same α
    (tests/agreement/test_figures.py compares it with presence_data over every unit)."""
    present: dict[int, int] = {}  # unit index → one bit per coder who reached it
    for bit, union in enumerate(unions.values()):
        for start, end in union:  # sorted, disjoint: each reaches a run of units (bisection)
            for i in range(bisect_right(units.ends, start), bisect_left(units.starts, end)):
                present[i] = present.get(i, 0) | 1 << bit
    coders = len(unions)
    rows = Counter(
        {
            tuple(mask >> bit & 1 for bit in range(coders)): n
            for mask, n in Counter(present.values()).items()
        }
    )
    if untouched := len(units.bounds) - len(present):
        rows[(0,) * coders] += untouched
    return rows


def _cells(selection: Selection, per_coder: dict[int, list]) -> list[CellFigures]:
    """The code in each interview: its segments shifted back to the interview's own offsets."""
    coders = selection.coders
    found = []
    for interview in selection.interviews:
        low, high = interview.offset, interview.offset + interview.length
        local = {
            pk: [(s - low, e - low) for s, e in segs if low <= s < high]
            for pk, segs in per_coder.items()
        }
        tables = {}
        pair_figures = []
        for i, j in selection.pairs:
            a, b = coders[i].pk, coders[j].pk
            tables[i, j] = metrics.character_table(local[a], local[b], interview.length)
            segments = metrics.segment_agreement(
                local[a], local[b], interview.length, selection.min_overlap
            )
            pair_figures.append(_pair(coders[i], coders[j], tables[i, j], segments))
        found.append(
            CellFigures(
                interview=interview,
                pairs=pair_figures,
                percent=_pairwise(tables, metrics.percent_agreement),
                kappa=_pairwise(tables, metrics.cohen_kappa),
                alpha_u=_figure(metrics.unitized_alpha(local, interview.length)),
                coded={
                    pk: sum(e - s for s, e in metrics.union(segs, interview.length))
                    for pk, segs in local.items()
                },
            )
        )
    return found


def _overall(selection, figures: list[CodeFigures], unitized, presence, pairs) -> OverallFigures:
    coders = selection.coders
    used = [code for code in figures if code.anyone_coded]
    pooled = []
    tables = {}
    k = len(used)
    kappas = []
    for index, (i, j) in enumerate(pairs):
        table = sum((code.pairs[index].table for code in figures), metrics.Table())
        segments = {code.code.pk: code.pairs[index].segments for code in used}
        tables[i, j] = table
        pooled.append(
            _pair(coders[i], coders[j], table, sum(segments.values(), metrics.SegmentAgreement()))
        )
        kappas.append(metrics.segment_kappa(segments, codes=k))
    segment_kappa = [r.value for r in kappas if r.value is not None]
    return OverallFigures(
        pairs=pooled,
        percent=_pairwise(tables, metrics.percent_agreement),
        kappa=_pairwise(tables, metrics.cohen_kappa),
        alpha_u=_figure(unitized),
        segment=_segment_mean({pair: p.segments for pair, p in zip(pairs, pooled, strict=True)}),
        segment_kappa=(
            Figure(sum(segment_kappa) / len(segment_kappa))
            if segment_kappa
            else Figure(None, kappas[0].reason if kappas else metrics.FEWER_THAN_TWO_CODERS)
        ),
        alpha_nominal=_figure(metrics.alpha_nominal(presence)),
        codes_used=k,
    )


# --- JSON ------------------------------------------------------------------------------------


def _values(**figures: Figure) -> dict:
    values = {key: _fraction(figure.value) for key, figure in figures.items()}
    reasons = {key: figure.reason for key, figure in figures.items() if figure.value is None}
    return {**values, "reasons": reasons}


def _fraction(value: float | None) -> float | None:
    return None if value is None else round(value, 6)


def _pair_json(pair: PairFigures) -> dict:
    t, s = pair.table, pair.segments
    return {
        "coders": [pair.first.username, pair.second.username],
        **_values(percent_agreement=pair.percent, kappa=pair.kappa),
        "segment_agreement": _fraction(s.value),
        "characters": {
            "both": t.both,
            "only_first": t.only_a,
            "only_second": t.only_b,
            "neither": t.neither,
        },
        "segments": {
            "first": s.total_a,
            "first_matched": s.matched_a,
            "second": s.total_b,
            "second_matched": s.matched_b,
        },
    }


def _code_json(code: CodeFigures, selection: Selection) -> dict:
    by_pk = {coder.pk: coder.username for coder in selection.coders}
    row = {
        "code_id": code.code.pk,
        "code": code.code.name,
        "path": code.path,
        **_values(
            percent_agreement=code.percent,
            kappa=code.kappa,
            alpha_u=code.alpha_u,
            segment_agreement=code.segment,
            alpha_nominal=code.alpha_nominal,
        ),
        "characters": {by_pk[pk]: n for pk, n in code.coded.items()},
        "segments": {by_pk[pk]: n for pk, n in code.segments.items()},
        "pairs": [_pair_json(pair) for pair in code.pairs],
    }
    if code.cells:
        row["interviews"] = [
            {
                "interview_id": cell.interview.pk,
                **_values(percent_agreement=cell.percent, kappa=cell.kappa, alpha_u=cell.alpha_u),
                "characters": {by_pk[pk]: n for pk, n in cell.coded.items()},
            }
            for cell in code.cells
        ]
    return row


def coder_names(selection: Selection) -> dict[int, str]:
    return {coder.pk: name(coder) for coder in selection.coders}
