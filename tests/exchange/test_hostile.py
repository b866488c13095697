"""Hostile or broken uploads: each stops with a RefiError a researcher can read, or is listed as
lost; nothing is read from the server's disk and nothing inflates past the limits."""

import io
import os
import struct
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from exchange.refi import Limits, RefiError, read_codebook, read_project

from .builders import (
    code_xml,
    one_source,
    project_xml,
    qdpx,
    selection_xml,
    text_source_xml,
)

MiB = 1024 * 1024


def refused(fileobj, code: str, limits: Limits | None = None) -> RefiError:
    with pytest.raises(RefiError) as caught:
        read_project(fileobj, limits)
    assert caught.value.code == code, str(caught.value)
    return caught.value


def test_not_a_zip():
    error = refused(io.BytesIO(b"<CodeBook/>"), "not_zip")
    assert ".qdpx" in str(error)


def test_no_project_qde():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    error = refused(buffer, "no_project_qde")
    assert str(error) == "The archive holds no project.qde: is this a REFI-QDA project?"


def test_a_codebook_inside_a_qdpx_is_named():
    qde = '<?xml version="1.0"?><CodeBook xmlns="urn:QDA-XML:codebook:1.0"><Codes/></CodeBook>'
    assert "import it as a .qdc" in str(refused(qdpx(qde), "not_project"))


@pytest.mark.parametrize(
    "qde",
    [
        "<Project name='x'><Users></Project>",
        "<Project name='x'>",
        "",
        "not xml at all",
        "<Project name='x'><Users/></Project><Project/>",
    ],
)
def test_invalid_xml(qde):
    error = refused(qdpx(qde), "invalid_xml")
    assert "project.qde" in str(error)


@pytest.mark.parametrize(
    "name", ["../evil.txt", "sources/../../evil.txt", "/etc/passwd", "C:/Windows/evil.txt", "..\\x"]
)
def test_unsafe_member_names(name):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("project.qde", project_xml(code_xml()))
        archive.writestr(zipfile.ZipInfo(name), b"x")
    assert "unsafe name" in str(refused(buffer, "unsafe_member"))


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1 or "") + ";") * 10}">' for i in range(1, 10))
    + ']><Project name="&lol9;"><Description>&lol9;</Description></Project>'
)
EXTERNAL = (
    '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    '<Project name="x"><Description>&x;</Description></Project>'
)
PLAIN_DTD = (
    '<?xml version="1.0"?><!DOCTYPE Project SYSTEM "http://example.org/p.dtd"><Project name="x"/>'
)


@pytest.mark.parametrize("qde", [BILLION_LAUGHS, EXTERNAL, PLAIN_DTD])
def test_dtds_and_entities_are_refused(qde):
    assert "DTD" in str(refused(qdpx(qde), "dtd"))


def test_dtd_in_utf16_is_refused():
    qde = ('<?xml version="1.0" encoding="UTF-16"?>' + EXTERNAL[21:]).encode("utf-16")
    refused(qdpx(qde), "dtd")


def test_dtd_in_a_codebook_is_refused():
    with pytest.raises(RefiError) as caught:
        read_codebook(io.BytesIO(BILLION_LAUGHS.replace("Project", "CodeBook").encode()))
    assert caught.value.code == "dtd"


def test_zip_bomb_is_stopped_while_inflating():
    bomb = qdpx(project_xml("<Description>" + " " * (40 * MiB) + "</Description>"))
    assert len(bomb.getvalue()) < 100_000  # 40 MiB of spaces pack to a few dozen kB
    error = refused(bomb, "zip_bomb")
    assert "zip bomb" in str(error)


def test_a_header_that_understates_the_size_is_not_trusted():
    archive = qdpx(project_xml("<Description>" + "x" * (8 * MiB) + "</Description>"))
    data = bytearray(archive.getvalue())
    # Claim 100 bytes in both the local header (offset 22) and the central directory (offset 24).
    struct.pack_into("<I", data, 22, 100)
    central = data.rindex(b"PK\x01\x02")
    struct.pack_into("<I", data, central + 24, 100)
    error = refused(io.BytesIO(bytes(data)), "damaged_archive")
    assert "damaged" in str(error)


def test_total_unpacked_size_is_limited():
    limits = Limits(max_unpacked_bytes=200)
    assert "unpacks to more" in str(refused(one_source("abc" * 100), "too_large_unpacked", limits))


def test_archive_size_and_entry_count_are_limited():
    refused(one_source("abc"), "too_large", Limits(max_archive_bytes=100))
    files = {f"sources/{i}.txt": b"" for i in range(10)}
    refused(qdpx(project_xml(code_xml()), files), "too_many_entries", Limits(max_entries=5))


def test_absolute_paths_are_never_opened(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("the server's own file")
    qde = project_xml(code_xml() + text_source_xml(path=f"absolute://{secret}"))
    project = read_project(qdpx(qde))
    assert project.sources == []
    (skipped,) = project.skipped_sources
    assert "outside the archive" in skipped.reason
    assert project.loss("source_without_text") == 1


@pytest.mark.parametrize(
    "path", ["relative://../../etc/passwd", "relative:///../x.txt", "internal://../x.txt"]
)
def test_paths_escaping_the_archive_are_not_followed(path):
    qde = project_xml(text_source_xml(path=path))
    project = read_project(qdpx(qde, {"x.txt": b"outside the sources folder"}))
    assert project.sources == []
    assert "points outside the archive" in project.skipped_sources[0].reason


def test_a_source_that_is_not_utf8_is_listed_as_lost():
    project = read_project(one_source("Résumé".encode("latin-1"), selection_xml(0, 3)))
    assert project.sources == []
    (loss,) = [loss for loss in project.losses if loss.kind == "source_without_text"]
    assert "not UTF-8" in loss.detail and "Interview" in loss.detail


def test_a_missing_source_file_is_listed_as_lost():
    project = read_project(qdpx(project_xml(text_source_xml())))
    assert "missing from the archive" in project.skipped_sources[0].reason


def test_a_source_longer_than_the_limit_is_listed_as_lost():
    project = read_project(one_source("x" * 50), Limits(max_source_characters=10))
    assert "longer than 10 characters" in project.skipped_sources[0].reason


def test_positions_that_are_not_numbers():
    bad = selection_xml(0, 2).replace('startPosition="0"', 'startPosition="zero"')
    project = read_project(one_source("Je", bad))
    assert project.loss("unaligned_selection") == 1


def test_a_huge_project_qde_is_read_in_bounded_memory(tmp_path):
    """250,000 links (≈ 24 MB of XML): a whole lxml tree of them grows the process by about
    150 MiB; the streaming reader keeps only counts. Run in a fresh interpreter to measure."""
    path = tmp_path / "huge.qdpx"
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("project.qde", "w") as qde,
    ):
        qde.write(b'<?xml version="1.0"?><Project xmlns="urn:QDA-XML:project:1.0" name="x">')
        qde.write(b"<Links>")
        for i in range(250_000):
            guid = f"{i:08x}-0000-4000-8000-{os.urandom(6).hex()}"
            qde.write(f'<Link guid="{guid}" name="link number {i} between two notes"/>'.encode())
        qde.write(b"</Links></Project>")
    root = Path(__file__).resolve().parents[2]
    script = textwrap.dedent(
        f"""
        import resource, sys
        sys.path.insert(0, {str(root)!r})
        from exchange.refi import read_project
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        project = read_project(open({str(path)!r}, "rb"))
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(project.loss("link"), (after - before) // 1024)
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    links, grown_mib = map(int, out.stdout.split())
    assert links == 250_000
    assert grown_mib < 60, f"reading grew the process by {grown_mib} MiB"
