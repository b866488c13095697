"""The codebook as a tree, for the pages that show it, and the changes that span several rows.

Merging and deleting, which remove codings, are in coding.trash: they keep a copy to restore.
"""

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _

from coding import counts
from coding.models import Code, Coding, Memo
from coding.visibility import EVERYTHING, Visibility
from verbatim import plain_sql

# 24 hues that stay visible as a highlight's underline and margin stripe: each reaches 3:1 against
# the white page (WCAG 1.4.11), and text on its 18 % tint stays above 7:1. Twelve hues 30° apart in
# OKLCH, a lighter and a darker shade of each, ordered so that neighbours differ. New codes take the
# first one their siblings don't use yet (see next_color); tests/coding/test_colors.py checks them.
PALETTE = [
    "#e66857", "#00a289", "#6c88f2", "#b68900", "#cb6dc4", "#26a352",
    "#d87700", "#009dbb", "#a57ae7", "#819900", "#e26692", "#0097e4",
    "#a64e20", "#007375", "#645cb1", "#716800", "#9f497d", "#00774e",
    "#935b00", "#006f99", "#87519e", "#41741c", "#aa4754", "#2d68b0",
]  # fmt: skip
PAGE = "#ffffff"
MIN_CONTRAST = 3.0  # a mark against the page: WCAG's non-text contrast


def _luminance(color: str) -> float:
    """WCAG relative luminance of "#rrggbb"."""
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str = PAGE) -> float:
    """WCAG contrast ratio of two "#rrggbb" colours (1 to 21)."""
    high, low = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def readable(color: str) -> str:
    """`color` itself if it reaches MIN_CONTRAST against the page, else the lightest darker shade of
    it (same hue, channels scaled down) that does."""
    color = color.lower()
    channels = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    for step in range(101):
        shade = "#" + "".join(f"{round(c * (1 - step / 100)):02x}" for c in channels)
        if contrast(shade) >= MIN_CONTRAST:
            return shade
    return "#000000"


@dataclass
class Node:
    code: Code
    children: list["Node"] = field(default_factory=list)
    # With a filter: whether the code's own name matches (False for an ancestor kept for context).
    match: bool = True


@lru_cache(maxsize=4096)
def fold(text: str) -> str:
    """`text` without accents or case, for matching « Réseau » with “reseau”. Kept: pages fold the
    same code paths and names on every request (the popover, the filter form's pick lists)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def code_tree(
    project_id: int,
    *,
    interview_id: int | None = None,
    query: str = "",
    seen: Visibility = EVERYTHING,
) -> list[Node]:
    """The project's codes as nested nodes, each annotated with its number of codings (of those
    the member may see: `seen`, coding/visibility.py): `project_count` in the whole project and,
    with `interview_id`, `interview_count` in that interview (coding/counts.py), read with the
    codes in one round trip. Siblings come in `position` order, then by name. With `query`, only
    the codes whose name contains it (ignoring accents and case) remain, with their ancestors."""
    rows, counted = plain_sql.batch(
        codes_query(project_id), counts.query(project_id, interview_id, seen=seen)
    )
    found = {code_id: (here, everywhere) for code_id, here, everywhere in counted}
    codes = [plain_sql.instance(Code, row) for row in rows]
    for code in codes:
        code.interview_count, code.project_count = found.get(code.pk, (0, 0))
    roots = _nest(codes)
    if query.strip():
        return _pruned(roots, fold(query.strip()))
    return roots


def code_paths(project_id: int) -> list[tuple[Code, str]]:
    """Every code with its path ("Parent › Child"), in codebook order, without counting codings."""
    return paths_of(_codes(project_id))


def paths_of(codes: list[Code]) -> list[tuple[Code, str]]:
    """code_paths of `codes`, a project's codes in sibling order (codes_query's)."""
    paths = []

    def walk(nodes, prefix):
        for node in nodes:
            path = f"{prefix} › {node.code.name}" if prefix else node.code.name
            paths.append((node.code, path))
            walk(node.children, path)

    walk(_nest(codes), "")
    return paths


def paths_of_rows(rows) -> list[tuple[Code, str]]:
    """code_paths from the rows of codes_query."""
    return paths_of([plain_sql.instance(Code, row) for row in rows])


def codes_query(project_id: int) -> tuple[str, list]:
    """The project's codes in sibling order. Nearly every page asks for them (as paths): plain SQL
    reads them in a third of the time the ORM takes to build and run the same statement."""
    return plain_sql.select(Code, "t.project_id = %s", [project_id], order="t.position, t.name")


def _codes(project_id: int) -> list[Code]:
    (rows,) = plain_sql.batch(codes_query(project_id))
    return [plain_sql.instance(Code, row) for row in rows]


def _nest(codes) -> list[Node]:
    """Codes (in sibling order) as a forest of nodes."""
    nodes = {code.pk: Node(code) for code in codes}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.code.parent_id)
        (parent.children if parent else roots).append(node)
    return roots


def _pruned(nodes: list[Node], needle: str) -> list[Node]:
    kept = []
    for node in nodes:
        node.children = _pruned(node.children, needle)
        node.match = needle in fold(node.code.name)
        if node.match or node.children:
            kept.append(node)
    return kept


def flatten(nodes: list[Node], depth: int = 0):
    """(depth, code) pairs in tree order, for indented choice lists."""
    for node in nodes:
        yield depth, node.code
        yield from flatten(node.children, depth + 1)


def subtree_ids(code: Code) -> set[int]:
    """The ids of `code` and of all its sub-codes (one query over the project's small codebook)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Code.objects.filter(project_id=code.project_id).values_list(
        "pk", "parent_id"
    ):
        children.setdefault(parent_id, []).append(pk)
    ids, pending = set(), [code.pk]
    while pending:
        pk = pending.pop()
        ids.add(pk)
        pending.extend(children.get(pk, []))
    return ids


def next_color(project_id: int, parent_id: int | None) -> str:
    """A palette colour none of the future siblings uses yet, or the next one in rotation."""
    siblings = Code.objects.filter(project_id=project_id, parent_id=parent_id)
    used = {color.lower() for color in siblings.values_list("color", flat=True)}
    for color in PALETTE:
        if color not in used:
            return color
    return PALETTE[len(used) % len(PALETTE)]


def next_position(project_id: int, parent_id: int | None) -> int:
    """A position after the last sibling's, so a new or moved code ends its level."""
    siblings = Code.objects.filter(project_id=project_id, parent_id=parent_id)
    last = siblings.aggregate(last=Max("position"))["last"]
    return 0 if last is None else last + 1


def reorder(code: Code, step: int) -> None:
    """Move `code` `step` places among its siblings (−1 up, +1 down), renumbering them 0…n−1."""
    with transaction.atomic():
        siblings = list(
            Code.objects.select_for_update()
            .filter(project_id=code.project_id, parent_id=code.parent_id)
            .order_by("position", "name")
        )
        index = next(i for i, sibling in enumerate(siblings) if sibling.pk == code.pk)
        target = min(max(index + step, 0), len(siblings) - 1)
        siblings.insert(target, siblings.pop(index))
        for position, sibling in enumerate(siblings):
            if sibling.position != position:
                sibling.position = position
                sibling.save(update_fields=["position"])


@dataclass
class DeletionSummary:
    """What deleting a code removes with it, for the confirmation the user reads first."""

    codings: int  # of the code and its sub-codes
    interviews: int
    subcodes: int
    subcode_codings: int
    memos: int  # on the codes and on their codings
    # Whose work it is: (name, count) of codings per coder and of memos per author, most first.
    coders: list[tuple[str, int]] = field(default_factory=list)
    authors: list[tuple[str, int]] = field(default_factory=list)
    # Whether anyone but `user` (deletion_summary's) coded with it or wrote a memo under it: then
    # only a supervisor or an admin may delete it (permissions.can_delete_code).
    others_work: bool = False


def _names(rows) -> list[tuple[str, int]]:
    """(display name, count) from (id, username, first name, last name, count) rows, most first."""
    named = [
        (f"{first} {last}".strip() or username, count) for _, username, first, last, count in rows
    ]
    return sorted(named, key=lambda item: (-item[1], item[0].casefold()))


def deletion_summary(code: Code, user) -> DeletionSummary:
    ids = subtree_ids(code)
    codings = Coding.objects.filter(code_id__in=ids)
    totals = codings.aggregate(
        codings=Count("pk"),
        interviews=Count("interview_id", distinct=True),
        subcode_codings=Count("pk", filter=~Q(code_id=code.pk)),
    )
    memos = Memo.objects.filter(Q(code_id__in=ids) | Q(coding__code_id__in=ids))
    person = ("id", "username", "first_name", "last_name")
    coders = list(
        codings.values_list(*[f"coder__{f}" for f in person]).annotate(n=Count("pk")).order_by()
    )
    authors = list(
        memos.exclude(author=None)
        .values_list(*[f"author__{f}" for f in person])
        .annotate(n=Count("pk"))
        .order_by()
    )
    others = {row[0] for row in coders + authors} - {user.pk}
    return DeletionSummary(
        subcodes=len(ids) - 1,
        memos=memos.count(),
        coders=_names(coders),
        authors=_names(authors),
        others_work=bool(others) or memos.filter(author=None).exists(),
        **totals,
    )


def merge_clashes(source: Code, target: Code) -> list[str]:
    """Names of the source's sub-codes that a sub-code of the target already uses (any case)."""
    taken = {
        name.lower()
        for name in target.children.exclude(pk=source.pk).values_list("name", flat=True)
    }
    return [child.name for child in source.children.all() if child.name.lower() in taken]


def check_merge(source: Code, target: Code) -> None:
    """Raise ValidationError, with a message for the user, when `source` can't merge into `target`."""
    if target.project_id != source.project_id:
        raise ValidationError(_("Choose a code of this project."))
    if target.pk in subtree_ids(source):
        raise ValidationError(_("A code cannot be merged into itself or one of its sub-codes."))
    if clashes := merge_clashes(source, target):
        raise ValidationError(
            _("“%(target)s” already has sub-codes named %(names)s: rename them first.")
            % {"target": target.name, "names": ", ".join(f"« {name} »" for name in clashes)}
        )
