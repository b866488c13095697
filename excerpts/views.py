"""Retrieval: the excerpts of a project under any filters, the code overview and the codes ×
interviews matrix. The filters are read by excerpts/filters.py and queried by excerpts/queries.py,
which the review queue, the exports and the analysis pages share.
"""

import math
from dataclasses import dataclass, field
from html import escape

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, Func, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url

from coding.codebook import code_paths, fold
from coding.models import Code, Coding
from coding.visibility import Visibility, reads_along, visible_codings
from excerpts import interview_list, queries
from excerpts.filters import Filters, member_filters, member_statements, page_number
from excerpts.rows import rows_html
from interviews import permissions, recordings
from interviews.models import Interview, Speaker
from verbatim import fragments
from verbatim.links import link
from verbatim.options import option_list

PER_PAGE = 50
# Beyond this many matching excerpts the page says "more than 10,000" rather than counting them all:
# counting stays bounded whatever the project's size (a code's exact total is on the overview).
COUNT_LIMIT = 10_000
MATRIX_COLUMNS = 40  # interviews per matrix page: 60 codes × 40 stay readable and cheap


# --- Excerpts ------------------------------------------------------------------------------------


@dataclass
class ExcerptPage:
    """One page of excerpts, counted up to COUNT_LIMIT (`more` when there are more than that)."""

    number: int
    excerpts: list[queries.Excerpt]
    rows: str  # their HTML (excerpts/rows.py)
    count: int
    more: bool
    has_next: bool

    previous_query: str = ""  # the filters' query string for the neighbouring pages
    next_query: str = ""

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def num_pages(self) -> int | None:
        return None if self.more else max(1, math.ceil(self.count / PER_PAGE))

    @property
    def start_index(self) -> int:
        return (self.number - 1) * PER_PAGE + 1 if self.excerpts else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * PER_PAGE + len(self.excerpts)


def excerpt_page(filters: Filters, number: int) -> ExcerptPage:
    """One page of the filters' codings, with their context and the last review comment of each.

    One round trip (queries.excerpts_and_count): the page's ids (the filters compiled by the ORM,
    nothing joined but what they need), what the rows show of those 51 codings (plain SQL, no
    model instances), their contexts among them, and their count (which stops at COUNT_LIMIT).
    The 51st says whether a next page follows.
    """
    offset = (number - 1) * PER_PAGE
    excerpts, count = queries.excerpts_and_count(filters, offset, PER_PAGE + 1, COUNT_LIMIT)
    has_next = len(excerpts) > PER_PAGE
    more, count = count > COUNT_LIMIT, min(count, COUNT_LIMIT)
    if not excerpts and number > 1 and count:
        last = min(math.ceil(count / PER_PAGE), COUNT_LIMIT // PER_PAGE)
        return excerpt_page(filters, last)  # past the end (an old link): the last page
    excerpts = excerpts[:PER_PAGE]
    _add_playback(excerpts, filters)
    return ExcerptPage(
        number,
        excerpts,
        rows_html(excerpts, filters),
        count,
        more,
        has_next=has_next,
        previous_query=filters.querystring(page=number - 1 if number > 2 else None),
        next_query=filters.querystring(page=number + 1),
    )


def _add_playback(excerpts: list[queries.Excerpt], filters: Filters) -> None:
    """`coding.play`: (recording URL, from, to) for an excerpt of a timed passage of an interview
    with a recording (interviews.recordings.passage_times), else None."""
    found = {(e.interview_id, e.recording_id) for e in excerpts if e.recording_id is not None}
    urls = {
        interview_id: link("interviews:recording", filters.project.pk, interview_id) + f"?v={pk}"
        for interview_id, pk in found
    }
    cues = recordings.timeline(list(urls)) if urls else {}
    for coding in excerpts:
        times = cues.get(coding.interview_id) and recordings.passage_times(
            cues[coding.interview_id], coding.start, coding.end
        )
        coding.play = (urls[coding.interview_id], times) if times else None


def _filter_choices(filters: Filters, choices: queries.FormChoices) -> dict:
    """The options of the filter form (full page only: htmx requests swap the results alone)."""
    conditions = [(c.attribute.pk, c.raw) for c in filters.attributes] + [("", "")]
    # Each condition's attribute menu and the values' datalist, written as verbatim.options
    # writes a select: a template loop cost a tenth of the page's frame (docs/benchmarks.md).
    names = [(a.pk, a.name) for a in choices.attributes]
    known = ((value, a.name) for a in choices.attributes for value in a.known_values)
    return {
        "code_checks": _code_checks(filters),
        "coder_checks": _checks(
            "coder",
            ((m.pk, m.name, f"{m.name} {m.username}", 0) for m in choices.members),
            filters.coders,
        ),
        **interview_list.context(filters, choices.interview_count),
        "attributes": choices.attributes,
        "attribute_rows": [(option_list(names, {pk}), raw) for pk, raw in conditions],
        "attribute_values": option_list(known, ()),
        "speaker_roles": [(role, Speaker.Role(role).label) for role in ROLE_CHOICES],
        "named_speaker": "" if filters.speaker in ROLE_CHOICES else filters.speaker,
        "statuses": Coding.Status.choices,
    }


ROLE_CHOICES = [Speaker.Role.PARTICIPANT, Speaker.Role.INTERVIEWER]


CHECK = (
    '<li data-search="{search}" data-depth="{depth}"><label class="check"><input type="checkbox"'
    ' name="{name}" value="{value}"{checked}> {label}</label></li>'
)


def _checks(name: str, choices, selected) -> SafeString:
    """Checkboxes of a searchable multi-pick (static/verbatim.js filters them as one types) from
    (value, label, search text, depth) tuples; built here for the same reason as
    verbatim.options.option_list, with str.format and html.escape (Django's format_html_join cost
    ten times more: 0.7 ms for 58 codes)."""
    return mark_safe(  # noqa: S308 -- every value is escaped
        "".join(
            CHECK.format(
                search=escape(fold(search)),
                depth=depth,
                name=name,
                value=escape(str(pk)),
                checked=" checked" if pk in selected else "",
                label=escape(str(label)),
            )
            for pk, label, search, depth in choices
        )
    )


def _code_checks(filters: Filters) -> str:
    """The codebook in tree order, each name indented by its depth, found by its whole path."""
    return _checks(
        "code",
        (
            (pk, filters.codes[pk].name, path, path.count(" › "))
            for pk, path in filters.paths.items()
        ),
        filters.code_ids,
    )


def _form_lists(request: HttpRequest, project_id: int) -> list[tuple[str, list]]:
    """What the excerpts page reads beside its filters: the form's lists, on the whole page."""
    return [] if fragments.asked(request) else queries.form_choices_queries(project_id)


def _read_along(request: HttpRequest, project_id: int) -> list[tuple[str, list]]:
    return member_statements(project_id, _form_lists(request, project_id))


@require_GET
@vary_on_headers("HX-Request")
@reads_along(_read_along)
def excerpts(request: HttpRequest, project_id: int) -> HttpResponse:
    template = fragments.template(request, "excerpts/excerpts.html", "excerpt-results")
    whole_page = not fragments.asked(request)
    # The member, the blind rounds, the codebook and the form's lists in one round trip (with
    # the session's, coding.visibility.ReadAhead).
    membership, filters, form_rows = member_filters(
        request.user, project_id, request.GET, also=_form_lists(request, project_id)
    )
    project = membership.project
    if interview_list.asked(request):
        return interview_list.every_interview(filters)
    page = (
        excerpt_page(filters, page_number(request.GET.get("page"))) if filters.is_valid() else None
    )
    context = {
        "project": project,
        "filters": filters,
        "page": page,
        **permissions.abilities(membership),
    }
    if whole_page:
        context.update(_filter_choices(filters, queries.form_choices(*form_rows)))
    response = render(request, template, context)
    if template != "excerpts/excerpts.html" and page is not None:
        # The address the form pushes, without its empty fields: the same filters, one spelling.
        query = filters.querystring(page=page.number if page.number > 1 else None)
        response = push_url(response, f"{request.path}?{query}" if query else request.path)
    return response


# --- Code overview -------------------------------------------------------------------------------


@dataclass
class CodeRow:
    pk: int
    code: object
    path: str
    depth: int
    codings: int = 0
    interviews: int = 0
    coders: int = 0
    cells: list = field(default_factory=list)  # matrix: (count, excerpts link) per column
    href: str = ""  # matrix: the code's excerpts
    total: int = 0  # matrix: over every interview of the project


OVERVIEW_SORTS = {
    "codings": lambda row: row.codings,
    "interviews": lambda row: row.interviews,
    "coders": lambda row: row.coders,
    "name": lambda row: row.path.casefold(),
}


def _code_rows(project_id: int) -> list[CodeRow]:
    return [
        CodeRow(pk=code.pk, code=code, path=path, depth=path.count(" › "))
        for code, path in code_paths(project_id)
    ]


@require_GET
@vary_on_headers("HX-Request")
def code_overview(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id)
    project = membership.project
    rows = _code_rows(project.pk)
    counts = {code.pk: code for code in _code_counts(project.pk, visible_codings(membership))}
    for row in rows:
        found = counts.get(row.pk)
        if found:
            row.codings, row.interviews = found.coding_count, found.interview_count
            row.coders = found.coder_count
    sort = request.GET.get("sort", "")
    key = OVERVIEW_SORTS.get(sort.lstrip("-"))
    if key:
        # Ties keep codebook order (sorted() is stable).
        rows = sorted(rows, key=key, reverse=sort.startswith("-"))
    else:
        sort = ""
    context = {
        "project": project,
        "rows": rows,
        "headers": _overview_headers(sort),
        "sort": sort,
        "sorted_by_tree": not sort,
        "interview_count": Interview.objects.filter(project=project).count(),
        **permissions.abilities(membership),
    }
    return render(
        request, fragments.template(request, "excerpts/overview.html", "overview-table"), context
    )


def _code_counts(project_id: int, seen: Visibility):
    """Each code's codings, interviews and coders, in one query whose parts read indexes only; of
    the codings the member may see (`seen`, coding/visibility.py).

    Codings and interviews come from the (code, interview) index. Distinct coders would need every
    coding's row; instead each user is probed in the (coder, code) index: users × codes probes,
    whatever the number of codings (a research team's server has tens of users, not millions).
    """
    of_code = Coding.objects.filter(seen.q(), code_id=OuterRef("pk")).order_by().values("code_id")
    coded = Coding.objects.filter(
        seen.q(), coder_id=OuterRef("pk"), code_id=OuterRef(OuterRef("pk"))
    )
    coders = (
        get_user_model()
        .objects.filter(Exists(coded))
        .order_by()
        .annotate(n=Func(Value(1), function="COUNT"))
        .values("n")
    )
    return Code.objects.filter(project_id=project_id).annotate(
        coding_count=_count(of_code.annotate(n=Count("code_id")).values("n")),
        interview_count=_count(
            of_code.annotate(n=Count("interview_id", distinct=True)).values("n")
        ),
        coder_count=_count(coders),
    )


def _count(queryset) -> Coalesce:
    return Coalesce(Subquery(queryset, output_field=IntegerField()), Value(0))


def _overview_headers(sort: str) -> list[dict]:
    """Each column's label, the sort its link asks for (a first click sorts numbers most first) and
    its aria-sort when the table is sorted by it."""
    labels = {
        "name": _("Code"),
        "codings": _("Codings"),
        "interviews": _("Interviews"),
        "coders": _("Coders"),
    }
    headers = []
    for column, label in labels.items():
        if sort == column:
            following, aria = f"-{column}", "ascending"
        elif sort == f"-{column}":
            following, aria = column, "descending"
        else:
            following, aria = (column if column == "name" else f"-{column}"), ""
        headers.append(
            {"label": label, "next": following, "aria_sort": aria, "numeric": column != "name"}
        )
    return headers


# --- Matrix --------------------------------------------------------------------------------------


@require_GET
@vary_on_headers("HX-Request")
def code_matrix(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id)
    project = membership.project
    subcodes = request.GET.get("subcodes") == "1"
    interviews = Interview.objects.filter(project=project).order_by("title", "pk")
    total_interviews = interviews.count()
    pages = max(1, math.ceil(total_interviews / MATRIX_COLUMNS))
    number = min(page_number(request.GET.get("page")), pages)
    columns = list(
        interviews.values("pk", "title", "participant")[
            (number - 1) * MATRIX_COLUMNS : number * MATRIX_COLUMNS
        ]
    )
    rows = _code_rows(project.pk)
    seen = visible_codings(membership)
    counts = _matrix_counts(project.pk, [c["pk"] for c in columns], seen)
    # Each code's codings over every interview, counted in the (code, interview) index.
    of_code = Coding.objects.filter(seen.q(), code_id=OuterRef("pk")).order_by().values("code_id")
    totals = dict(
        Code.objects.filter(project_id=project.pk)
        .annotate(n=_count(of_code.annotate(n=Count("code_id")).values("n")))
        .values_list("pk", "n")
    )
    if subcodes:
        counts, totals = _rolled_up(rows, counts), _rolled_up_totals(rows, totals)
    # Links built here rather than with {% url %} in each of the (up to 60 × 40) cells.
    excerpts_url = reverse("excerpts:list", args=[project.pk])
    suffix = "&subcodes=1" if subcodes else ""
    for row in rows:
        row.cells = [
            (n, f"{excerpts_url}?code={row.pk}&interview={c['pk']}{suffix}" if n else "")
            for c in columns
            for n in [counts.get((row.pk, c["pk"]), 0)]
        ]
        row.codings = sum(n for n, _href in row.cells)
        row.href = f"{excerpts_url}?code={row.pk}{suffix}"
        row.total = totals.get(row.pk, 0)
    for column in columns:
        column["total"] = sum(
            counts.get((row.pk, column["pk"]), 0) for row in rows if not subcodes or row.depth == 0
        )
    context = {
        "project": project,
        "rows": rows,
        "columns": columns,
        "grand_total": sum(column["total"] for column in columns),
        "subcodes": subcodes,
        "number": number,
        "pages": pages,
        "total_interviews": total_interviews,
        "first": (number - 1) * MATRIX_COLUMNS + 1,
        "last": (number - 1) * MATRIX_COLUMNS + len(columns),
        **permissions.abilities(membership),
    }
    return render(
        request, fragments.template(request, "excerpts/matrix.html", "matrix-table"), context
    )


def _matrix_counts(
    project_id: int, interview_ids: list[int], seen: Visibility
) -> dict[tuple[int, int], int]:
    """Codings per (code, interview) for these interviews, of those the member may see: one
    GROUP BY query."""
    if not interview_ids:
        return {}
    grouped = (
        Coding.objects.filter(seen.q(), interview_id__in=interview_ids, code__project_id=project_id)
        .order_by()
        .values("code_id", "interview_id")
        .annotate(n=Count("code_id"))
        .values_list("code_id", "interview_id", "n")
    )
    return {(code_id, interview_id): n for code_id, interview_id, n in grouped}


def _ancestors(rows: list[CodeRow]) -> dict[int, list[int]]:
    """Each code's id with its ancestors' (itself first)."""
    parents = {row.pk: row.code.parent_id for row in rows}
    chains = {}
    for pk in parents:
        chain, current = [], pk
        while current is not None and current not in chain:
            chain.append(current)
            current = parents.get(current)
        chains[pk] = chain
    return chains


def _rolled_up(rows: list[CodeRow], counts: dict) -> dict:
    """Counts where a code also counts its sub-codes' codings (as the excerpts with subcodes=1)."""
    chains, rolled = _ancestors(rows), {}
    for (code_id, interview_id), n in counts.items():
        for pk in chains.get(code_id, [code_id]):
            rolled[(pk, interview_id)] = rolled.get((pk, interview_id), 0) + n
    return rolled


def _rolled_up_totals(rows: list[CodeRow], totals: dict) -> dict:
    chains, rolled = _ancestors(rows), {}
    for code_id, n in totals.items():
        for pk in chains.get(code_id, [code_id]):
            rolled[pk] = rolled.get(pk, 0) + n
    return rolled
