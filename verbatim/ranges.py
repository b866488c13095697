"""Serving a stored file with HTTP range requests (RFC 9110 §14), which Django does not do itself:
a browser's <audio> and <video> ask for `bytes=N-` to start playing from the middle of a recording,
and a seek is answered without sending what lies before it.

One range per request, which is all that media players ask for. A Range header we do not serve
(several ranges, another unit, a malformed one) is ignored, as the RFC allows: the answer is the
whole file (200). A range that starts past the end is unsatisfiable (416).

An open range (`bytes=N-`, what Chromium and Firefox send to play from N) is answered with at most
PART bytes from N, and the player asks for the next part when it needs it. Answered whole, it held
one of the server's threads until the browser had read to the end of the file, which a player
paused or playing in real time may never do (docs/recordings.md, "Serving").
"""

import re

from django.http import FileResponse, HttpResponse, StreamingHttpResponse

# At most 19 digits: a larger number is no offset of any file, and never reaches int().
SINGLE_RANGE = re.compile(r"^bytes=(?:(\d{1,19})-(\d{1,19})?|-(\d{1,19}))$")
CHUNK = 64 * 1024
# At most this much of an open range in one answer: half a minute of a phone's video, several
# minutes of its audio, and what a socket's buffers take at once, so the thread is soon free.
PART = 1024 * 1024


class Unsatisfiable(Exception):
    pass


def requested(header: str | None, size: int) -> tuple[int, int] | None:
    """The one range [first, last] (inclusive, as HTTP counts) to send for a Range header, within a
    file of `size` bytes: the range asked for, an open one cut to PART bytes; None when the whole
    file is to be sent. Raises Unsatisfiable."""
    match = SINGLE_RANGE.match((header or "").strip())
    if match is None:
        return None
    first, last, suffix = match.groups()
    if suffix is not None:  # the last n bytes
        if int(suffix) == 0 or size == 0:
            raise Unsatisfiable
        return max(size - int(suffix), 0), size - 1
    first = int(first)
    if last is not None and int(last) < first:
        return None  # "bytes=9-3" is invalid: ignored, like any malformed header
    if first >= size:
        raise Unsatisfiable
    return first, min(int(last) if last is not None else first + PART - 1, size - 1)


def serve(request, opened, size: int, content_type: str, filename: str) -> HttpResponse:
    """The answer to a GET (or HEAD) for the open file `opened` of `size` bytes: 206 with the range
    asked for, 416 when it cannot be, else 200 with the whole file. Closes `opened` once sent."""
    try:
        wanted = requested(request.headers.get("Range"), size)
    except Unsatisfiable:
        opened.close()
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return _common(response)
    if wanted is None:
        response = FileResponse(opened, content_type=content_type, filename=filename)
        response.block_size = CHUNK  # FileResponse reads 4 kB: a crossing into the server each
        response["Content-Length"] = str(size)
        return _common(response)
    first, last = wanted
    response = StreamingHttpResponse(
        _read(opened, first, last - first + 1), status=206, content_type=content_type
    )
    response["Content-Length"] = str(last - first + 1)
    response["Content-Range"] = f"bytes {first}-{last}/{size}"
    return _common(response)


def _read(opened, first: int, length: int):
    try:
        opened.seek(first)
        while length > 0:
            chunk = opened.read(min(CHUNK, length))
            if not chunk:
                return
            length -= len(chunk)
            yield chunk
    finally:
        opened.close()


def _common(response: HttpResponse) -> HttpResponse:
    response["Accept-Ranges"] = "bytes"
    # A project's recording is its members' alone: no shared cache may keep it.
    response["Cache-Control"] = "private"
    return response
