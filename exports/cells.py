"""What a cell of an exported file holds, written once for Python and for the SQL with which
PostgreSQL writes a large CSV itself (exports/excerpt_rows.py `csv_records`), so that the two never
disagree.

A text a spreadsheet would read as a formula gets a leading apostrophe: one starting with = + - @,
or with a tab or a carriage return, as OWASP advises. A number's minus sign is no formula: the
guard is for texts only.
"""

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
