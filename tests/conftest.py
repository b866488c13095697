"""The cast: rita (researcher), sam (supervisor), ada (admin) of `project`; olga, a member of another."""

import shutil
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db.backends.postgresql.creation import DatabaseCreation

from interviews import texts
from interviews.models import Membership
from tests.factories import make_code, make_coding, make_interview, make_project, make_user


def pytest_configure(config):
    # Tests render templates without collectstatic: plain static storage, whatever DEBUG says.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    DatabaseCreation._destroy_test_db = _drop_test_database
    settings.PASSWORD_HASHERS = ["tests.conftest.QuickPasswordHasher"]


class QuickPasswordHasher(PBKDF2PasswordHasher):
    """The product's hasher at one iteration. Its million took 0.6 s per user created or logged
    in with a password, on these machines a third of the suite's time. The hashes it writes name
    the same algorithm and their own iteration count, so a server a test starts with the real
    settings (verbatim/server.py) verifies them, and upgrades them on login as it would an old hash."""

    iterations = 1


def _drop_test_database(self, test_database_name, verbosity):
    """Django's DROP DATABASE of the test database, WITH (FORCE): the browser tests leave a
    connection or two open where pytest-django's closing does not reach (Django keeps connections
    per context, and Playwright runs its callbacks in greenlets of their own), and a plain DROP
    then fails, leaving test_verbatim_gw0… in the cluster, with a warning."""
    self.connection.close_pool()
    with self._nodb_cursor() as cursor:
        name = self.connection.ops.quote_name(test_database_name)
        cursor.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture(autouse=True)
def no_kept_texts():
    """Each test starts as a fresh process would, with no transcript kept (interviews/texts.py):
    query counts then do not depend on which tests ran before."""
    texts.clear()


@pytest.fixture
def project(db):
    return make_project("Proximité")


@pytest.fixture
def rita(project):
    return make_user("rita", project, Membership.Role.RESEARCHER)


@pytest.fixture
def sam(project):
    return make_user("sam", project, Membership.Role.SUPERVISOR)


@pytest.fixture
def ada(project):
    return make_user("ada", project, Membership.Role.ADMIN)


@pytest.fixture
def other_project(db):
    return make_project("Autre étude")


@pytest.fixture
def olga(other_project):
    """An admin of another project: she must learn nothing about `project`."""
    return make_user("olga", other_project, Membership.Role.ADMIN)


@pytest.fixture
def interview(project):
    return make_interview(project)


@pytest.fixture
def code(project):
    return make_code(project)


@pytest.fixture
def coding(interview, code, rita):
    """Rita's coding of the interview's first 14 characters ("Intervieweuse ")."""
    return make_coding(interview, code, rita, 0, 14)


@pytest.fixture
def english():
    """Messages in English for tests that read them outside a request (the site default is French)."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def own_pgdata():
    """A folder for an embedded cluster of its own, outside pytest's tmp_path: when run as root,
    pgserver runs PostgreSQL as another user, and any pytest session on the machine starting
    resets /tmp/pytest-of-root to 0700, locking that user out of a cluster kept there."""
    folder = Path(tempfile.mkdtemp(prefix="verbatim-pgdata-"))
    yield folder / "pgdata"
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def run_jobs(transactional_db):
    """Run the background jobs for real until the queue is empty (jobs.runner.run_queued); the
    worker sees only committed data, hence a transactional test."""
    from jobs import runner

    return runner.run_queued
