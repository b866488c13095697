"""OpenDocument text (.odt): our own walk of content.xml (lxml), in reading order.

Paragraphs, headings, lists, sections and tables (nested too; a merged cell once, its covered cells
skipped); frames and text boxes after the paragraph they are anchored in; notes as "[1]" where they
are referenced and "[note 1: …]" at the end of the paragraph, as for Word; annotations (comments)
returned with their author and passage, never in the text; tracked changes accepted (OpenDocument
keeps insertions in the text and deletions aside, in `text:tracked-changes`, which is skipped).
Headers, footers, images and fields' formulas are left out.
"""

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from interviews.readers import Anchors, Comment, Extracted, Unreadable
from interviews.readers.archives import open_office_zip
from interviews.readers.word import document_notices, table_lines

OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
DRAW = "urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
DC = "http://purl.org/dc/elements/1.1/"


def t(name: str) -> str:
    return f"{{{TEXT}}}{name}"


def read_odt(data: bytes) -> Extracted:
    from lxml import etree

    parts = open_office_zip(data, "odt")
    content = parts.get("content.xml")
    if content is None or b"<!DOCTYPE" in content[:2048].upper():
        raise Unreadable(_("The file is damaged or is not a real .%(ext)s file.") % {"ext": "odt"})
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(content, parser)
    body = root.find(f"{{{OFFICE}}}body/{{{OFFICE}}}text")
    walker = _Walker()
    lines = walker.blocks(body) if body is not None else []
    return walker.extracted(lines)


class _Walker:
    def __init__(self):
        self.anchors = Anchors()
        self.labels: list[str] = []
        self.comments: list[Comment] = []
        self.open_comments: dict[str, Comment] = {}  # by office:name, waiting for their end
        self.numbered: list[tuple[int, str]] = []
        self.note_count = 0
        self.counts = {"changes": 0, "boxes": 0}

    def blocks(self, element) -> list[str]:
        lines = []
        for child in element:
            tag = child.tag
            if tag in (t("p"), t("h")):
                lines += self.paragraph(child)
            elif tag == f"{{{TABLE}}}table":
                lines += self.table(child)
            elif tag == t("tracked-changes"):
                self.counts["changes"] += len(child)
            elif tag == f"{{{DRAW}}}frame":
                lines += self._frame(child)
            elif tag in (t("sequence-decls"), f"{{{OFFICE}}}forms"):
                continue
            else:  # lists, list items, sections, indexes…
                lines += self.blocks(child)
        return lines

    def paragraph(self, paragraph) -> list[str]:
        pieces: list[str] = []
        boxes: list[str] = []
        self._inline(paragraph, pieces, boxes)
        text = "".join(pieces)
        if self.numbered:
            text += "".join(f" [note {number}: {note}]" for number, note in self.numbered)
            self.numbered = []
        return [text, *boxes]

    def _inline(self, element, pieces, boxes) -> None:
        if element.text:
            pieces.append(element.text)
        for child in element:
            tag = child.tag
            if tag == t("s"):
                pieces.append(" " * int(child.get(t("c"), "1") or 1))
            elif tag == t("tab"):
                pieces.append("\t")
            elif tag == t("line-break"):
                pieces.append("\n")
            elif tag == t("note"):
                self._note(child, pieces)
            elif tag == f"{{{OFFICE}}}annotation":
                self._annotation(child, pieces)
            elif tag == f"{{{OFFICE}}}annotation-end":
                comment = self.open_comments.pop(child.get(f"{{{OFFICE}}}name") or "", None)
                if comment is not None:
                    comment.end, anchor = self.anchors.place()
                    pieces.append(anchor)
            elif tag == f"{{{DRAW}}}frame":
                boxes += self._frame(child)
            elif tag in (t("bookmark"), t("bookmark-start"), t("bookmark-end"), t("change")):
                pass
            elif tag == t("ruby"):
                base = child.find(t("ruby-base"))
                if base is not None:
                    self._inline(base, pieces, boxes)
            else:  # spans, links, fields, change marks…
                self._inline(child, pieces, boxes)
            if child.tail:
                pieces.append(child.tail)

    def _note(self, note, pieces) -> None:
        body = note.find(t("note-body"))
        text = " ".join(" ".join(self._plain(body)).split()) if body is not None else ""
        self.note_count += 1
        self.numbered.append((self.note_count, text))
        pieces.append(f"[{self.note_count}]")

    def _plain(self, element) -> list[str]:
        """Text of a note or an annotation: no anchors, notes or comments of its own."""
        saved = (self.anchors, self.numbered, self.comments, self.open_comments)
        self.anchors, self.numbered, self.comments, self.open_comments = Anchors(), [], [], {}
        try:
            return [line for line in self.blocks(element) if line.strip()]
        finally:
            self.anchors, self.numbered, self.comments, self.open_comments = saved

    def _annotation(self, annotation, pieces) -> None:
        author = annotation.findtext(f"{{{DC}}}creator") or ""
        paragraphs = [p for p in annotation if p.tag in (t("p"), t("h"), t("list"))]
        holder = annotation.makeelement(t("section"))
        holder.extend(paragraphs)
        text = "\n".join(line.strip() for line in self._plain(holder))
        start, anchor = self.anchors.place()
        pieces.append(anchor)
        comment = Comment(start, start, text, author)
        self.comments.append(comment)
        name = annotation.get(f"{{{OFFICE}}}name")
        if name:
            self.open_comments[name] = comment  # its passage ends at the annotation-end

    def _frame(self, frame) -> list[str]:
        lines = []
        for box in frame.iter(f"{{{DRAW}}}text-box"):
            self.counts["boxes"] += 1
            lines += [line for line in self.blocks(box) if line.strip()]
        return lines

    def table(self, table) -> list[str]:
        rows = []
        for row in table.iter(f"{{{TABLE}}}table-row"):
            if _owner_table(row) is not table:
                continue  # a row of a nested table: read with its cell
            cells = []
            for cell in row:
                if cell.tag == f"{{{TABLE}}}table-cell":
                    lines = [line.strip() for line in self.blocks(cell) if line.strip()]
                    cells.append("\n".join(lines))
            rows.append(cells)
        return table_lines(rows, self.labels)

    def extracted(self, lines: list[str]) -> Extracted:
        notices = document_notices(self.note_count, self.counts["boxes"], len(self.comments))
        if self.counts["changes"]:
            notices.append(
                ngettext(
                    "%(count)d tracked change was accepted.",
                    "%(count)d tracked changes were accepted.",
                    self.counts["changes"],
                )
                % {"count": self.counts["changes"]}
            )
        return Extracted(
            "\n\n".join(line.strip() for line in lines if line.strip()),
            labels=list(dict.fromkeys(self.labels)),
            comments=self.comments,
            notices=notices,
        )


def _owner_table(row):
    parent = row.getparent()
    while parent is not None and parent.tag != f"{{{TABLE}}}table":
        parent = parent.getparent()
    return parent
