"""Two supervisors' visits after changes, at the same moment, amend one statement's kept parts
(analysis.queries.additive_rows, its advisory lock): neither fails, and the sums kept are the
counts afresh. Real threads, each with its own connection to PostgreSQL."""

import random
import threading

import pytest
from django.db import connection
from django.test import Client

from analysis import queries
from coding.models import Code
from interviews.models import Membership
from tests.analysis.test_cache import computed_afresh, counted, shown
from tests.factories import (
    TRANSCRIPT,
    make_code,
    make_coding,
    make_interview,
    make_project,
    make_user,
)

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 6


def _visit_after_a_change(user, interview, codes: list[Code], seed: int, start, answers) -> None:
    """Code a passage of `interview`, then, with the other thread, visit the co-occurrence."""
    rng = random.Random(seed)
    client = Client()
    client.force_login(user)
    try:
        begin = rng.randrange(len(TRANSCRIPT) - 40)
        make_coding(interview, rng.choice(codes), user, begin, begin + rng.randint(5, 40))
        start.wait(timeout=30)
        answers.append(shown(client, interview.project))
    finally:
        connection.close()


def test_two_visits_after_changes_at_once_keep_the_counts_afresh():
    project = make_project()
    supervisors = [make_user(name, project, Membership.Role.SUPERVISOR) for name in ("sam", "sue")]
    codes = [make_code(project, f"Code {n}") for n in range(4)]
    # Texts differ (a project holds a text once): each a number more.
    interviews = [
        make_interview(project, f"{TRANSCRIPT} ({n})", f"Entretien {n}") for n in range(4)
    ]
    rng = random.Random(7)
    for interview in interviews:
        for _ in range(6):
            begin = rng.randrange(len(TRANSCRIPT) - 40)
            make_coding(interview, rng.choice(codes), supervisors[0], begin, begin + 30)
    first = Client()
    first.force_login(supervisors[0])
    assert shown(first, project) == counted(project)  # the parts kept, per interview
    for round_ in range(ROUNDS):
        start, answers = threading.Barrier(2), []
        threads = [
            threading.Thread(
                target=_visit_after_a_change,
                args=(user, interviews[(round_ + n) % 4], codes, round_ * 2 + n, start, answers),
            )
            for n, user in enumerate(supervisors)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert len(answers) == 2, "a visit failed"
        kept = shown(first, project)
        assert kept == counted(project)
        # Each visit counted at least the change made before it; the kept sums hold both.
        assert all(answer.keys() <= kept.keys() for answer in answers)
    assert shown(first, project) == computed_afresh(first, project)


def test_a_visit_amending_the_parts_holds_back_another_until_it_is_done(monkeypatch):
    """The interleaving the lock is for: sam's visit has read the parts and counts his change
    when sue's change lands and her visit starts. Without the lock, sue would amend the same parts
    from what sam had not yet written, and whichever wrote last would leave sums that no longer
    match the rows kept beside them (here, hers counted with the rows of before). With it, her
    visit waits for his to be done (his waits for hers no longer than WAIT), and both end right."""
    project = make_project()
    sam, sue = (make_user(name, project, Membership.Role.SUPERVISOR) for name in ("sam", "sue"))
    codes = [make_code(project, f"Code {n}") for n in range(3)]
    first, second = (
        make_interview(project, f"{TRANSCRIPT} ({n})", f"Entretien {n}") for n in range(2)
    )
    for interview in (first, second):
        make_coding(interview, codes[0], sam, 10, 60)
    viewer = Client()
    viewer.force_login(sam)
    assert shown(viewer, project) == counted(project)

    sam_counting, sue_done = threading.Event(), threading.Event()
    rows = queries._rows

    def counting(sql, params):
        found = rows(sql, params)
        if threading.current_thread().name == "sam" and not sam_counting.is_set():
            sam_counting.set()  # sam has read the parts and counted his interview again
            sue_done.wait(timeout=WAIT)  # her visit, if nothing holds it back, is done first
        return found

    monkeypatch.setattr(queries, "_rows", counting)
    answers = {}

    def sams_visit():
        make_coding(first, codes[1], sam, 20, 50)
        _visit(sam, project, answers)

    def sues_visit():
        sam_counting.wait(timeout=30)
        make_coding(second, codes[2], sue, 5, 80)
        _visit(sue, project, answers)
        sue_done.set()

    threads = [
        threading.Thread(target=sams_visit, name="sam"),
        threading.Thread(target=sues_visit, name="sue"),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert set(answers) == {"sam", "sue"}, "a visit failed"
    assert answers["sue"] == counted(project)  # she waited: her visit counts both changes
    assert shown(viewer, project) == counted(project)


WAIT = 2  # seconds


def _visit(user, project, answers) -> None:
    client = Client()
    client.force_login(user)
    try:
        answers[user.username] = shown(client, project)
    finally:
        connection.close()
