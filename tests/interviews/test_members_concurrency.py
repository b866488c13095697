"""Two admins demoting or removing each other at the same moment: the project keeps an admin."""

import threading
from functools import partial

import pytest
from django.db import connection, transaction
from django.test import Client

from interviews.models import Membership
from tests.factories import make_project, make_user

pytestmark = pytest.mark.django_db(transaction=True)

ADMIN = Membership.Role.ADMIN
ROUNDS = 5


def waiting_on_memberships() -> int:
    """How many other connections wait for a lock on the membership table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_locks WHERE NOT granted"
            " AND relation = 'interviews_membership'::regclass"
        )
        return cursor.fetchone()[0]


def status_of(post, url, data) -> int:
    return post(url, data).status_code


def at_once(requests):
    """Run the requests in threads lined up behind one lock, released when all wait on it, so
    they reach the membership table at the same instant (the race the lock in the view closes)."""
    responses = [None] * len(requests)

    def run(i, request):
        responses[i] = request()
        connection.close()

    threads = [threading.Thread(target=run, args=item) for item in enumerate(requests)]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE interviews_membership IN ACCESS EXCLUSIVE MODE")
        for thread in threads:
            thread.start()
        for _ in range(2000):  # bounded: the requests reach the lock within moments
            if waiting_on_memberships() >= len(requests):
                break
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(0.005)")
        else:
            pytest.fail("the requests never reached the membership table")
    for thread in threads:
        thread.join()
    return responses


@pytest.mark.parametrize("change", [{"role": "researcher"}, {"remove": "1"}])
def test_two_admins_changing_each_other_at_once_leave_one_admin(change):
    project = make_project()
    ada, bob = make_user("ada", project, ADMIN), make_user("bob", project, ADMIN)
    clients = {}
    for user in (ada, bob):
        clients[user] = Client()
        clients[user].force_login(user)

    for _ in range(ROUNDS):
        Membership.objects.filter(project=project).delete()
        memberships = {
            u: Membership.objects.create(project=project, user=u, role=ADMIN) for u in (ada, bob)
        }

        urls = {u: f"/projects/{project.pk}/members/{m.pk}/" for u, m in memberships.items()}
        statuses = at_once(
            [
                partial(status_of, clients[ada].post, urls[bob], change),
                partial(status_of, clients[bob].post, urls[ada], change),
            ]
        )

        admins = list(
            Membership.objects.filter(project=project, role=ADMIN).values_list(
                "user__username", flat=True
            )
        )
        assert len(admins) == 1, (statuses, admins)
        # The one who went second found they were no longer an admin (403) or a member (404), or
        # was refused as the last admin (the page again, with the message); never both applied.
        assert sorted(statuses) in ([302, 302], [302, 403], [302, 404])
