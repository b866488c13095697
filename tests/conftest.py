"""The cast: rita (researcher), sam (supervisor), ada (admin) of `project`; olga, a member of another."""

import pytest
from django.conf import settings

from interviews.models import Membership
from tests.factories import make_interview, make_project, make_user


def pytest_configure(config):
    # Tests render templates without collectstatic: plain static storage, whatever DEBUG says.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


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
def english():
    """Messages in English for tests that read them outside a request (the site default is French)."""
    from django.utils import translation

    with translation.override("en"):
        yield
