"""Attribute values: GUIDs, colours, booleans, dates and variable values, read leniently and
written as the XSD wants them."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal, InvalidOperation

_GUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_COLOR6 = re.compile(r"#[0-9a-f]{6}")
_COLOR3 = re.compile(r"#[0-9a-f]{3}")
# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_NAMESPACE = uuid.UUID("6f1b3d4e-8a2c-4f5e-9b7d-2c1a0e9f8d7c")


def guid(raw: str | None, *, context: str = "") -> str:
    """A GUID lower-case without braces. Anything that is not a GUID gets a stable stand-in
    (a name-based UUID of the raw value), so that references to it still meet."""
    value = (raw or "").strip().strip("{}").strip().lower()
    if _GUID.fullmatch(value):
        return value
    return str(uuid.uuid5(_NAMESPACE, f"{context}|{raw or ''}"))


def derived_guid(*parts: str) -> str:
    """A stable GUID for something the file did not name (e.g. a folder rebuilt from `a::b`)."""
    return str(uuid.uuid5(_NAMESPACE, "|".join(parts)))


def is_guid(value: str) -> bool:
    return bool(_GUID.fullmatch(value))


def color(raw: str | None) -> str | None:
    """'#rrggbb' lower-case, or None for a missing or malformed colour."""
    value = (raw or "").strip().lower()
    if _COLOR6.fullmatch(value):
        return value
    if _COLOR3.fullmatch(value):
        return "#" + "".join(c * 2 for c in value[1:])
    return None


def boolean(raw: str | None, default: bool) -> bool:
    value = (raw or "").strip().lower()
    if value in ("true", "1", "yes"):
        return True
    if value in ("false", "0", "no"):
        return False
    return default


def datetime(raw: str | None) -> dt.datetime | None:
    """An xsd:dateTime; a value without a zone is taken as UTC. None if unreadable."""
    value = (raw or "").strip()
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def date(raw: str | None) -> dt.date | None:
    value = (raw or "").strip()
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def format_datetime(value: dt.datetime) -> str:
    """2024-03-01T09:30:00Z: UTC, to the second (a naive value is taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    elif value.utcoffset():
        value = value.astimezone(dt.UTC)
    return (
        f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
        f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}Z"
    )


def xml_text(value: str) -> str:
    """The text without the characters XML cannot carry."""
    return _NOT_XML.sub("", value)


# Variable values: element name per type, reader and writer.
VALUE_ELEMENTS = {
    "Text": "TextValue",
    "Boolean": "BooleanValue",
    "Integer": "IntegerValue",
    "Float": "FloatValue",
    "Date": "DateValue",
    "DateTime": "DateTimeValue",
}
ELEMENT_TYPES = {element: kind for kind, element in VALUE_ELEMENTS.items()}


def read_value(element: str, raw: str | None):
    """The typed value of a `<TextValue>`, `<IntegerValue>`… element; None when unreadable."""
    text = (raw or "").strip()
    kind = ELEMENT_TYPES.get(element)
    if kind == "Text":
        return raw or ""
    if kind == "Boolean":
        return boolean(text, default=None)  # type: ignore[arg-type]
    if kind == "Integer":
        try:
            return int(text)
        except ValueError:
            return None
    if kind == "Float":
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    if kind == "Date":
        return date(text)
    if kind == "DateTime":
        return datetime(text)
    return None


def write_value(kind: str, value) -> tuple[str, str] | None:
    """(element name, text) for a value of a variable of `kind`; None when there is nothing to
    write (the XSD has no empty numeric or date value)."""
    if value is None:
        return None
    if kind == "Boolean":
        return "BooleanValue", "true" if value else "false"
    if kind == "Integer":
        return "IntegerValue", str(int(value))
    if kind == "Float":
        number = Decimal(str(value)) if not isinstance(value, Decimal) else value
        return "FloatValue", format(number, "f")  # xsd:decimal has no exponent
    if kind == "Date":
        return "DateValue", value.isoformat()[:10]
    if kind == "DateTime":
        return "DateTimeValue", format_datetime(value)
    return "TextValue", xml_text(str(value))
