"""Hardened, streaming XML reading for project.qde and .qdc files.

lxml's iterparse with entities left unresolved, no network, no DTD loading and libxml2's default
size limits (huge_tree off); any DOCTYPE is refused outright, since no REFI-QDA file has one and
a DTD is how entity-expansion and external-entity attacks get in. Elements are handed over one
top-level item at a time (one source, one note…) and dropped once read, so memory stays bounded
by the largest single item, not by the file.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from lxml import etree

from .model import RefiError

_PROLOG_BYTES = 64 * 1024
_DECLARATIONS = [
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("utf-8", "utf-16-le", "utf-16-be")
]


class GuardedReader(io.RawIOBase):
    """Refuses a DTD in the prolog before the parser sees it; caps the bytes read."""

    def __init__(self, stream, label: str, max_bytes: int | None = None):
        self.stream = stream
        self.label = label
        self.max_bytes = max_bytes
        self.seen = 0
        self.head = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        data = self.stream.read(len(buffer))
        self.seen += len(data)
        if self.max_bytes is not None and self.seen > self.max_bytes:
            raise RefiError(
                f"{self.label} is larger than {self.max_bytes // (1024 * 1024)} MiB, more than "
                "this server accepts.",
                code="too_large",
            )
        if len(self.head) < _PROLOG_BYTES:
            self.head += data[: _PROLOG_BYTES - len(self.head)]
            if any(marker in self.head for marker in _DECLARATIONS):
                refuse_dtd(self.label)
        buffer[: len(data)] = data
        return len(data)


def refuse_dtd(label: str):
    raise RefiError(
        f"{label} declares a DTD or entities, which REFI-QDA files never do; it was refused for "
        "safety.",
        code="dtd",
    )


def local(element) -> str:
    tag = element.tag
    if not isinstance(tag, str):
        return ""  # an entity reference or processing instruction left in place
    return tag.rpartition("}")[2]


def children(element) -> Iterator[tuple[str, etree._Element]]:
    for child in element:
        name = local(child)
        if name:
            yield name, child


def text_of(element) -> str:
    return element.text or ""


def items(stream, label: str) -> Iterator[tuple[int, etree._Element]]:
    """(depth, element) for the root (depth 0, at its start, attributes only), then for every
    element of depth 2 and 1 at its end. Depth-2 elements are dropped after the caller is done."""
    context = etree.iterparse(
        stream,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    depth = -1
    try:
        for event, element in context:
            if event == "start":
                depth += 1
                if depth == 0:
                    if element.getroottree().docinfo.doctype:
                        refuse_dtd(label)
                    yield 0, element
                continue
            if depth in (1, 2):
                yield depth, element
                element.clear(keep_tail=False)
                if depth == 2:
                    while element.getprevious() is not None:
                        del element.getparent()[0]
            depth -= 1
    except etree.XMLSyntaxError as error:
        raise RefiError(
            f"{label} is not well-formed XML (line {error.lineno}): {error.msg}. "
            "The export may be damaged or incomplete.",
            code="invalid_xml",
        ) from error
    if depth != -1:
        raise RefiError(f"{label} is empty or incomplete.", code="invalid_xml")
