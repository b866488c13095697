"""Tiny hand-made .qdpx archives for the REFI-QDA tests, built in memory."""

import io
import zipfile
from pathlib import Path

import pytest
from lxml import etree

# shared/ sits beside the clone (../shared); a worktree under wt/<name> is one level deeper.
_ROOT = Path(__file__).resolve().parents[2]
SHARED = (
    next(
        (p for p in (_ROOT.parent / "shared", _ROOT.parent.parent / "shared") if p.is_dir()),
        _ROOT.parent / "shared",
    )
    / "refi-qda"
)
SAMPLES = SHARED / "samples"
NVIVO = SAMPLES / "nvivo-win-12.6_oltas.qdpx"
MAXQDA = SAMPLES / "maxqda-24.7_ICLS_Conf_Themes_just10.qdpx"

needs_samples = pytest.mark.skipif(
    not NVIVO.is_file() or not MAXQDA.is_file(),
    reason=f"the real REFI-QDA exports are not in {SAMPLES} (shared/refi-qda/samples)",
)
needs_schemas = pytest.mark.skipif(
    not (SHARED / "Project.xsd").is_file(),
    reason=f"the QDA-XML schemas are not in {SHARED} (shared/refi-qda)",
)

NS = "urn:QDA-XML:project:1.0"
USER = "5c94bc9e-db8c-4f1d-9cd6-e900c7440860"
CODE = "2dfba8c9-59f5-4424-99d6-ea9bce18134b"
SOURCE = "a2b94468-80a5-412f-92d6-e900d97b55a6"
SELECTION = "08cbced0-d736-44c8-8fd6-eb4d29fe46c5"


def qdpx(qde: str | bytes, files: dict[str, bytes] | None = None, **zip_options) -> io.BytesIO:
    """A .qdpx holding `qde` as project.qde and `files` under their names."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, **zip_options) as archive:
        archive.writestr("project.qde", qde if isinstance(qde, bytes) else qde.encode("utf-8"))
        for name, data in (files or {}).items():
            archive.writestr(name, data)
    buffer.seek(0)
    return buffer


def project_xml(body: str, namespace: str | None = NS, origin: str = "Test 1.0") -> str:
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n'
        f'<Project{xmlns} name="Tiny" origin="{origin}">{body}</Project>'
    )


def code_xml(guid: str = CODE, name: str = "Trust", extra: str = "") -> str:
    return f'<CodeBook><Codes><Code guid="{guid}" name="{name}" isCodable="true"{extra}/></Codes></CodeBook>'


def selection_xml(
    start: int, end: int, guid: str = SELECTION, code: str = CODE, name: str = ""
) -> str:
    return (
        f'<PlainTextSelection guid="{guid}" name="{name}" startPosition="{start}" '
        f'endPosition="{end}" creatingUser="{USER}"><Coding guid="{guid[:-4]}ffff">'
        f'<CodeRef targetGUID="{code}"/></Coding></PlainTextSelection>'
    )


def text_source_xml(selections: str = "", path: str | None = None, guid: str = SOURCE) -> str:
    path = path or f"internal://{guid}.txt"
    return (
        f'<Sources><TextSource guid="{guid}" name="Interview" plainTextPath="{path}">'
        f"{selections}</TextSource></Sources>"
    )


def one_source(text: bytes | str, selections: str = "", origin: str = "Test 1.0", **kwargs):
    """A project with one code and one text source holding `text`."""
    data = text.encode("utf-8") if isinstance(text, str) else text
    qde = project_xml(code_xml() + text_source_xml(selections), origin=origin)
    return qdpx(qde, {f"sources/{SOURCE}.txt": data}, **kwargs)


def validate(xml: bytes, schema: str):
    """Raise unless `xml` is valid against shared/refi-qda/<schema>."""
    xsd = etree.XMLSchema(etree.parse(str(SHARED / schema)))
    xsd.assertValid(etree.fromstring(xml).getroottree())
