"""A gate before the live server: it counts the requests in progress and, shut, drops new ones.

A browser test may end while its page still has a request in the live server (the codebook a
project page loads after its rows, say), or one the browser sent that the server has not accepted
yet. Its queries then meet the TRUNCATE of the flush that ends the test: the flush fails, and the
rows it left break the next test (seen twice in CI). socketserver cannot say when requests are done:
Django's server starts its request threads as daemons, which `_threads` never holds, so joining
them waits for nothing.
"""

import threading


class RequestGate:
    def __init__(self, server):
        """Wraps the two methods by which socketserver's ThreadingMixIn hands a connection over:
        `process_request` in the accepting thread, `process_request_thread` in the new one."""
        self._changed = threading.Condition()
        self._in_progress = 0
        self._open = True
        start, serve = server.process_request, server.process_request_thread

        def process_request(request, client_address):
            with self._changed:
                if not self._open:  # a late request from a page whose test has ended
                    server.shutdown_request(request)
                    return
                self._in_progress += 1
            start(request, client_address)

        def process_request_thread(request, client_address):
            try:
                serve(request, client_address)
            finally:
                with self._changed:
                    self._in_progress -= 1
                    self._changed.notify_all()

        server.process_request = process_request
        server.process_request_thread = process_request_thread

    def shut(self, timeout: float) -> bool:
        """Refuse new connections, then wait for those in progress to end (a kept-alive one ends
        when the browser closes it). False if some are still going after `timeout` seconds."""
        with self._changed:
            self._open = False
            return self._changed.wait_for(lambda: self._in_progress == 0, timeout)

    def open(self):
        with self._changed:
            self._open = True
