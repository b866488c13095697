"""A WSGI application for tests/test_deploy.py: an answer of CHUNKS pieces of 1 MiB, each counted in
the file named by $STREAMED_COUNT before it is handed to the server, so a test sees how far ahead
of its client the server has pulled the answer."""

import os

CHUNKS = 256
PIECE = b"v" * 1024 * 1024


def application(environ, start_response):
    start_response(
        "200 OK",
        [
            ("Content-Type", "application/octet-stream"),
            ("Content-Length", str(CHUNKS * len(PIECE))),
        ],
    )
    return _pieces(os.environ["STREAMED_COUNT"])


def _pieces(count_file: str):
    with open(count_file, "w") as count:
        for n in range(1, CHUNKS + 1):
            count.seek(0)
            count.write(f"{n:>4}")
            count.flush()
            yield PIECE
