"""The codebook as a tree, for the pages that show it."""

from dataclasses import dataclass, field

from django.db.models import Count, Q

from coding.models import Code


@dataclass
class Node:
    code: Code
    children: list["Node"] = field(default_factory=list)


def code_tree(project_id: int, *, interview_id: int | None = None) -> list[Node]:
    """The project's codes as nested nodes, each annotated with its number of codings.

    `project_count` counts codings in the whole project and, with `interview_id`, `interview_count`
    those in that interview: one query however large the codebook.
    """
    codes = Code.objects.filter(project_id=project_id).annotate(project_count=Count("codings"))
    if interview_id is not None:
        codes = codes.annotate(
            interview_count=Count("codings", filter=Q(codings__interview_id=interview_id))
        )
    nodes = {code.pk: Node(code) for code in codes}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.code.parent_id)
        (parent.children if parent else roots).append(node)
    return roots
