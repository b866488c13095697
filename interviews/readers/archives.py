"""Size limits, and zip archives: uploaded .zip files, and the zip packages of .docx, .odt and .xlsx.

Files come from people's computers, so every size is capped before a library gets to decompress
anything, and nothing is ever written to disk.
"""

import io
import re
import zipfile
from pathlib import PurePosixPath

from django.conf import settings
from django.utils.translation import gettext as _

from interviews.readers import Unreadable


def max_bytes() -> int:
    return settings.VERBATIM_MAX_UPLOAD_BYTES


def max_unpacked_bytes() -> int:
    """What an archive or an office file may hold once decompressed, all members together."""
    return settings.VERBATIM_MAX_UNPACKED_BYTES


def check_size(data: bytes) -> None:
    if not data:
        raise Unreadable(_("The file is empty."))
    if len(data) > max_bytes():
        raise too_large()


def too_large() -> Unreadable:
    return Unreadable(
        _("The file is larger than the limit of %(limit)s MB.")
        % {"limit": max_bytes() // (1024 * 1024)}
    )


def open_office_zip(data: bytes, kind: str) -> dict[str, bytes]:
    """The members of a .docx/.odt/.xlsx package by name, inflated within the unpacked-size cap."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise Unreadable(
            _("This is not a real .%(ext)s file (it should be a zip package).") % {"ext": kind}
        ) from None
    with archive:
        return dict(safe_members(archive, kind, limit=max_unpacked_bytes()))


def unpack_zip(data: bytes) -> list[tuple[str, bytes]]:
    """The files of an uploaded .zip, by base name, in archive order; never written to disk.

    Sizes are checked twice: as the archive declares them, and as they really inflate (stopping at
    the cap), so a zip bomb is refused after reading at most the cap.
    """
    check_size(data)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise Unreadable(_("This is not a valid zip archive.")) from None
    with archive:
        return [
            (PurePosixPath(name).name, content)
            for name, content in safe_members(archive, "zip", limit=max_unpacked_bytes())
            if not _is_clutter(name)
        ]


def _is_clutter(name: str) -> bool:
    """Files an archiver adds on its own (macOS resource forks, Finder and Explorer metadata)."""
    path = PurePosixPath(name)
    return "__MACOSX" in path.parts or path.name.startswith(".") or path.name == "Thumbs.db"


def safe_members(archive: zipfile.ZipFile, kind: str, *, limit: int):
    """(name, bytes) of each file member, refusing unsafe names, encryption and oversize content."""
    members = [info for info in archive.infolist() if not info.is_dir()]
    if len(members) > 1000:
        raise Unreadable(_("The archive holds too many files (more than 1,000)."))
    for info in members:
        name = info.filename
        if (
            name.startswith(("/", "\\"))
            or "\\" in name
            or re.match(r"[A-Za-z]:", name)
            or ".." in PurePosixPath(name).parts
        ):
            raise Unreadable(
                _("The archive contains an unsafe path “%(name)s”: it was refused.")
                % {"name": name}
            )
        if info.flag_bits & 0x1:
            raise Unreadable(_("The archive is encrypted: “%(name)s”.") % {"name": name})
    if sum(info.file_size for info in members) > limit:
        raise _too_big(kind)
    total = 0
    for info in members:
        content = _inflate(archive, info, limit - total, kind)
        total += len(content)
        yield info.filename, content


def _inflate(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, kind: str) -> bytes:
    chunks, size = [], 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(1 << 16):
                size += len(chunk)
                if size > budget or size > info.file_size:
                    raise _too_big(kind)
                chunks.append(chunk)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError):
        raise Unreadable(
            _("The archive is damaged: “%(name)s”.") % {"name": info.filename}
        ) from None
    return b"".join(chunks)


def _too_big(kind: str) -> Unreadable:
    return Unreadable(
        _(
            "The .%(ext)s file unpacks to more than %(limit)s MB: it looks like a zip bomb and "
            "was refused."
        )
        % {"ext": kind, "limit": max_unpacked_bytes() // (1024 * 1024)}
    )
