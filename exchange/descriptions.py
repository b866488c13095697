"""A code's definition in one REFI-QDA `Description`: Verbatim keeps the definition, when to use
and when not to use a code apart; the standard has one text. Written with fixed headings, so the
three parts come back apart, and read in English or French."""

import re

WHEN = "When to use:"
WHEN_NOT = "When not to use:"
_HEADING = re.compile(
    r"(?:^|\n\n)(When to use|When not to use|Quand l[’']utiliser|Quand ne pas l[’']utiliser)"
    r"[ \u00a0]?:\n",
    re.IGNORECASE,
)


def join(definition: str, inclusion: str, exclusion: str) -> str:
    """The Description of a code: its definition, then each rule under its heading."""
    parts = [definition] if definition else []
    if inclusion:
        parts.append(f"{WHEN}\n{inclusion}")
    if exclusion:
        parts.append(f"{WHEN_NOT}\n{exclusion}")
    return "\n\n".join(parts)


def split(description: str) -> tuple[str, str, str]:
    """(definition, when to use, when not to use) from a Description written by `join` (or by hand
    with the same headings); any other text is all definition."""
    found = list(_HEADING.finditer(description))
    if not found:
        return description, "", ""
    parts = {"definition": description[: found[0].start()]}
    for index, heading in enumerate(found):
        end = found[index + 1].start() if index + 1 < len(found) else len(description)
        negative = re.search(r"\bnot\b|ne pas", heading[1].lower())
        key = "exclusion" if negative else "inclusion"
        body = description[heading.end() : end]
        parts[key] = f"{parts[key]}\n\n{body}" if key in parts else body
    return parts["definition"], parts.get("inclusion", ""), parts.get("exclusion", "")
