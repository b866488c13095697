"""The co-occurrence table counted the plain way, in Python, over every ordered pair of codings:
what analysis.queries.cooccurrence must find (docs/analysis.md has the definitions)."""

from collections import Counter, defaultdict

from analysis import queries
from coding.models import Coding


def codings_of(project, visible=lambda coding: True) -> list[tuple]:
    """(id, interview, code, coder, start, end) of the project's codings that `visible` keeps."""
    rows = Coding.objects.filter(interview__project=project).values_list(
        "id", "interview_id", "code_id", "coder_id", "start", "end"
    )
    return [row for row in rows if visible(row)]


def cooccurrence(codings: list[tuple], groups: dict[int, set[int]], reach: int = 0):
    """({(group A, group B): Pair}, {group: codings}). Two codings are together when they are in
    the same interview, of different codes, and [start, end + reach) of each meet: reach 0 is an
    overlap of the half-open ranges [start, end), N + 1 is "within N characters"."""
    member = defaultdict(list)
    for group, codes in groups.items():
        for code in codes:
            member[code].append(group)
    together, interviews, pairs = defaultdict(set), defaultdict(set), Counter()
    for x_id, x_interview, x_code, _x_coder, x_start, x_end in codings:
        for y_id, y_interview, y_code, _y_coder, y_start, y_end in codings:
            if x_id == y_id or x_code == y_code or x_interview != y_interview:
                continue
            if not (x_start < y_end + reach and y_start < x_end + reach):
                continue
            for ga in member[x_code]:
                for gb in member[y_code]:
                    if ga != gb:
                        together[(ga, gb)].add(x_id)  # x, of A, is together with some B
                        interviews[(ga, gb)].add(x_interview)
                        pairs[(ga, gb)] += 1
    totals = Counter()
    for _id, _interview, code, *_rest in codings:
        for group in member[code]:
            totals[group] += 1
    cells = {
        (ga, gb): queries.measures(
            len(together[(ga, gb)]) + len(together[(gb, ga)]),
            len(interviews[(ga, gb)]),
            pairs[(ga, gb)],
            totals[ga],
            totals[gb],
        )
        for ga, gb in pairs
    }
    return cells, dict(totals)


def table(cells, totals, names: dict[int, str]) -> dict[frozenset, tuple]:
    """As the page's download has it, one row per pair of codes whatever their order:
    {A, B} → (codings together, interviews, pairs, {(A, codings of A), (B, codings of B)})."""
    return {
        frozenset((names[a], names[b])): (
            p.codings,
            p.interviews,
            p.pairs,
            frozenset(((names[a], totals[a]), (names[b], totals[b]))),
        )
        for (a, b), p in cells.items()
    }
