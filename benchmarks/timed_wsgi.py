"""Verbatim's WSGI application, timing the requests the HTTP bench tags (`manage.py bench --http`).

The bench serves this in place of verbatim.wsgi's own application (benchmarks/http_bench.py). Each
request carrying an X-Bench-Request header adds a line "tag microseconds worker:thread" to the file
named by VERBATIM_BENCH_TIMES: the server's own time, from the call of the application to the close
of its response, a streamed body's last chunk included, and which worker process and thread ran it.
What Granian does before and after it in Rust (reading the request, writing the bytes) is not in it.
"""

import os
import threading
import time

from verbatim.wsgi import application as verbatim

TIMES = os.environ.get("VERBATIM_BENCH_TIMES", "")


def application(environ, start_response):
    started = time.perf_counter()
    response = verbatim(environ, start_response)
    tag = environ.get("HTTP_X_BENCH_REQUEST", "")
    return Timed(response, tag, started) if tag.isdigit() and TIMES else response


class Timed:
    """A response's body, written to the times file once the server closes it."""

    def __init__(self, response, tag: str, started: float):
        self.response, self.tag, self.started = response, tag, started

    def __iter__(self):
        return iter(self.response)

    def close(self) -> None:
        try:
            self.response.close()
        finally:
            micros = round((time.perf_counter() - self.started) * 1e6)
            ran = f"{os.getpid()}:{threading.get_ident()}"
            with open(TIMES, "a") as times:  # one short append: lines of threads never mix
                times.write(f"{self.tag} {micros} {ran}\n")
