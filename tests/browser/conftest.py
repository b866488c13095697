"""Browser tests: Playwright for Python driving Debian's chromium, never a downloaded browser."""

import os

import pytest
from playwright.sync_api import expect

from tests.browser.request_gate import RequestGate

# Assertions wait for what the user would see up to 15 s, not Playwright's 5: the suite runs on
# every core (bin/dev test), so a page may answer while another worker keeps the machine busy. A
# passing test waits no longer for it.
expect.set_options(timeout=15_000)

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a thread with
# a running loop unless told it is safe. Tests only: never set this in settings.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(autouse=True)
def requests_end_before_the_flush(request):
    """No request of a test's page may still run, or start, when the flush that ends the test
    empties the tables (tests/browser/request_gate.py). Once the page and its context are closed,
    which closes the browser's connections, the gate shuts and waits for the requests in progress;
    the next test opens it again."""
    if "live_server" not in request.fixturenames:
        yield
        return
    # Asked for here so that this fixture is torn down before the flush, and after the page (which
    # is set up later, being no autouse fixture).
    request.getfixturevalue("transactional_db")
    server = request.getfixturevalue("live_server").thread.httpd
    if not hasattr(server, "request_gate"):  # the live server lives as long as the session
        server.request_gate = RequestGate(server)
    server.request_gate.open()
    yield
    assert server.request_gate.shut(timeout=30), "a request outlived its test by 30 s"


@pytest.fixture
def log_in(page, live_server):
    """Log in through the real form, as a person would."""

    def log_in_as(username: str, password: str = "pw-for-tests"):
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Nom d'utilisateur").fill(username)
        page.get_by_label("Mot de passe").fill(password)
        page.get_by_role("button", name="Connexion").click()
        page.wait_for_url(f"{live_server.url}/")
        return page

    return log_in_as


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # Our users are in Québec: the browser asks for French, as theirs would.
    return {**browser_context_args, "locale": "fr-CA"}


@pytest.fixture
def context(context):
    """Every page of every browser test reports what the Content-Security-Policy refused: a test
    fails on any inline script, handler, style or eval the policy blocked (verbatim/settings.py)."""
    refused = []
    context.expose_binding("reportPolicyViolation", lambda source, text: refused.append(text))
    context.add_init_script(
        """window.policyViolations = [];
           document.addEventListener("securitypolicyviolation", (e) => {
             const line = `${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`;
             window.policyViolations.push(line);
             window.reportPolicyViolation(line);
           });"""
    )
    context.policy_violations = refused  # tests/browser/test_policy.py checks the watch itself
    yield context
    assert refused == [], f"Content-Security-Policy violations: {refused}"
