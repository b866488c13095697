"""Word (.docx): our own walk of the package's XML (lxml), which keeps everything a reader of the
document sees, in reading order.

- Body paragraphs and tables; nested tables; a cell merged over several rows or columns once.
- Text boxes and frames (drawings and VML shapes) after the paragraph they are anchored in; of the two
  copies Word writes (`mc:Choice` and `mc:Fallback`), one.
- Tracked changes accepted: insertions and moves in, deletions out.
- Footnotes and endnotes: "[1]" where the note is referenced, "[note 1: …]" at the end of the
  paragraph (numbered in reading order, footnotes and endnotes together).
- Symbols (`w:sym`, Symbol/Wingdings/Webdings fonts) mapped to Unicode (mammoth's table); a symbol
  without a Unicode equivalent is dropped and counted in a notice.
- Comments: returned with their author and the passage they anchor (never in the text).
- Speakers: a bold name opening a paragraph ("**Marie :** …") is a label; a table is a transcript,
  "Label : text" per row, when one column holds short labels that repeat or name a role; any other
  table stays text, cell by cell.
- Strict Open XML files are read by mapping their namespaces to the usual ones.
Headers, footers, images, fields' codes and macros are left out.
"""

import re
from pathlib import PurePosixPath

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from interviews.readers import ANCHOR, Anchors, Comment, Extracted, Unreadable
from interviews.readers.archives import open_office_zip
from interviews.transcripts import is_role

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
MATH = "http://schemas.openxmlformats.org/officeDocument/2006/math"
# Strict Open XML (ISO 29500 strict) names the same things differently: read as transitional.
STRICT = {
    b"http://purl.oclc.org/ooxml/wordprocessingml/main": W.encode(),
    b"http://purl.oclc.org/ooxml/officeDocument/relationships": (
        b"http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    ),
    b"http://purl.oclc.org/ooxml/officeDocument/math": MATH.encode(),
    b"http://purl.oclc.org/ooxml/drawingml/main": b"http://schemas.openxmlformats.org/drawingml/2006/main",
    b"http://purl.oclc.org/ooxml/drawingml/wordprocessingDrawing": (
        b"http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
    ),
}
# A speaker label as people set it in bold: short, starts with a letter, no sentence punctuation.
LABEL = re.compile(r"[^\W\d_][\w·.'’() -]{0,39}")
TIME_CELL = re.compile(r"\[?\(?(?:\d{1,2}:)?\d{1,2}:\d{2}(?:[.,]\d{1,3})?\)?\]?")
OFF = {"0", "false", "off", "none"}


def w(name: str) -> str:
    return f"{{{W}}}{name}"


def read_docx(data: bytes) -> Extracted:
    parts = open_office_zip(data, "docx")
    main = _target(parts, "_rels/.rels", "/officeDocument") or "word/document.xml"
    if main not in parts:
        raise Unreadable(_("The file is damaged or is not a real .%(ext)s file.") % {"ext": "docx"})
    rels = f"{PurePosixPath(main).parent}/_rels/{PurePosixPath(main).name}.rels"
    walker = _Walker()
    for kind in ("footnotes", "endnotes"):
        if name := _target(parts, rels, f"/{kind}", base=main):
            walker.read_notes(_xml(parts[name]), kind)
    if name := _target(parts, rels, "/comments", base=main):
        walker.read_comments(_xml(parts[name]))
    body = _xml(parts[main]).find(w("body"))
    lines = walker.blocks(body) if body is not None else []
    return walker.extracted(lines)


def _xml(data: bytes):
    from lxml import etree

    # Word never writes a DTD: one could only be there to declare entities (billion laughs).
    if b"<!DOCTYPE" in data[:2048].upper():
        raise Unreadable(_("The file is damaged or is not a real .%(ext)s file.") % {"ext": "docx"})
    for strict, transitional in STRICT.items():
        data = data.replace(strict, transitional)
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(data, parser)


def _target(parts: dict, rels: str, kind: str, base: str = "") -> str:
    """The part a relationship of type `…kind` points at, as a name in the package."""
    if rels not in parts:
        return ""
    for relation in _xml(parts[rels]):
        if (relation.get("Type") or "").endswith(kind) and relation.get("TargetMode") != "External":
            target = relation.get("Target") or ""
            if target.startswith("/"):
                return target.lstrip("/")
            folder = PurePosixPath(base).parent if base else PurePosixPath("")
            parts_path = []
            for piece in (folder / target).parts:
                if piece == "..":
                    parts_path = parts_path[:-1]
                elif piece != ".":
                    parts_path.append(piece)
            return "/".join(parts_path)
    return ""


class _Walker:
    def __init__(self):
        self.anchors = Anchors()
        self.notes: dict[tuple[str, str], str] = {}  # (kind, id) → text
        self.comment_texts: dict[str, tuple[str, str]] = {}  # id → (text, author)
        self.comment_anchors: dict[str, list[int | None]] = {}  # id → [start, end] anchors
        self.labels: list[str] = []
        self.numbered: list[tuple[int, str]] = []  # notes of the paragraph being read
        self.note_count = 0
        self.counts = {"insertions": 0, "deletions": 0, "unmapped": 0, "boxes": 0}

    # Notes and comments, read before the body ---------------------------------------------------

    def read_notes(self, root, kind: str) -> None:
        for note in root:
            if note.get(w("type")) in ("separator", "continuationSeparator", "continuationNotice"):
                continue
            lines = [line for line in self._plain_blocks(note) if line.strip()]
            self.notes[(kind, note.get(w("id")))] = " ".join(" ".join(lines).split())

    def read_comments(self, root) -> None:
        for comment in root.iter(w("comment")):
            lines = [line for line in self._plain_blocks(comment) if line.strip()]
            text = "\n".join(line.strip() for line in lines)
            self.comment_texts[comment.get(w("id"))] = (text, comment.get(w("author")) or "")

    def _plain_blocks(self, element) -> list[str]:
        """Text of a note or comment: no anchors, labels or notes of its own."""
        saved = (self.anchors, self.labels, self.numbered, self.comment_anchors)
        self.anchors, self.labels, self.numbered, self.comment_anchors = Anchors(), [], [], {}
        try:
            return self.blocks(element, plain=True)
        finally:
            self.anchors, self.labels, self.numbered, self.comment_anchors = saved

    # Blocks -------------------------------------------------------------------------------------

    def blocks(self, element, plain: bool = False) -> list[str]:
        """The paragraphs and tables under `element`, as lines of text, in reading order."""
        lines = []
        for child in element:
            tag = child.tag
            if tag == w("p"):
                lines += self.paragraph(child, plain)
            elif tag == w("tbl"):
                lines += self.table(child)
            elif tag in (w("sdt"), w("customXml"), w("ins"), w("moveTo")):
                content = child.find(w("sdtContent")) if tag == w("sdt") else child
                lines += self.blocks(content, plain) if content is not None else []
            elif tag in (w("commentRangeStart"), w("commentRangeEnd")):
                lines.append(self._comment_anchor(child))
            elif tag == f"{{{MC}}}AlternateContent":
                lines += self.blocks(_chosen(child), plain)
        return lines

    def paragraph(self, paragraph, plain: bool = False) -> list[str]:
        segments: list[tuple[str, bool]] = []  # (text, bold)
        boxes: list[str] = []
        self._inline(paragraph, segments, boxes, bold=False)
        text = "".join(text for text, _bold in segments)
        if not plain:
            text = self._label(segments, text)
        if self.numbered and not plain:
            text += "".join(f" [note {number}: {note}]" for number, note in self.numbered)
            self.numbered = []
        return [text, *boxes]

    def _inline(self, element, segments, boxes, bold: bool) -> None:
        for child in element:
            tag = child.tag
            if tag == w("r"):
                self._run(child, segments, boxes)
            elif tag in (w("del"), w("moveFrom")):
                self.counts["deletions"] += 1
            elif tag in (w("ins"), w("moveTo")):
                self.counts["insertions"] += 1
                self._inline(child, segments, boxes, bold)
            elif tag in (w("commentRangeStart"), w("commentRangeEnd")):
                segments.append((self._comment_anchor(child), bold))
            elif tag in (w("pPr"), w("rPr"), w("bookmarkStart"), w("bookmarkEnd")):
                continue
            elif tag == f"{{{MATH}}}t":
                segments.append((child.text or "", False))
            elif tag == f"{{{MC}}}AlternateContent":
                self._inline(_chosen(child), segments, boxes, bold)
            else:  # hyperlinks, smart tags, content controls, simple fields, equations…
                self._inline(child, segments, boxes, bold)

    def _run(self, run, segments, boxes) -> None:
        properties = run.find(w("rPr"))
        bold = properties is not None and _on(properties.find(w("b")))
        for child in run:
            tag = child.tag
            if tag == w("t"):
                segments.append((child.text or "", bold))
            elif tag in (w("tab"), w("ptab")):
                segments.append(("\t", bold))
            elif tag in (w("br"), w("cr")):
                segments.append(("\n", bold))
            elif tag == w("noBreakHyphen"):
                segments.append(("\u2011", bold))
            elif tag == w("sym"):
                segments.append((self._symbol(child), bold))
            elif tag in (w("footnoteReference"), w("endnoteReference")):
                kind = "footnotes" if tag == w("footnoteReference") else "endnotes"
                note = self.notes.get((kind, child.get(w("id"))))
                if note is not None:
                    self.note_count += 1
                    self.numbered.append((self.note_count, note))
                    segments.append((f"[{self.note_count}]", False))
            elif tag == w("commentReference"):
                ends = self.comment_anchors.get(child.get(w("id")))
                if ends is None or None in ends:  # a comment on a point, without a passage
                    number, anchor = self.anchors.place()
                    self.comment_anchors[child.get(w("id"))] = [
                        number if ends is None or ends[0] is None else ends[0],
                        number,
                    ]
                    segments.append((anchor, bold))
            elif tag == w("ruby"):
                base = child.find(w("rubyBase"))
                if base is not None:
                    self._inline(base, segments, boxes, bold)
            elif tag == f"{{{MC}}}AlternateContent":
                self._boxes(_chosen(child), boxes)
            elif tag in (w("drawing"), w("pict"), w("object")):
                self._boxes(child, boxes)

    def _boxes(self, element, boxes) -> None:
        """Text boxes inside a drawing, once (the first of Word's alternative copies)."""
        for child in element:
            if child.tag == w("txbxContent"):
                self.counts["boxes"] += 1
                boxes += [line for line in self.blocks(child) if line.strip()]
            elif child.tag == f"{{{MC}}}AlternateContent":
                self._boxes(_chosen(child), boxes)
            else:
                self._boxes(child, boxes)

    def _symbol(self, element) -> str:
        from mammoth.docx.dingbats import dingbats

        font = (element.get(w("font")) or "").strip()
        try:
            code = int(element.get(w("char")) or "", 16)
        except ValueError:
            return ""
        if code >= 0xF000:  # fonts of symbols put their characters in the private use area
            code -= 0xF000
        mapped = dingbats.get((font, code))
        if mapped is None or 0xE000 <= mapped <= 0xF8FF:
            self.counts["unmapped"] += 1
            return ""
        return chr(mapped)

    def _comment_anchor(self, element) -> str:
        number, anchor = self.anchors.place()
        ends = self.comment_anchors.setdefault(element.get(w("id")), [None, None])
        ends[0 if element.tag == w("commentRangeStart") else 1] = number
        return anchor

    def _label(self, segments, text: str) -> str:
        """A bold name opening the paragraph becomes "Name : " (a speaker label)."""
        bold = ""
        for piece, is_bold in segments:
            # Anchors (a comment starting there) are neither bold nor not.
            if not is_bold and re.sub(ANCHOR, "", piece).strip():
                break
            bold += piece
        anchors = "".join(re.findall(ANCHOR, bold))
        label = re.sub(ANCHOR, "", bold).strip().rstrip(":\u00a0\u202f ").strip()
        rest = text[len(bold) :].lstrip().lstrip(":").lstrip(" \t\u00a0\u202f")
        # A bold line on its own is a heading, unless it ends with a colon like a label does.
        if not label or not LABEL.fullmatch(label) or not (rest or bold.strip().endswith(":")):
            return text
        self.labels.append(label)
        return anchors + (f"{label} : {rest}" if rest else f"{label} :")

    # Tables -------------------------------------------------------------------------------------

    def table(self, table) -> list[str]:
        """Cells in reading order, each cell once; "Label : text" rows when a column holds
        speakers."""
        rows = []
        for row in _children(table, "tr"):
            cells = []
            for cell in _children(row, "tc"):
                properties = cell.find(w("tcPr"))
                merge = properties.find(w("vMerge")) if properties is not None else None
                if merge is not None and merge.get(w("val"), "continue") == "continue":
                    continue  # the rest of a cell merged over several rows: its text came once
                lines = [line.strip() for line in self.blocks(cell) if line.strip()]
                cells.append("\n".join(lines))
            rows.append(cells)
        return table_lines(rows, self.labels)

    # Result -------------------------------------------------------------------------------------

    def extracted(self, lines: list[str]) -> Extracted:
        comments = []
        for key, (start, end) in self.comment_anchors.items():
            if key in self.comment_texts and start is not None and end is not None:
                text, author = self.comment_texts[key]
                comments.append(Comment(start, end, text, author))
        return Extracted(
            "\n\n".join(line.strip() for line in lines if line.strip()),
            labels=list(dict.fromkeys(self.labels)),
            comments=comments,
            notices=self._notices(len(comments)),
        )

    def _notices(self, comments: int) -> list[str]:
        notices = document_notices(self.note_count, self.counts["boxes"], comments)
        if self.counts["insertions"] or self.counts["deletions"]:
            notices.append(
                _(
                    "Tracked changes were accepted (insertions kept: %(insertions)d; deletions "
                    "left out: %(deletions)d)."
                )
                % self.counts
            )
        if self.counts["unmapped"]:
            notices.append(
                ngettext(
                    "%(count)d symbol has no Unicode equivalent and was left out.",
                    "%(count)d symbols have no Unicode equivalent and were left out.",
                    self.counts["unmapped"],
                )
                % {"count": self.counts["unmapped"]}
            )
        return notices


def document_notices(notes: int, boxes: int, comments: int) -> list[str]:
    """What the admin should know of a word processor's document (Word and OpenDocument alike)."""
    notices = []
    if notes:
        notices.append(
            ngettext(
                "%(count)d footnote or endnote is kept as “[note 1: …]” at the end of its "
                "paragraph; “[1]” marks where it was referenced.",
                "%(count)d footnotes and endnotes are kept as “[note 1: …]” at the end of their "
                "paragraph; “[1]” marks where each was referenced.",
                notes,
            )
            % {"count": notes}
        )
    if boxes:
        notices.append(
            ngettext(
                "%(count)d text box is kept after the paragraph it is anchored in.",
                "%(count)d text boxes are kept after the paragraph they are anchored in.",
                boxes,
            )
            % {"count": boxes}
        )
    if comments:
        notices.append(
            ngettext(
                "%(count)d comment was found; it is not part of the text.",
                "%(count)d comments were found; they are not part of the text.",
                comments,
            )
            % {"count": comments}
        )
    return notices


def _on(element) -> bool:
    return element is not None and (element.get(w("val")) or "true").lower() not in OFF


def _chosen(alternate):
    """Of the copies in `mc:AlternateContent`, the first choice, else the fallback."""
    choice = alternate.find(f"{{{MC}}}Choice")
    if choice is not None:
        return choice
    fallback = alternate.find(f"{{{MC}}}Fallback")
    return fallback if fallback is not None else []


def _children(element, name: str):
    """Direct children `name`, also through content controls and custom XML wrapping them."""
    for child in element:
        if child.tag == w(name):
            yield child
        elif child.tag in (w("sdt"), w("customXml")):
            content = child.find(w("sdtContent")) if child.tag == w("sdt") else child
            if content is not None:
                yield from _children(content, name)


def table_lines(rows: list[list[str]], labels: list[str]) -> list[str]:
    """The lines of a table given as rows of cell texts: "Label : text" rows when one column
    holds speakers (their labels added to `labels`), else every cell on its own."""
    speaker = _speaker_column(rows)
    lines = []
    for cells in rows:
        if speaker is None or len(cells) <= speaker:
            lines += [cell for cell in cells if cell]
            continue
        label = cells[speaker].rstrip(" :\u00a0")
        others = [cell for index, cell in enumerate(cells) if index != speaker and cell]
        said = " ".join(cell for cell in others if not TIME_CELL.fullmatch(cell))
        times = [cell for cell in others if TIME_CELL.fullmatch(cell)]
        stamp = f"[{times[0].strip('[]()')}] " if times else ""
        if label and said:
            labels.append(label)
            lines.append(f"{stamp}{label} : {said}")
        elif said or label:
            lines.append(stamp + (said or label))
    return lines


def _speaker_column(rows: list[list[str]]) -> int | None:
    """The column of a table that holds speakers: short one-line labels, in at least two rows,
    that repeat or name a role, beside one column of speech (and maybe one of times). None for
    an ordinary table, a form for instance."""
    width = max((len(cells) for cells in rows), default=0)
    if not 2 <= width <= 3 or len(rows) < 2:
        return None
    for column in range(width - 1):
        labels = [
            cells[column].rstrip(" :\u00a0")
            for cells in rows
            if len(cells) > column and cells[column]
        ]
        labels = [label for label in labels if not TIME_CELL.fullmatch(label)]
        if len(labels) < 2 or not all(
            LABEL.fullmatch(label) and "\n" not in label for label in labels
        ):
            continue
        if width == 3:  # the third column must hold times: [time | speaker | text]
            others = [c for cells in rows for i, c in enumerate(cells) if i != column and c]
            if sum(bool(TIME_CELL.fullmatch(c)) for c in others) * 2 < len(rows):
                continue
        if len(set(labels)) < len(labels) or any(is_role(label) for label in labels):
            return column
    return None
