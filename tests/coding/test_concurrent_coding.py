"""Two researchers coding one interview at the same moment both keep everything they coded."""

import threading

import pytest
from django.db import connection
from django.test import Client

from coding.models import Coding
from interviews.models import Membership
from tests.factories import make_code, make_interview, make_project, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_codings_by_two_researchers_are_all_stored():
    project = make_project()
    interview = make_interview(project)
    code = make_code(project)
    coders = [make_user(name, project, Membership.Role.RESEARCHER) for name in ("rita", "remi")]
    url = f"/projects/{project.pk}/interviews/{interview.pk}/codings/"
    start = threading.Barrier(2)
    statuses = []

    def code_passages(user, offset):
        client = Client()
        client.force_login(user)
        start.wait()
        for n in range(10):
            response = client.post(
                url,
                {"start": offset + n * 3, "end": offset + n * 3 + 2, "code": code.pk, "since": 0},
                headers={"HX-Request": "true"},
            )
            statuses.append(response.status_code)
        connection.close()

    threads = [threading.Thread(target=code_passages, args=(u, 20)) for u in coders]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * 20
    # Same passages, same code, two coders: twenty codings, ten each, none lost or merged across.
    for user in coders:
        assert Coding.objects.filter(coder=user).count() == 10
