"""The co-occurrence table counted the plain way, in Python, over every ordered pair of codings:
what analysis.queries.cooccurrence must find (docs/analysis.md has the definitions); and the
code × speaker table, over every coding and turn."""

from collections import Counter, defaultdict

from analysis import queries
from analysis.queries import ROLES
from coding.models import Coding
from interviews.models import Turn


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


def speakers(codings: list[tuple], rule: str) -> dict[tuple[int, str], tuple[int, int]]:
    """{(code, role): (codings, interviews)} of analysis.queries.speakers with each code its own
    group: the roles of the speakers whose turns each coding covers (no role counts as other);
    a participant's words first (rule "participant"), or every role covered (rule "every")."""
    turns = defaultdict(list)
    for interview_id, start, end, role in Turn.objects.values_list(
        "interview_id", "start", "end", "speaker__role"
    ):
        turns[interview_id].append((start, end, role if role in ROLES[:2] else "other"))
    said, interviews = Counter(), defaultdict(set)
    for _id, interview_id, code_id, _coder, start, end in codings:
        covered = {role for lo, hi, role in turns[interview_id] if lo < end and start < hi}
        if rule == "participant" and "participant" in covered:
            covered = {"participant"}
        for role in covered or {"none"}:
            said[(code_id, role)] += 1
            interviews[(code_id, role)].add(interview_id)
    return {key: (n, len(interviews[key])) for key, n in said.items()}
