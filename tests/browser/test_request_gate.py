"""The gate that keeps the live server's requests away from the flush ending each browser test,
checked on Django's own threaded server with an application that waits until told to answer."""

import http.client
import threading

import pytest
from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

from tests.browser.request_gate import RequestGate


class WaitingApp:
    def __init__(self):
        self.called = 0
        self.entered = threading.Event()
        self.release = threading.Event()

    def __call__(self, environ, start_response):
        self.called += 1
        self.entered.set()
        self.release.wait(timeout=30)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
        return [b"ok"]


@pytest.fixture
def served():
    app = WaitingApp()
    server = ThreadedWSGIServer(("127.0.0.1", 0), WSGIRequestHandler)
    server.set_app(app)
    gate = RequestGate(server)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield app, gate, server.server_address[1]
    app.release.set()
    server.shutdown()
    server.server_close()


def get(port):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", "/", headers={"Connection": "close"})
        return connection.getresponse().status
    finally:
        connection.close()


def test_the_gate_shuts_only_once_the_request_in_progress_has_answered(served):
    app, gate, port = served
    answers = []
    client = threading.Thread(target=lambda: answers.append(get(port)))
    client.start()
    assert app.entered.wait(timeout=30)

    assert gate.shut(timeout=0.2) is False  # the request is still in the application
    app.release.set()
    assert gate.shut(timeout=30) is True
    client.join(timeout=30)
    assert answers == [200]


def test_a_shut_gate_drops_a_late_request_unanswered_and_an_open_one_serves_it(served):
    app, gate, port = served
    app.release.set()
    assert gate.shut(timeout=30) is True

    with pytest.raises((http.client.RemoteDisconnected, ConnectionResetError)):
        get(port)
    assert app.called == 0

    gate.open()
    assert get(port) == 200
    assert app.called == 1
