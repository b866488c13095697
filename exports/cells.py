"""What a cell of an exported file holds, written once for Python and for the SQL with which
PostgreSQL writes a large CSV itself (exports/excerpt_rows.py `csv_records`), or tells which rows
of an Excel file need cleaning (`unsafe_sql`), so that the two never disagree.

A text a spreadsheet would read as a formula gets a leading apostrophe: one starting with = + - @,
or with a tab or a carriage return, as OWASP advises. A number's minus sign is no formula: the
guard is for texts only.

An Excel cell holds no character XML refuses, and no text longer than Excel opens (`xlsx_cell`).
"""

import re

# Characters XML 1.0 refuses: openpyxl and python-docx raise on them, and PDF imports can carry them.
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# The same in PostgreSQL's regular expressions, but NUL, which its texts never hold.
XML_ILLEGAL_SQL = r"[\x01-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"
EXCEL_CELL_MAX = 32_767  # Excel refuses to open a file with a longer cell

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text(value) -> str | None:
    """A CSV cell's text before quoting: None for no value or an empty text, the str() of a number
    or a date, a text guarded."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return str(value)
    if value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def text_sql(expression: str) -> str:
    """`text` of a text column, in SQL: NULL where the value is NULL or empty (PostgreSQL's CSV
    leaves NULL an unquoted empty cell, as the csv module writes an empty text, where it would quote
    an empty text). `ascii` reads only the first character: `left(x, 1)` made the 10,000-excerpt
    CSV a fifth slower. `expression` must be a plain column: it is written three times."""
    starts = ", ".join(str(ord(start)) for start in FORMULA_STARTS)
    return (
        f"CASE WHEN ascii({expression}) IN ({starts}) THEN '''' || {expression}"
        f" ELSE NULLIF({expression}, '') END"
    )


def xlsx_cell(value) -> object:
    """A value as the Excel writer stores it: text without the characters XML refuses, cut to
    the longest cell Excel opens."""
    if not isinstance(value, str):
        return value
    value = xml_safe(value)
    if len(value) > EXCEL_CELL_MAX:
        value = value[: EXCEL_CELL_MAX - 1] + "…"
    return value


def xml_safe(text: str) -> str:
    return XML_ILLEGAL.sub("", text)


def unsafe_sql(texts: str) -> str:
    """Whether `xlsx_cell` would change any of the texts joined in `texts` (a plain column: it is
    written twice), in SQL: one holds a character XML refuses, or together they are longer than a
    cell may be (and so, maybe, one alone is)."""
    return f"(length({texts}) > {EXCEL_CELL_MAX} OR {texts} ~ '{XML_ILLEGAL_SQL}')"
