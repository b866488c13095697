"""What an uploaded recording really is, from its bytes: audio or video the browser plays, and how
long it lasts when that can be read. Pure functions of untrusted bytes, run in a limited child
process (jobs.isolation.run, from interviews.recordings.attach).

puremagic names the container from the file's first and last bytes (its signatures), whatever the
file is called; a file whose bytes match none of the containers below is refused. mutagen then reads
the duration from the container's headers (it knows WebM not: the browser reads it anyway).
"""

import io
from dataclasses import dataclass


class NotAudioVideo(Exception):
    """The bytes are not one of the audio or video containers that browsers play."""


@dataclass(frozen=True)
class Kind:
    extension: str  # ".mp3": the name on disk ends with it
    content_type: str  # what the recording is served as
    seconds: float | None  # its duration, None when it could not be read


# puremagic's extension → (ours, content type, mutagen class path). The order of puremagic's answers
# is its confidence; the first one found here wins.
CONTAINERS = {
    ".mp3": (".mp3", "audio/mpeg", "mutagen.mp3:MP3"),
    ".m4a": (".m4a", "audio/mp4", "mutagen.mp4:MP4"),
    ".f4a": (".m4a", "audio/mp4", "mutagen.mp4:MP4"),
    ".mp4": (".mp4", "video/mp4", "mutagen.mp4:MP4"),
    ".m4v": (".mp4", "video/mp4", "mutagen.mp4:MP4"),
    ".aac": (".aac", "audio/aac", "mutagen.aac:AAC"),
    ".wav": (".wav", "audio/wav", "mutagen.wave:WAVE"),
    ".ogg": (".ogg", "audio/ogg", "mutagen:File"),
    ".oga": (".ogg", "audio/ogg", "mutagen:File"),
    ".opus": (".ogg", "audio/ogg", "mutagen:File"),
    ".flac": (".flac", "audio/flac", "mutagen.flac:FLAC"),
    ".webm": (".webm", "video/webm", None),
}
MP3, M4A, MP4 = CONTAINERS[".mp3"], CONTAINERS[".m4a"], CONTAINERS[".mp4"]
AUDIO_BRANDS = {b"M4A ", b"M4B ", b"M4P ", b"F4A "}


def identify(source: str | bytes) -> Kind:
    """The recording's kind: `source` is a path (a large upload, streamed to a temporary file) or
    the bytes themselves (a small one, kept in memory). Raises NotAudioVideo."""
    found = _container(source)
    if found is None:
        raise NotAudioVideo
    extension, content_type, reader = found
    return Kind(extension, content_type, _seconds(source, reader))


def _container(source: str | bytes):
    import puremagic

    try:
        guesses = puremagic.magic_string(source) if isinstance(source, bytes) else None
        guesses = guesses if guesses is not None else puremagic.magic_file(source)
    except (puremagic.PureError, ValueError):
        guesses = []
    head = _head(source)
    for guess in guesses:
        if guess.extension in CONTAINERS:
            found = CONTAINERS[guess.extension]
            if found[1] in ("audio/mp4", "video/mp4"):
                # One container, two brands: the first box says which (puremagic's order varies).
                return M4A if head[8:12] in AUDIO_BRANDS else MP4
            return found
    # An MP3 without an ID3 tag starts with a bare frame header (11 bits set), which no signature
    # describes; mutagen then checks that valid MPEG audio frames follow.
    starts_with_frame = len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0
    return MP3 if starts_with_frame and _seconds(source, MP3[2]) is not None else None


def _head(source: str | bytes) -> bytes:
    if isinstance(source, bytes):
        return source[:16]
    with open(source, "rb") as stream:
        return stream.read(16)


def _seconds(source: str | bytes, reader: str | None) -> float | None:
    if reader is None:
        return None
    import importlib

    import mutagen

    module, _sep, name = reader.partition(":")
    read = getattr(importlib.import_module(module), name)
    try:
        with _opened(source) as stream:
            found = read(stream)
    except (mutagen.MutagenError, ValueError, EOFError, IndexError, KeyError, OverflowError):
        return None
    length = getattr(getattr(found, "info", None), "length", None)
    return float(length) if length and length > 0 else None


def _opened(source: str | bytes):
    return io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
