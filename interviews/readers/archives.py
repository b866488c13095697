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


def zip_listing(data: bytes) -> list[str]:
    """The names of the files of an uploaded .zip to read, in archive order, once every check that
    needs no inflating has passed: how many files, their names, encryption, the sizes they declare
    and how far each is compressed. Run in the isolated reader: a forged central directory of
    hundreds of thousands of entries costs the child, not the web process."""
    check_size(data)
    archive = _open_zip(data)
    with archive:
        members = _checked(archive, "zip", limit=max_unpacked_bytes(), files=max_files())
    return [info.filename for info in members if not _is_clutter(info.filename)]


def unpack_zip(data: bytes, names: list[str]):
    """(base name, bytes) of each named file of a .zip checked by `zip_listing`, one at a time,
    never written to disk; bytes None for a file over the size limit of one upload. Inflating
    stops at the size a member declares, so it costs at most what the listing accepted."""
    archive = _open_zip(data)
    with archive:
        for name in names:
            info = archive.getinfo(name)
            if info.file_size > max_bytes():
                yield PurePosixPath(name).name, None
            else:
                yield PurePosixPath(name).name, _inflate(archive, info, info.file_size, "zip")


def _open_zip(data: bytes) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise Unreadable(_("This is not a valid zip archive.")) from None


def max_files() -> int:
    return settings.VERBATIM_MAX_FILES


def _is_clutter(name: str) -> bool:
    """Files an archiver adds on its own (macOS resource forks, Finder and Explorer metadata)."""
    path = PurePosixPath(name)
    return "__MACOSX" in path.parts or path.name.startswith(".") or path.name == "Thumbs.db"


def safe_members(archive: zipfile.ZipFile, kind: str, *, limit: int):
    """(name, bytes) of each file member, refusing unsafe names, encryption and oversize content."""
    total = 0
    for info in _checked(archive, kind, limit=limit, files=OFFICE_PARTS):
        content = _inflate(archive, info, limit - total, kind)
        total += len(content)
        yield info.filename, content


# A .docx or .odt holds a few dozen parts; more is not a document from a word processor.
OFFICE_PARTS = 1000
# Below this size a member is never taken for a bomb, however well it compresses.
RATIO_FLOOR = 1024 * 1024


def _checked(archive: zipfile.ZipFile, kind: str, *, limit: int, files: int) -> list:
    """The file members, once their number, names, encryption and declared sizes are checked."""
    members = [info for info in archive.infolist() if not info.is_dir()]
    if len(members) > files:
        raise Unreadable(
            _("The archive holds too many files (more than %(limit)s).")
            % {"limit": f"{files:,}".replace(",", "\u202f")}
        )
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
        ratio = settings.VERBATIM_MAX_COMPRESSION_RATIO
        if info.file_size > RATIO_FLOOR and info.file_size > ratio * max(info.compress_size, 1):
            raise Unreadable(
                _(
                    "The .%(ext)s file is compressed more than %(ratio)d times (“%(name)s”): it "
                    "looks like a zip bomb and was refused."
                )
                % {"ext": kind, "ratio": ratio, "name": name}
            )
    if sum(info.file_size for info in members) > limit:
        raise _too_big(kind)
    return members


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
