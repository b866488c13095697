"""The agreement figures as an Excel workbook: the settings used, per code, per code × interview,
per pair of coders, and the methods paragraph in French and English.

Figures are fractions (0–1) with a percentage or decimal number format, empty when undefined with
the reason beside them, as on the page.
"""

import re
import tempfile

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from agreement import methods
from agreement.figures import Figure, Figures
from verbatim.people import name

XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")
PERCENT, DECIMAL = "0.0%", "0.000"


def workbook_file(computed: Figures, reasons: dict[str, str], decisions: int = 0):
    """The workbook in an anonymous temporary file, rewound, for a FileResponse. `reasons` turns a
    metrics reason key into words."""
    book = Workbook(write_only=True)
    s = computed.selection
    coders = s.coders

    sheet = book.create_sheet(_("Settings"))
    for label, value in [
        (_("Project"), s.project.name),
        (_("Coding round"), s.round.name if s.round else "—"),
        (_("Coders"), ", ".join(name(c) for c in coders)),
        (
            _("Compared"),
            _("each coder with %(name)s") % {"name": name(s.reference)}
            if s.reference
            else _("every pair of coders"),
        ),
        (_("Interviews"), len(s.interviews)),
        (_("Characters (code points)"), s.length),
        (_("Codes"), len(s.codes)),
        (_("Minimum overlap of matched segments"), float(s.min_overlap)),
        (_("Units of Krippendorff’s α"), _("paragraphs") if s.unit == "paragraph" else _("turns")),
        (_("Codings read"), computed.codings),
        (_("Computed"), timezone.localtime().strftime("%Y-%m-%d %H:%M")),
    ]:
        sheet.append([_bold(sheet, label), _cell(sheet, value)])
    sheet.append([])
    sheet.append([_bold(sheet, _("Interview")), _bold(sheet, _("Characters"))])
    for interview in s.interviews:
        sheet.append([_cell(sheet, interview.title), interview.length])

    figures = [
        ("percent", _("Percent agreement"), PERCENT),
        ("kappa", _("Cohen’s κ"), DECIMAL),
        ("alpha_u", _("Krippendorff’s uα"), DECIMAL),
        ("segment", _("Segments matched"), PERCENT),
        ("alpha_nominal", _("Krippendorff’s α (presence)"), DECIMAL),
    ]
    sheet = book.create_sheet(_("Per code"))
    sheet.append(
        [_bold(sheet, t) for t in [_("Code"), _("Path")]]
        + [_bold(sheet, label) for _key, label, _f in figures]
        + [_bold(sheet, _("Characters coded by %(name)s") % {"name": name(c)}) for c in coders]
        + [_bold(sheet, _("Segments of %(name)s") % {"name": name(c)}) for c in coders]
        + [_bold(sheet, _("Undefined because"))]
    )
    for code in computed.codes:
        values = [getattr(code, key) for key, _label, _f in figures]
        sheet.append(
            [_cell(sheet, code.code.name), _cell(sheet, code.path)]
            + [_figure(sheet, v, f) for v, (_k, _l, f) in zip(values, figures, strict=True)]
            + [code.coded[c.pk] for c in coders]
            + [code.segments[c.pk] for c in coders]
            + [_cell(sheet, _reasons(values, figures, reasons))]
        )
    o = computed.overall
    overall = [o.percent, o.kappa, o.alpha_u, o.segment, o.alpha_nominal]
    sheet.append(
        [_bold(sheet, _("Overall")), ""]
        + [_figure(sheet, v, f) for v, (_k, _l, f) in zip(overall, figures, strict=True)]
    )
    sheet.append(
        [
            _bold(sheet, _("Brennan & Prediger’s κ on segments")),
            "",
            _figure(sheet, o.segment_kappa, DECIMAL),
        ]
    )

    sheet = book.create_sheet(_("Per code × interview"))
    sheet.append(
        [_bold(sheet, t) for t in [_("Code"), _("Interview")]]
        + [_bold(sheet, label) for _key, label, _f in figures[:3]]
        + [_bold(sheet, _("Characters coded by %(name)s") % {"name": name(c)}) for c in coders]
    )
    for code in computed.codes:
        for cell in code.cells:
            if not cell.anyone_coded:
                continue
            sheet.append(
                [_cell(sheet, code.path), _cell(sheet, cell.interview.title)]
                + [
                    _figure(sheet, v, f)
                    for v, (_k, _l, f) in zip(
                        [cell.percent, cell.kappa, cell.alpha_u], figures[:3], strict=True
                    )
                ]
                + [cell.coded[c.pk] for c in coders]
            )

    sheet = book.create_sheet(_("Pairs"))
    sheet.append(
        [
            _bold(sheet, t)
            for t in [
                _("Code"),
                _("First coder"),
                _("Second coder"),
                _("Percent agreement"),
                _("Cohen’s κ"),
                _("Characters coded by both"),
                _("By the first only"),
                _("By the second only"),
                _("By neither"),
                _("Segments of the first"),
                _("Matched"),
                _("Segments of the second"),
                _("Matched"),
            ]
        ]
    )
    for label, pairs in [(code.path, code.pairs) for code in computed.codes] + [
        (_("Overall"), o.pairs)
    ]:
        for pair in pairs:
            t, g = pair.table, pair.segments
            sheet.append(
                [
                    _cell(sheet, label),
                    _cell(sheet, name(pair.first)),
                    _cell(sheet, name(pair.second)),
                ]
                + [_figure(sheet, pair.percent, PERCENT), _figure(sheet, pair.kappa, DECIMAL)]
                + [
                    t.both,
                    t.only_a,
                    t.only_b,
                    t.neither,
                    g.total_a,
                    g.matched_a,
                    g.total_b,
                    g.matched_b,
                ]
            )

    sheet = book.create_sheet(_("Methods"))
    for language, text in methods.paragraphs(computed, decisions).items():
        sheet.append([language, _cell(sheet, text)])

    # Not a `with` block: the FileResponse reading it closes it, which deletes it.
    file = tempfile.TemporaryFile()  # noqa: SIM115
    book.save(file)
    file.seek(0)
    return file


def _reasons(values: list[Figure], figures, reasons: dict[str, str]) -> str:
    return "; ".join(
        f"{label}: {reasons.get(v.reason, v.reason)}"
        for v, (_k, label, _f) in zip(values, figures, strict=True)
        if v.value is None
    )


def _figure(sheet, figure: Figure, number_format: str):
    if figure.value is None:
        return None
    cell = WriteOnlyCell(sheet, figure.value)
    cell.number_format = number_format
    return cell


def _cell(sheet, value):
    """Text always as text: a code named "=SUM(…)" stays a name, never a formula."""
    if not isinstance(value, str):
        return value
    cell = WriteOnlyCell(sheet, XML_ILLEGAL.sub("", value)[:32_000])
    cell.data_type = "s"
    return cell


def _bold(sheet, text: str):
    cell = _cell(sheet, text)
    cell.font = Font(bold=True)
    return cell
