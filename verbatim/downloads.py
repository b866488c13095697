"""Files sent as downloads (`attachment`), PIECE bytes at a time; one read from the database
(a CSV) made whole first (`made_whole`).

The production server sends an answer only as fast as its client reads it (Granian 2.8,
docs/operations.md). A file streamed straight from a query then kept that query open for as long
as the client took: a CSV read from PostgreSQL's COPY ran past the statement timeout on a slow
connection and the download broke off halfway. `made_whole` writes the file at the database's
pace, into memory up to IN_MEMORY bytes and into a temporary file past that, and sends it from
there: the client's pace holds only the server's thread. A failure while the file is made (the
statement timeout, a lost connection) is raised in the view, and answered with its page, rather
than cutting a download that has begun.
"""

import tempfile
from collections.abc import Iterable

from django.http import FileResponse

# What one download may hold in memory; more goes to a temporary file (deleted once sent). The
# largest CSV made in a request (VERBATIM_EXPORT_JOB_ROWS excerpts) is about 5 MB.
IN_MEMORY = 16 * 1024 * 1024
# What is handed to the server at a time, where FileResponse reads 4 kB: each piece crosses from
# Python to the server's Rust side. One code's CSV (400 kB) in pieces of 4 kB took 0.7 ms more
# than streamed from its COPY; in pieces of 512 kB, 0 to 0.15 ms (docs/benchmarks.md).
PIECE = 512 * 1024
# The type of each kind of file Verbatim makes, by its extension. Python's own table has no Office
# type: it reads them from the system's /etc/mime.types, which a machine may lack.
TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def made_whole(pieces: Iterable[bytes], filename: str) -> FileResponse:
    """An attachment of `pieces` joined, written out before the response is returned; it has a
    Content-Length, so the browser shows how much is left."""
    # Not a `with` block: FileResponse closes the spool once sent (which deletes its file).
    spool = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115
    try:
        for piece in pieces:
            spool.write(piece)
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    finally:
        # A generator left halfway (an error writing the spool) ends its COPY or transaction now.
        getattr(pieces, "close", lambda: None)()
    return attachment(spool, filename)


def attachment(file, filename: str) -> FileResponse:
    """An open file sent as a download, PIECE bytes at a time, closed once sent; its type that of
    its extension (TYPES, else Python's guess)."""
    content_type = TYPES.get(filename.rpartition(".")[2].lower())
    response = FileResponse(file, as_attachment=True, filename=filename, content_type=content_type)
    response.block_size = PIECE
    return response
