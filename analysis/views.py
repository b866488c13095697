"""The analysis pages: co-occurrence, code × attribute, code × speaker, frequencies, document
portraits and the codeline, coding progress, and the query page.

Each page reads the excerpt filters from its address (excerpts.filters: coders, interviews,
attributes, review state…), counts with analysis/queries.py, draws with analysis/charts.py, and
links every number to the excerpts behind it. `?format=csv|xlsx` downloads the table,
`?format=svg|png` the chart.
"""

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import IntegrityError, transaction
from django.http import (
    HttpRequest,
    HttpResponse,
    QueryDict,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape, format_html_join
from django.utils.http import content_disposition_header
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from analysis import charts, queries
from analysis.combine import MAX_PASSAGES, CombinedQuery, ranges, read_query, results
from analysis.models import SavedQuery
from coding import actions
from coding.audit import last_undoable_group, recorded_as, undo_last
from coding.codebook import next_color, next_position
from coding.models import Code, CodingEvent
from excerpts.filters import Filters, read_filters
from exports import writers
from interviews import permissions
from interviews.models import Attribute, Interview
from interviews.permissions import Action
from interviews.services import number_fits
from interviews.views import INTERVIEWS_PER_PAGE
from verbatim import downloads, fragments, people

PAIRS_SHOWN = 50
CODELINE_PAGE = 20
MEASURES = ("codings", "interviews", "pairs", "jaccard", "c")


@dataclass
class Row:
    pk: int
    name: str
    path: str
    color: str
    depth: int


def _setup(request: HttpRequest, project_id: int, action: Action = Action.VIEW):
    membership = permissions.project_for(request.user, project_id, action)
    filters = read_filters(membership.project, request.GET, member=membership)
    return membership, filters


def _rows(filters: Filters) -> list[Row]:
    """The codes the table shows: those chosen, or the whole codebook, in codebook order."""
    chosen = set(filters.code_ids)
    return [
        Row(pk, filters.codes[pk].name, path, filters.codes[pk].color, path.count(" › "))
        for pk, path in filters.paths.items()
        if not chosen or pk in chosen
    ]


def _groups(filters: Filters, rows: list[Row]) -> dict[int, set[int]]:
    return dict(zip([r.pk for r in rows], filters.code_groups([r.pk for r in rows]), strict=True))


def _excerpts(filters: Filters, extra: list[tuple[str, str]] = (), **overrides) -> str:
    """The excerpts page under the page's filters, with `overrides` and `extra` pairs."""
    overrides.setdefault("subcodes", "1" if filters.subcodes else None)
    query = filters.querystring(page=None, **overrides)
    if extra:
        query = "&".join(part for part in (query, urlencode(list(extra))) if part)
    return f"{reverse('excerpts:list', args=[filters.project.pk])}?{query}"


def _hidden(filters: Filters, *controlled: str) -> list[tuple[str, str]]:
    """The filters as hidden fields of a page's form, but those the form itself sets."""
    return [(k, v) for k, v in filters._params() if k not in ("subcodes", "near", *controlled)]


def _context(request, membership, filters, **extra) -> dict:
    return {
        "project": membership.project,
        "filters": filters,
        "query": filters.querystring(),
        "hidden": _hidden(filters),
        **permissions.abilities(membership),
        **extra,
    }


def _filename(project, what: str, extension: str) -> str:
    name = slugify(project.name) or "verbatim"
    return f"{name}-{what}-{timezone.localdate().isoformat()}.{extension}"


def _download(request, project, what: str, table=None, svg: str | None = None):
    """The table as CSV or Excel, or the chart as SVG or PNG, when `format` asks for one."""
    kind = request.GET.get("format", "")
    if kind == "csv" and table is not None:
        return downloads.made_whole(writers.csv_chunks(table), _filename(project, what, "csv"))
    if kind == "xlsx" and table is not None:
        return downloads.attachment(writers.xlsx_file(table), _filename(project, what, "xlsx"))
    if kind == "svg" and svg is not None:
        response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
        response["Content-Disposition"] = content_disposition_header(
            True, _filename(project, what, "svg")
        )
        return response
    if kind == "png" and svg is not None:
        try:
            import cairosvg  # loads libcairo2 (Debian): see docs/analysis.md
        except OSError:
            message = _("PNG files need the cairo library on the server; download the SVG.")
            return HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
        png = cairosvg.svg2png(bytestring=svg.encode("utf-8"))
        response = HttpResponse(png, content_type="image/png")
        response["Content-Disposition"] = content_disposition_header(
            True, _filename(project, what, "png")
        )
        return response
    return None


def _bounded(view):
    """A table too large to compute in time (queries.TooLong) answers with a page that says so and
    what to narrow, not a 500."""

    @wraps(view)
    def bounded(request, project_id: int, *args, **kwargs):
        try:
            return view(request, project_id, *args, **kwargs)
        except queries.TooLong:
            membership = permissions.project_for(request.user, project_id)
            context = {
                "project": membership.project,
                "query": "",
                **permissions.abilities(membership),
            }
            return render(request, "analysis/too_long.html", context, status=503)

    return bounded


def _percent(part: float, whole: float) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "—"


# --- Index ---------------------------------------------------------------------------------


@require_GET
def analysis_index(request: HttpRequest, project_id: int) -> HttpResponse:
    membership, filters = _setup(request, project_id)
    context = _context(request, membership, filters)
    context["saved"] = SavedQuery.objects.filter(project=membership.project)
    interviews = Interview.objects.filter(project=membership.project).order_by("title", "pk")
    page = Paginator(interviews.values("pk", "title"), INTERVIEWS_PER_PAGE)
    page = page.get_page(request.GET.get("page"))
    context |= {"interviews": page, "page": page}
    return render(request, "analysis/index.html", context)


# --- Co-occurrence -------------------------------------------------------------------------


def _measure(pair: queries.Pair, measure: str) -> float:
    value = getattr(pair, measure)
    return -1.0 if value is None else float(value)


def _shown(pair: queries.Pair, measure: str) -> str:
    if measure == "jaccard":
        return f"{pair.jaccard:.2f}"
    if measure == "c":
        return "—" if pair.c is None else f"{pair.c:.2f}"
    return str(getattr(pair, measure))


@require_GET
@vary_on_headers("HX-Request")
@_bounded
def cooccurrence(request: HttpRequest, project_id: int) -> HttpResponse:
    membership, filters = _setup(request, project_id)
    measure = request.GET.get("measure", "codings")
    if measure not in MEASURES:
        filters.errors.append(_("“%(value)s” is not a measure.") % {"value": measure})
    context = _context(request, membership, filters, measure=measure, measures=_measure_labels())
    if not filters.is_valid():
        return render(request, "analysis/cooccurrence.html", context)
    rows = _rows(filters)
    groups = _groups(filters, rows)
    cells, totals = queries.cooccurrence(filters, groups, filters.near) if rows else ({}, {})
    related = _related_pairs(rows, groups) if filters.subcodes else set()
    index = {row.pk: i for i, row in enumerate(rows)}
    # One prefix for the 3,000 links of a large codebook: reverse() and querystring() for each
    # cost a quarter of a second at M.
    prefix = _excerpts(filters, code=None, match=None, near=None, subcodes=None).rstrip("?")
    prefix += "&" if "?" in prefix else "?"
    suffix = urlencode(
        [("match", "all")]
        + ([("near", filters.near.param)] if filters.near.param else [])
        + ([("subcodes", "1")] if filters.subcodes else [])
    )
    links, pairs = {}, []
    for (a, b), pair in cells.items():
        if (a, b) in related:
            continue
        links[(a, b)] = f"{prefix}code={a}&code={b}&{suffix}"
        if index[a] < index[b]:
            pairs.append((rows[index[a]], rows[index[b]], pair, links[(a, b)]))
    sort = request.GET.get("sort", measure)
    sort = sort if sort in MEASURES else "codings"
    pairs.sort(key=lambda p: (_measure(p[2], sort), p[2].codings), reverse=True)
    heat = {
        (index[a], index[b]): charts.Cell(
            _measure(pair, measure), _shown(pair, measure), links[(a, b)]
        )
        for (a, b), pair in cells.items()
        if (a, b) in links
    }
    title = _("Codes that come together (%(near)s)") % {"near": filters.near.label}
    desc = _(
        "Heat map of %(count)d codes: each cell is darker the more two codes come together "
        "(%(measure)s). The table below the chart gives the same numbers."
    ) % {"count": len(rows), "measure": _measure_labels()[measure]}
    svg = charts.heatmap(title, desc, [r.name for r in rows], heat) if cells else ""
    if request.GET.get("chart") == "network" and cells:
        nodes = [charts.Node(r.name, totals.get(r.pk, 0), r.color) for r in rows]
        edges = [
            charts.Edge(
                index[a.pk], index[b.pk], max(_measure(p, measure), 0), _shown(p, measure), link
            )
            for a, b, p, link in pairs
        ]
        svg = charts.network(title, desc, nodes, edges)
    header = [
        _("Code A"),
        _("Code B"),
        _("Codings together"),
        _("Interviews"),
        _("Pairs of codings"),
        _("Jaccard"),
        _("c-coefficient"),
        _("Codings of A"),
        _("Codings of B"),
    ]
    table = writers.Table(
        _("Co-occurrence"),
        header,
        (
            [a.path, b.path, p.codings, p.interviews, p.pairs, round(p.jaccard, 4)]
            + [None if p.c is None else round(p.c, 4), totals.get(a.pk, 0), totals.get(b.pk, 0)]
            for a, b, p, _link in pairs
        ),
    )
    download = _download(request, membership.project, "cooccurrence", table, svg)
    if download:
        return download
    context |= {
        "rows": rows,
        "svg": svg,
        "pairs": pairs[:PAIRS_SHOWN],
        "pair_count": len(pairs),
        "matrix": _matrix_html(rows, cells, links, totals, measure, prefix),
        "sort": sort,
        "near": filters.near,
        "query": filters.querystring(near=filters.near.param or None),
        "network": request.GET.get("chart") == "network",
    }
    return render(
        request, fragments.template(request, "analysis/cooccurrence.html", "results"), context
    )


def _measure_labels() -> dict[str, str]:
    return {
        "codings": _("codings together"),
        "interviews": _("interviews"),
        "pairs": _("pairs of codings"),
        "jaccard": _("Jaccard"),
        "c": _("c-coefficient"),
    }


def _related_pairs(rows: list[Row], groups: dict[int, set[int]]) -> set[tuple[int, int]]:
    """With sub-codes rolled up, a code and one of its own sub-codes: not a pair to count."""
    related = set()
    for a in rows:
        for b in rows:
            if a.pk != b.pk and (b.pk in groups[a.pk] or a.pk in groups[b.pk]):
                related.add((a.pk, b.pk))
    return related


def _matrix_html(rows, cells, links, totals, measure, prefix) -> str:
    """The matrix as a table, built here with each label escaped once: 58 × 58 linked cells
    through the template engine (or format_html) cost more than the query."""
    paths = [escape(row.path) for row in rows]
    head = "".join(
        f'<th scope="col" class="code-head" title="{path}"><span>{escape(row.name)}</span></th>'
        for row, path in zip(rows, paths, strict=True)
    )
    body = []
    for a, a_path in zip(rows, paths, strict=True):
        line = []
        for b, b_path in zip(rows, paths, strict=True):
            pair = cells.get((a.pk, b.pk))
            if a.pk == b.pk:
                n = totals.get(a.pk, 0)
                link = f'<a href="{escape(prefix)}code={a.pk}">{n}</a>' if n else "0"
                line.append(f'<td class="num diagonal">{link}</td>')
            elif pair and (a.pk, b.pk) in links:
                line.append(
                    f'<td class="num hit"><a href="{escape(links[(a.pk, b.pk)])}" '
                    f'title="{a_path} × {b_path}">{_shown(pair, measure)}</a></td>'
                )
            else:
                line.append('<td class="num"></td>')
        body.append(
            f'<tr><th scope="row" class="code-cell" title="{a_path}">'
            f'<span class="swatch c-{int(a.pk)}" aria-hidden="true"></span>'
            f"{escape(a.name)}</th>{''.join(line)}</tr>"
        )
    return mark_safe(  # every piece escaped above
        f'<table class="matrix-table"><thead><tr><th scope="col" class="corner">'
        f"{escape(_('Code'))}</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )


# --- Code × attribute ----------------------------------------------------------------------


def _bands(
    attribute: Attribute, raw: str, project_id: int
) -> tuple[list[queries.Column], str, list]:
    """The columns of an attribute, and the SQL that puts a value row `a` in one of them."""
    unset = queries.Column("unset", _("No value"), [("unset", str(attribute.pk))])
    if attribute.type == Attribute.Type.NUMBER:
        bounds = _number_bounds(attribute, raw)
        columns = []
        edges = [None, *bounds, None]
        for k in range(len(edges) - 1):
            low, high = edges[k], edges[k + 1]
            params = (
                [("attribute", str(attribute.pk)), ("value", f">={_num(low)}")]
                if low is not None
                else []
            )
            if high is not None:
                params += [("attribute", str(attribute.pk)), ("value", f"<{_num(high)}")]
            if low is None:
                label = f"< {_num(high)}"
            elif high is None:
                label = f"≥ {_num(low)}"
            else:
                label = f"{_num(low)} – {_num(high)}"
            columns.append(queries.Column(str(k), label, params))
        sql = (
            "CASE WHEN a.number IS NULL THEN 'unset' "
            "ELSE width_bucket(a.number, %s::numeric[])::text END"
        )
        return [*columns, unset], sql, [[str(b) for b in bounds]]
    if attribute.type == Attribute.Type.DATE:
        years = sorted(
            {d.year for d in attribute.values.exclude(date=None).values_list("date", flat=True)}
        )
        columns = [
            queries.Column(
                str(year),
                str(year),
                [
                    ("attribute", str(attribute.pk)),
                    ("value", f">={year}-01-01"),
                    ("attribute", str(attribute.pk)),
                    ("value", f"<{year + 1}-01-01"),
                ],
            )
            for year in years
        ]
        sql = "CASE WHEN a.date IS NULL THEN 'unset' ELSE extract(year FROM a.date)::int::text END"
        return [*columns, unset], sql, []
    values: dict[str, str] = {}
    for text in attribute.values.exclude(text="").order_by("text").values_list("text", flat=True):
        values.setdefault(text.lower(), text)
    columns = [
        queries.Column(key, text, [("attribute", str(attribute.pk)), ("value", text)])
        for key, text in values.items()
    ]
    return [*columns, unset], "coalesce(nullif(lower(a.text), ''), 'unset')", []


def _num(value) -> str:
    text = format(value.normalize(), "f") if isinstance(value, Decimal) else str(value)
    return text


def _number_bounds(attribute: Attribute, raw: str) -> list[Decimal]:
    """The user's bounds (`bands=5,10,20`), or about five bands of equal width over the values
    (each value its own column when there are six or fewer)."""
    if raw:
        bounds = []
        for part in raw.replace(";", ",").split(","):
            part = part.strip().replace(" ", "")
            if part:
                bound = Decimal(part)  # InvalidOperation is the caller's message
                # …as is a bound no attribute value can be compared with (1e200000, NaN).
                if not bound.is_finite() or not number_fits(bound):
                    raise InvalidOperation(part)
                bounds.append(bound)
        return sorted(set(bounds))
    numbers = sorted(set(attribute.values.exclude(number=None).values_list("number", flat=True)))
    if not numbers:
        return []
    if len(numbers) <= 6:
        return numbers[1:] + [numbers[-1] + 1] if len(numbers) > 1 else [numbers[0] + 1]
    low, high = numbers[0], numbers[-1]
    step = (high - low) / 5
    magnitude = Decimal(10) ** (len(str(int(step))) - 1) if step >= 1 else Decimal(1)
    step = max((step / magnitude).to_integral_value() * magnitude, Decimal(1))
    start = (low / step).to_integral_value(rounding="ROUND_FLOOR") * step
    return [start + step * k for k in range(1, 6) if start + step * k <= high]


@require_GET
@vary_on_headers("HX-Request")
@_bounded
def crosstab(request: HttpRequest, project_id: int) -> HttpResponse:
    membership, filters = _setup(request, project_id)
    project = membership.project
    attributes = list(Attribute.objects.filter(project=project))
    by = request.GET.get("by", "")
    attribute = None
    if by:
        attribute = next((a for a in attributes if str(a.pk) == by), None)
        if attribute is None:
            filters.errors.append(_("Unknown participant attribute %(id)s.") % {"id": by})
    elif attributes:
        attribute = attributes[0]
    pct = request.GET.get("pct", "")
    context = _context(
        request,
        membership,
        filters,
        attributes=attributes,
        attribute=attribute,
        pct=pct,
        bands=request.GET.get("bands", ""),
    )
    columns = []
    if attribute is not None and filters.is_valid():
        try:
            columns, band_sql, band_params = _bands(
                attribute, request.GET.get("bands", ""), project.pk
            )
        except InvalidOperation:
            filters.errors.append(_("Bands are numbers separated by commas, like 5, 10, 20."))
    if attribute is None or not filters.is_valid():
        return render(request, "analysis/crosstab.html", context)
    rows = _rows(filters)
    groups = _groups(filters, rows)
    counts = queries.crosstab(filters, groups, attribute, band_sql, band_params) if rows else {}
    interviews = queries.column_interviews(filters, attribute, band_sql, band_params)
    for column in columns:
        column.interviews = interviews.get(column.key, 0)
    columns = [c for c in columns if c.interviews or any(k[1] == c.key for k in counts)]
    column_totals = {
        c.key: sum(counts.get((r.pk, c.key), (0, 0))[0] for r in rows) for c in columns
    }
    table_rows = []
    for row in rows:
        total = sum(counts.get((row.pk, c.key), (0, 0))[0] for c in columns)
        cells = []
        for column in columns:
            n, seen = counts.get((row.pk, column.key), (0, 0))
            share = (
                _percent(n, total)
                if pct == "row"
                else _percent(n, column_totals[column.key])
                if pct == "col"
                else ""
            )
            href = _excerpts(filters, column.params, code=[row.pk]) if n else ""
            cells.append({"n": n, "interviews": seen, "share": share, "href": href})
        table_rows.append({"row": row, "cells": cells, "total": total})
    chart_code = request.GET.get("chart_code", "")
    chosen = next((r for r in table_rows if str(r["row"].pk) == chart_code), None) or next(
        (r for r in table_rows if r["total"]), None
    )
    svg = ""
    if chosen:
        bars = [
            charts.Bar(c.label, cell["n"], cell["href"], chosen["row"].color, str(cell["n"]))
            for c, cell in zip(columns, chosen["cells"], strict=True)
        ]
        title = _("%(code)s by %(attribute)s") % {
            "code": chosen["row"].path,
            "attribute": attribute.name,
        }
        desc = _(
            "Codings of the code for each value of the attribute; the table gives the same numbers."
        )
        svg = charts.vertical_bars(title, desc, bars)
    header = [_("Code")]
    for column in columns:
        header += [f"{column.label} · {_('codings')}", f"{column.label} · {_('interviews')}"]
    table = writers.Table(
        _("Code × attribute"),
        [*header, _("Total")],
        (
            [
                r["row"].path,
                *[v for cell in r["cells"] for v in (cell["n"], cell["interviews"])],
                r["total"],
            ]
            for r in table_rows
        ),
    )
    download = _download(request, project, "crosstab", table, svg)
    if download:
        return download
    context |= {
        "rows": table_rows,
        "columns": columns,
        "svg": svg,
        "chosen": chosen,
        "column_totals": [column_totals[c.key] for c in columns],
    }
    return render(request, "analysis/crosstab.html", context)


# --- Code × speaker ------------------------------------------------------------------------


@require_GET
@_bounded
def speakers(request: HttpRequest, project_id: int) -> HttpResponse:
    membership, filters = _setup(request, project_id)
    rule = request.GET.get("roles", "participant")
    if rule not in ("participant", "every"):
        rule = "participant"
    context = _context(request, membership, filters, rule=rule)
    if not filters.is_valid():
        return render(request, "analysis/speakers.html", context)
    rows = _rows(filters)
    counts = queries.speakers(filters, _groups(filters, rows), rule) if rows else {}
    labels = {
        "participant": _("Participants"),
        "interviewer": _("Interviewers"),
        "other": _("Others"),
        "none": _("Outside any turn"),
    }
    roles = [r for r in queries.ROLES if r != "none" or any(k[1] == "none" for k in counts)]
    table_rows = []
    for row in rows:
        cells = []
        for role in roles:
            n, seen = counts.get((row.pk, role), (0, 0))
            href = _excerpts(
                filters, code=[row.pk], role=role, roles="every" if rule == "every" else None
            )
            cells.append({"n": n, "interviews": seen, "href": href if n else ""})
        table_rows.append({"row": row, "cells": cells})
    header = (
        [_("Code")]
        + [f"{labels[r]} · {_('codings')}" for r in roles]
        + [f"{labels[r]} · {_('interviews')}" for r in roles]
    )
    table = writers.Table(
        _("Code × speaker"),
        header,
        (
            [r["row"].path] + [c["n"] for c in r["cells"]] + [c["interviews"] for c in r["cells"]]
            for r in table_rows
        ),
    )
    download = _download(request, membership.project, "speakers", table)
    if download:
        return download
    context |= {"rows": table_rows, "roles": [labels[r] for r in roles]}
    return render(request, "analysis/speakers.html", context)


# --- Frequencies ---------------------------------------------------------------------------


@require_GET
@_bounded
def frequencies(request: HttpRequest, project_id: int) -> HttpResponse:
    membership, filters = _setup(request, project_id)
    context = _context(request, membership, filters)
    if not filters.is_valid():
        return render(request, "analysis/frequencies.html", context)
    rows = _rows(filters)
    counts = queries.frequencies(filters, _groups(filters, rows)) if rows else {}
    table_rows = [
        {
            "row": row,
            "f": counts.get(row.pk, queries.Frequency()),
            "href": _excerpts(filters, code=[row.pk]),
        }
        for row in rows
    ]
    sort = request.GET.get("sort", "")
    if sort.lstrip("-") in ("codings", "interviews", "coders", "words"):
        table_rows.sort(
            key=lambda r: getattr(r["f"], sort.lstrip("-")), reverse=sort.startswith("-")
        )
    bars = [
        charts.Bar(
            r["row"].path, r["f"].codings, r["href"] if r["f"].codings else "", r["row"].color
        )
        for r in table_rows
    ]
    title = _("Codings per code")
    desc = _(
        "One bar per code, as long as its number of codings; the table gives the same numbers."
    )
    svg = charts.horizontal_bars(title, desc, bars) if any(b.value for b in bars) else ""
    table = writers.Table(
        _("Code frequencies"),
        [_("Code"), _("Codings"), _("Interviews"), _("Coders"), _("Words coded")],
        (
            [r["row"].path, r["f"].codings, r["f"].interviews, r["f"].coders, r["f"].words]
            for r in table_rows
        ),
    )
    download = _download(request, membership.project, "frequencies", table, svg)
    if download:
        return download
    context |= {"rows": table_rows, "svg": svg, "sort": sort}
    return render(request, "analysis/frequencies.html", context)


# --- Where the codes are -------------------------------------------------------------------


def _lanes(strip: queries.Strip, rows: list[Row], href: str) -> list[charts.Lane]:
    return [
        charts.Lane(row.path, row.color, strip.passages.get(row.pk, []), href)
        for row in rows
        if strip.passages.get(row.pk)
    ]


@require_GET
@_bounded
def portrait(request: HttpRequest, project_id: int, interview_id: int) -> HttpResponse:
    membership, interview = permissions.interview_for(request.user, project_id, interview_id)
    filters = read_filters(membership.project, request.GET, member=membership)
    context = _context(request, membership, filters, interview=interview)
    if not filters.is_valid():
        return render(request, "analysis/portrait.html", context)
    rows = _rows(filters)
    strip = queries.strips(filters, _groups(filters, rows), [interview.pk])
    workspace = reverse("coding:workspace", args=[project_id, interview.pk])
    lanes = _lanes(strip[0], rows, workspace) if strip and rows else []
    title = _("Where the codes are in %(title)s") % {"title": interview.title}
    desc = _(
        "The interview as a strip from its start (left) to its end (right), one row per code, "
        "each passage in the code's colour."
    )
    band = charts.Band(interview.title, interview.text_length, lanes)
    svg = charts.strips(title, desc, [band]) if lanes else ""
    table = writers.Table(
        _("Portrait"),
        [_("Code"), _("Start"), _("End"), _("Start (%)"), _("End (%)")],
        (
            [
                lane.label,
                s,
                e,
                round(100 * s / interview.text_length, 2),
                round(100 * e / interview.text_length, 2),
            ]
            for lane in lanes
            for s, e in lane.passages
        ),
    )
    download = _download(request, membership.project, "portrait", table, svg)
    if download:
        return download
    # The passages' table, built here: 500 rows of {% url %} and localised numbers cost more
    # than the rest of the page.
    passages = format_html_join(
        "",
        '<tr><td>{}</td><td class="num"><a href="{}?at={}-{}">{}</a></td><td class="num">{}</td></tr>',
        ((lane.label, workspace, s, e, s, e) for lane in lanes for s, e in lane.passages),
    )
    context |= {"svg": svg, "lanes": lanes, "passages": passages, "length": interview.text_length}
    return render(request, "analysis/portrait.html", context)


def _page(value: str | None) -> int:
    return (
        int(value)
        if value and value.isascii() and value.isdigit() and 0 < int(value) < 10**6
        else 1
    )


@require_GET
@_bounded
def codeline(request: HttpRequest, project_id: int) -> HttpResponse:
    membership, filters = _setup(request, project_id)
    context = _context(request, membership, filters)
    if not filters.is_valid():
        return render(request, "analysis/codeline.html", context)
    if filters.code_ids:
        rows = _rows(filters)
    else:  # the themes: top-level codes, each with its sub-codes
        filters.subcodes = True
        rows = [r for r in _rows(filters) if r.depth == 0]
    interviews = queries.queries.interviews(filters).order_by("title", "pk")
    total = interviews.count()
    number = min(_page(request.GET.get("page")), max(1, -(-total // CODELINE_PAGE)))
    ids = list(
        interviews.values_list("pk", flat=True)[
            (number - 1) * CODELINE_PAGE : number * CODELINE_PAGE
        ]
    )
    found = queries.strips(filters, _groups(filters, rows), ids) if rows and ids else []
    bands = []
    for strip in found:
        workspace = reverse("coding:workspace", args=[project_id, strip.interview_id])
        portrait_url = reverse("analysis:portrait", args=[project_id, strip.interview_id])
        lanes = [
            charts.Lane(row.path, row.color, strip.passages.get(row.pk, []), workspace)
            for row in rows
        ]
        bands.append(
            charts.Band(strip.title, strip.length, lanes, f"{portrait_url}?{filters.querystring()}")
        )
    title = _("Where the codes are, interview by interview")
    desc = _(
        "Each interview as a strip from its start to its end, one lane per code, each passage in "
        "the code's colour."
    )
    svg = (
        charts.strips(title, desc, bands, lane=10)
        if any(lane.passages for b in bands for lane in b.lanes)
        else ""
    )
    table = writers.Table(
        _("Codeline"),
        [_("Interview"), _("Code"), _("Start"), _("End"), _("Length")],
        (
            [b.label, lane.label, s, e, b.length]
            for b in bands
            for lane in b.lanes
            for s, e in lane.passages
        ),
    )
    download = _download(request, membership.project, "codeline", table, svg)
    if download:
        return download
    context |= {
        "svg": svg,
        "bands": bands,
        "rows": rows,
        "number": number,
        "pages": max(1, -(-total // CODELINE_PAGE)),
        "previous_query": filters.querystring(page=number - 1),
        "next_query": filters.querystring(page=number + 1),
    }
    return render(request, "analysis/codeline.html", context)


# --- Coding progress -----------------------------------------------------------------------


@require_GET
@_bounded
def progress(request: HttpRequest, project_id: int) -> HttpResponse:
    membership, filters = _setup(request, project_id)
    context = _context(request, membership, filters)
    if not filters.is_valid():
        return render(request, "analysis/progress.html", context)
    rows = _rows(filters)
    interviews = queries.queries.interviews(filters).order_by("title", "pk")
    page = None
    if not request.GET.get("format"):  # a download has every interview; the page, a page of them
        page = Paginator(interviews.values("pk", "title", "text_length"), INTERVIEWS_PER_PAGE)
        page = page.get_page(request.GET.get("page"))
        interviews = list(page)
    else:
        interviews = list(interviews.values("pk", "title", "text_length"))
    chosen = [i["pk"] for i in interviews] if page and page.paginator.num_pages > 1 else None
    found = queries.progress(filters, _groups(filters, rows), chosen) if rows else {}
    coder_ids = sorted({c for _i, c in found})
    coders = {m.user_id: m.user for m in membership.project.memberships.select_related("user")}
    names = [people.name(coders[c]) if c in coders else str(c) for c in coder_ids]
    cells, lines = {}, []
    for i, interview in enumerate(interviews):
        for j, coder in enumerate(coder_ids):
            p = found.get((interview["pk"], coder))
            if p is None:
                continue
            share = p.coded / max(interview["text_length"], 1)
            shown = _(
                "%(coded)s coded, %(n)d codings: %(a)d approved, %(p)d pending, %(c)d to change"
            ) % {
                "coded": _percent(p.coded, interview["text_length"]),
                "n": p.codings,
                "a": p.approved,
                "p": p.pending,
                "c": p.needs_change,
            }
            href = _excerpts(filters, interview=[interview["pk"]], coder=[coder])
            cells[(i, j)] = charts.Meter(share, p.approved, p.pending, p.needs_change, shown, href)
            lines.append(
                [
                    interview["title"],
                    names[j],
                    p.coded,
                    interview["text_length"],
                    round(100 * share, 1),
                    p.codings,
                    p.approved,
                    p.pending,
                    p.needs_change,
                    href,
                ]
            )
    title = _("Coding progress")
    desc = _(
        "Interviews × coders: the blue bar is the share of the text each coder coded, the thin bar "
        "under it their codings' review states (green approved, yellow pending, red to change)."
    )
    svg = (
        charts.progress(title, desc, [i["title"] for i in interviews], names, cells)
        if cells
        else ""
    )
    table = writers.Table(
        _("Coding progress"),
        [
            _("Interview"),
            _("Coder"),
            _("Characters coded"),
            _("Characters"),
            _("Coded (%)"),
            _("Codings"),
            _("Approved"),
            _("Pending review"),
            _("Needs change"),
        ],
        (line[:-1] for line in lines),
    )
    download = _download(request, membership.project, "progress", table, svg)
    if download:
        return download
    context |= {"svg": svg, "lines": lines, "page": page}
    return render(request, "analysis/progress.html", context)


# --- Queries that combine codes ------------------------------------------------------------


def _query_context(request, membership, query: CombinedQuery) -> dict:
    project = membership.project
    paths = query.filters.paths
    context = {
        "project": project,
        "q": query,
        "code_options": [(pk, path, path.count(" › ")) for pk, path in paths.items()],
        "attributes": Attribute.objects.filter(project=project),
        "attribute_rows": [(c.attribute.pk, c.raw) for c in query.filters.attributes] + [("", "")],
        "saved": SavedQuery.objects.filter(project=project).select_related("created_by"),
        "operators": [
            ("any", _("any of the codes A")),
            ("and", _("A AND B: passages where they overlap")),
            ("near", _("A NEAR B: within a distance")),
            ("not", _("A NOT B: A where B is not (overlapping, or within the distance)")),
            ("followed", _("A FOLLOWED BY B")),
        ],
        "querystring": query.querystring(),
        **permissions.abilities(membership),
    }
    if query.ready:
        codings, passages, found = results(query)
        context |= {"codings": codings, "passages": passages, "found": found}
        if context["can_code"] and passages:
            context["code_choices"] = list(paths.items())
    return context


@require_GET
@vary_on_headers("HX-Request")
def query_page(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id)
    query = read_query(membership.project, request.GET, user=request.user)
    context = _query_context(request, membership, query)
    return render(
        request, fragments.template(request, "analysis/query.html", "query-results"), context
    )


def _query_url(project_id: int, querystring: str) -> str:
    return f"{reverse('analysis:query', args=[project_id])}?{querystring}"


@require_POST
def save_query(request: HttpRequest, project_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.CODE)
    query = read_query(
        membership.project, _query_dict(request.POST.get("query", "")), user=request.user
    )
    name = " ".join(request.POST.get("name", "").split())[:200]
    if not name:
        messages.error(request, _("Give the query a name to save it."))
    elif not query.ready:
        messages.error(request, _("Only a query that runs can be saved: fix it first."))
    else:
        try:
            with transaction.atomic():
                SavedQuery.objects.create(
                    project=membership.project,
                    name=name,
                    query=query.querystring(),
                    created_by=request.user,
                )
            messages.success(request, _("Query « %(name)s » saved.") % {"name": name})
        except IntegrityError:
            messages.error(
                request, _("A saved query is already called « %(name)s ».") % {"name": name}
            )
    return redirect(_query_url(project_id, query.querystring()))


def _query_dict(text: str) -> QueryDict:
    """A query sent back by a form (save, code all): read as the page's address would be."""
    return QueryDict(text[:10_000])


@require_POST
def delete_query(request: HttpRequest, project_id: int, query_id: int) -> HttpResponse:
    membership = permissions.project_for(request.user, project_id, Action.CODE)
    saved = get_object_or_404(SavedQuery, pk=query_id, project=membership.project)
    if saved.created_by_id != request.user.pk and not permissions.can(membership, Action.MANAGE):
        raise permissions.PermissionDenied
    saved.delete()
    messages.success(request, _("Query « %(name)s » deleted.") % {"name": saved.name})
    return redirect(reverse("analysis:query", args=[project_id]))


@require_http_methods(["GET", "POST"])
def code_results(request: HttpRequest, project_id: int) -> HttpResponse:
    """GET: what coding every result would do; POST: do it, as one action (one undo), each
    interview in its own recorded_as block of the same group, as search's "code all results"."""
    membership = permissions.project_for(request.user, project_id, Action.CODE)
    project = membership.project
    data = request.POST if request.method == "POST" else request.GET
    query = read_query(project, _query_dict(data.get("query", "")), user=request.user)
    context = _query_context(request, membership, query)
    code_id, new_name = data.get("code", ""), " ".join(data.get("new_code", "").split())[:200]
    code = None
    if code_id.isascii() and code_id.isdigit():
        code = Code.objects.filter(project=project, pk=int(code_id)).first()
    problem = None
    if not query.ready:
        problem = _("This query cannot run: fix it first.")
    elif code is None and not new_name:
        problem = _("Choose a code, or name a new one.")
    if problem:
        context["code_problem"] = problem
        return render(request, "analysis/query.html", context, status=200)
    spans = ranges(query)
    count = sum(len(s) for s in spans.values())
    context |= {
        "plan_count": count,
        "plan_interviews": len(spans),
        "plan_code": code,
        "plan_new": new_name,
        "too_many": count > MAX_PASSAGES,
        "max_passages": MAX_PASSAGES,
    }
    if request.method == "GET" or count > MAX_PASSAGES or not count:
        return render(request, "analysis/query.html", context)
    group = None
    with transaction.atomic():
        if code is None:  # a new top-level code, or the one of that name (any case)
            code = Code.objects.filter(project=project, parent=None, name__iexact=new_name).first()
            code = code or Code.objects.create(
                project=project,
                name=new_name,
                created_by=request.user,
                color=next_color(project.pk, None),
                position=next_position(project.pk, None),
            )
        for interview_id in sorted(spans):
            interview = Interview.objects.only("id", "project_id").get(pk=interview_id)
            with recorded_as(request.user, interview_id=interview_id, group=group) as group:
                actions.apply_each(
                    interview, code.pk, request.user, spans[interview_id], group=group
                )
    message = ngettext(
        "%(count)d passage coded with « %(code)s ».",
        "%(count)d passages coded with « %(code)s ».",
        count,
    ) % {"count": count, "code": code.name}
    context |= {"done": message, "group": group, "plan_count": None}
    return render(request, "analysis/query.html", context)


@require_POST
def undo_results(request: HttpRequest, project_id: int) -> HttpResponse:
    permissions.project_for(request.user, project_id, Action.CODE)
    group = request.POST.get("group", "")
    querystring = request.POST.get("query", "")
    message = _(
        "Nothing to undo here: it was undone already, or you have coded these interviews since."
    )
    if group.isascii() and group.isdigit():
        events = CodingEvent.objects.filter(
            project_id=project_id, group=int(group), actor=request.user, undo_of__isnull=True
        )
        for interview_id in events.values_list("interview_id", flat=True).distinct():
            if last_undoable_group(request.user, interview_id) == int(group):
                result = undo_last(request.user, interview_id)
                message = ngettext(
                    "Undone: %(count)d change reverted.",
                    "Undone: %(count)d changes reverted.",
                    len(result.events),
                ) % {"count": len(result.events)}
                break
    messages.info(request, message)
    return redirect(_query_url(project_id, querystring))
