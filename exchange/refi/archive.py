"""The .qdpx zip archive, treated as hostile: sizes are counted while inflating (headers are not
trusted), member names are checked, and nothing is ever extracted to disk or looked up outside
the archive."""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass

from .model import RefiError

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """What an upload may cost. The defaults fit a large real project (hundreds of interviews)."""

    max_archive_bytes: int = 512 * MiB  # the .qdpx (or .qdc) as uploaded
    max_unpacked_bytes: int = 2048 * MiB  # all members read, once inflated
    max_ratio: int = 100  # inflated / compressed size of one member…
    ratio_floor_bytes: int = 4 * MiB  # …checked once the member has inflated past this size
    max_entries: int = 20_000
    max_source_characters: int = 20_000_000  # characters of one source's text


_DRIVE = re.compile(r"^[A-Za-z]:")
CHUNK = 64 * 1024


def _size(fileobj) -> int | None:
    try:
        position = fileobj.tell()
        fileobj.seek(0, io.SEEK_END)
        size = fileobj.tell()
        fileobj.seek(position)
    except (AttributeError, OSError, ValueError):
        return None
    return size - position


def _declared_entries(fileobj) -> int | None:
    """The entry count of the central directory, read before zipfile builds one object per
    entry (a hostile directory may list millions)."""
    try:
        position = fileobj.tell()
        record = zipfile._EndRecData(fileobj)  # the stdlib's own reader of the end record
        fileobj.seek(position)
    except (AttributeError, OSError, ValueError, TypeError):
        return None
    return record[4] if record else None  # _ECD_ENTRIES_TOTAL


def safe_member_name(raw: str) -> str:
    """The member name with '/' separators, or RefiError when it could escape a folder."""
    name = raw.replace("\\", "/")
    parts = name.split("/")
    if name.startswith("/") or _DRIVE.match(name) or ".." in parts or "\x00" in name:
        raise RefiError(
            f"The archive contains a file with an unsafe name ({raw!r}); it was refused. "
            "A REFI-QDA export never names files like this.",
            code="unsafe_member",
        )
    return name


class Budget:
    """What is left of the unpacked-bytes allowance, shared by all members."""

    def __init__(self, limits: Limits):
        self.limits = limits
        self.left = limits.max_unpacked_bytes


class CountingReader(io.RawIOBase):
    """A member's inflated bytes, counted as they come, stopping a zip bomb mid-way."""

    def __init__(self, stream, info: zipfile.ZipInfo, budget: Budget):
        self.stream = stream
        self.info = info
        self.budget = budget
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        try:
            data = self.stream.read(min(len(buffer), CHUNK))
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as error:
            raise RefiError(
                f"The archive is damaged: {self.info.filename} cannot be unpacked ({error}).",
                code="damaged_archive",
            ) from error
        self.count += len(data)
        self.budget.left -= len(data)
        limits = self.budget.limits
        if self.budget.left < 0:
            raise RefiError(
                "The archive unpacks to more than "
                f"{limits.max_unpacked_bytes // MiB} MiB, more than this server accepts.",
                code="too_large_unpacked",
            )
        compressed = max(self.info.compress_size, 1)
        if self.count > limits.ratio_floor_bytes and self.count > limits.max_ratio * compressed:
            raise RefiError(
                f"{self.info.filename} inflates more than {limits.max_ratio} times its packed "
                "size: the archive looks like a zip bomb and was refused.",
                code="zip_bomb",
            )
        buffer[: len(data)] = data
        return len(data)

    def close(self):
        self.stream.close()
        super().close()


class Archive:
    """A .qdpx opened for reading: its project.qde and its source files."""

    def __init__(self, fileobj, limits: Limits):
        self.limits = limits
        size = _size(fileobj)
        if size is not None and size > limits.max_archive_bytes:
            raise RefiError(
                f"The file is larger than {limits.max_archive_bytes // MiB} MiB, more than this "
                "server accepts.",
                code="too_large",
            )
        declared = _declared_entries(fileobj)
        if declared is not None and declared > limits.max_entries:
            raise RefiError(
                f"The archive holds {declared} files, more than the {limits.max_entries} "
                "this server accepts.",
                code="too_many_entries",
            )
        try:
            self.zip = zipfile.ZipFile(fileobj)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
            raise RefiError(
                "This file is not a zip archive, so not a .qdpx project export. "
                "(A .qdc codebook is imported as a codebook.)",
                code="not_zip",
            ) from error
        infos = self.zip.infolist()
        if len(infos) > limits.max_entries:
            raise RefiError(
                f"The archive holds {len(infos)} files, more than the {limits.max_entries} "
                "this server accepts.",
                code="too_many_entries",
            )
        self.budget = Budget(limits)
        self.members: dict[str, zipfile.ZipInfo] = {}
        self.folded: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            name = safe_member_name(info.filename)
            if info.is_dir():
                continue
            self.members.setdefault(name, info)
            self.folded.setdefault(name.casefold(), info)
        self.project_member = self._project_member()

    def _project_member(self) -> zipfile.ZipInfo:
        info = self.folded.get("project.qde")
        if info is None:
            roots = [
                i for n, i in self.members.items() if "/" not in n and n.lower().endswith(".qde")
            ]
            if len(roots) == 1:
                info = roots[0]
        if info is None:
            raise RefiError(
                "The archive holds no project.qde: is this a REFI-QDA project?",
                code="no_project_qde",
            )
        return info

    def open(self, info: zipfile.ZipInfo) -> io.BufferedReader:
        try:
            stream = self.zip.open(info)
        except (zipfile.BadZipFile, zlib.error, NotImplementedError, RuntimeError) as error:
            raise RefiError(
                f"The archive is damaged or encrypted: {info.filename} cannot be opened ({error}).",
                code="damaged_archive",
            ) from error
        return io.BufferedReader(CountingReader(stream, info, self.budget), CHUNK)

    def read(self, info: zipfile.ZipInfo, max_bytes: int) -> bytes | None:
        """The member's bytes, or None when it holds more than `max_bytes`."""
        with self.open(info) as stream:
            data = stream.read(max_bytes + 1)
        return None if len(data) > max_bytes else data

    def find_source(self, path: str | None) -> tuple[zipfile.ZipInfo | None, str]:
        """The member a source path names, and a reason when there is none.

        `internal://name` is looked for in sources/ (any case) then at the root; `relative://path`
        only inside the archive, never on the server's disk; `absolute://` is never opened."""
        if not path:
            return None, "no file is named for it"
        scheme, _, rest = path.strip().partition("://")
        scheme = scheme.lower()
        if scheme == "absolute":
            return None, f"its file is outside the archive ({path}); it was not read"
        if scheme not in ("internal", "relative"):
            return None, f"its path {path!r} is not an internal:// path"
        rest = rest.replace("\\", "/").lstrip("/")
        normal = posixpath.normpath(rest) if rest else ""
        if not rest or normal.startswith("..") or ".." in rest.split("/"):
            return None, f"its path {path!r} points outside the archive; it was not read"
        candidates = [f"sources/{normal}", normal]
        for candidate in candidates:
            info = self.members.get(candidate) or self.folded.get(candidate.casefold())
            if info is not None:
                return info, ""
        return None, f"its file {path!r} is missing from the archive"
