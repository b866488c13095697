"""Two researchers coding one interview at the same moment both keep everything they coded."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client

from coding.models import Code, Coding
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


def test_one_coders_simultaneous_touching_passages_merge_into_one_coding():
    """Two tabs of one researcher code neighbouring passages at once: the touching check and the
    insert happen under the interview's lock, so they still end as one coding, not a patchwork."""
    project = make_project()
    interview = make_interview(project)
    code = make_code(project)
    rita = make_user("rita", project, Membership.Role.RESEARCHER)
    url = f"/projects/{project.pk}/interviews/{interview.pk}/codings/"
    start = threading.Barrier(2)
    statuses = []

    def code_passages(offsets):
        client = Client()
        client.force_login(rita)
        start.wait()
        for offset in offsets:
            data = {"start": offset, "end": offset + 2, "code": code.pk, "since": 0}
            response = client.post(url, data, headers={"HX-Request": "true"})
            statuses.append(response.status_code)
        connection.close()

    # [10, 12) [12, 14) … [48, 50): each tab's passages touch only the other tab's.
    tabs = [range(10, 50, 4), range(12, 52, 4)]
    threads = [threading.Thread(target=code_passages, args=(offsets,)) for offsets in tabs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [200] * 20
    assert list(Coding.objects.filter(coder=rita).values_list("start", "end")) == [(10, 50)]


def test_two_simultaneous_moves_cannot_make_the_codebook_a_cycle():
    """A under B and B under A at the same moment: one move waits for the other, then is refused."""
    project = make_project()
    a, b = make_code(project, "A"), make_code(project, "B")
    first_moved, second_tried = threading.Event(), threading.Event()
    outcome = {}

    def move_a_under_b():
        with transaction.atomic():
            Code.objects.filter(pk=a.pk).update(parent=b)
            first_moved.set()
            second_tried.wait(timeout=2)  # the other move is blocked on the codebook lock by now
        connection.close()

    def move_b_under_a():
        first_moved.wait()
        try:
            with transaction.atomic():
                second_tried.set()
                Code.objects.filter(pk=b.pk).update(parent=a)
            outcome["second"] = "moved"
        except IntegrityError:
            outcome["second"] = "refused"
        connection.close()

    threads = [threading.Thread(target=move_a_under_b), threading.Thread(target=move_b_under_a)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert outcome == {"second": "refused"}
    assert dict(Code.objects.filter(project=project).values_list("name", "parent__name")) == {
        "A": "B",
        "B": None,
    }
