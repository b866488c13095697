"""The load test: `manage.py loadtest` drives researchers against the production server, then audits
the database."""

import json
import threading
from io import StringIO

import pytest
from django.core.management import call_command

from benchmarks import loadtest
from coding.audit import recorded_as
from coding.models import Coding, CodingEvent
from interviews.models import Membership
from tests.factories import TRANSCRIPT, make_code, make_coding, make_interview, make_user

pytestmark = pytest.mark.django_db(transaction=True)  # the server only sees committed rows


def test_three_researchers_for_five_seconds_leave_exactly_the_codings_the_server_acknowledged(
    tmp_path,
):
    out = StringIO()
    report = tmp_path / "loadtest.json"
    tiny = ["--interviews", "3", "--codings", "60", "--words", "1500"]
    call_command(
        "loadtest", "--users", "3", "--duration", "5", "--workers", "2", *tiny,
        "--json", str(report), stdout=out,
    )  # fmt: skip

    printed = out.getvalue()
    figures = json.loads(report.read_text())
    assert figures["failed_requests"] == 0 and figures["problems"] == []
    requests = {row["name"]: row for row in figures["requests"]}
    assert requests["login"]["n"] == 6  # a GET of the form and a POST, each
    assert requests["apply"]["n"] > 0 and requests["apply"]["p50_ms"] > 0
    assert figures["writes"] == requests["apply"]["n"] + requests.get("remove", {"n": 0})["n"]
    stored = requests["apply"]["n"] - requests.get("remove", {"n": 0})["n"]
    assert f"Verified in the database: the {stored} acknowledged codings" in printed
    # Once audited, the run takes back what it wrote: the project is as it found it.
    researchers = Membership.objects.filter(user__username__startswith="loadtest-")
    assert not Coding.objects.filter(coder__username__startswith="loadtest-").exists()
    assert not CodingEvent.objects.filter(actor__username__startswith="loadtest-").exists()
    assert not researchers.exists()


def researcher_with(user, project, live: dict) -> loadtest.Researcher:
    """A researcher that, by its tally, was told these codings were created (never started)."""
    run = loadtest.Run(
        base="http://127.0.0.1:9",
        project_id=project.pk,
        code_ids=[],
        duration=1,
        ready=threading.Barrier(1),
        https=False,
    )
    page = loadtest.Page(0, TRANSCRIPT, [])
    researcher = loadtest.Researcher(1, user, [page], run)
    researcher.tally.live = live
    researcher.tally.created = len(live)
    return researcher


@pytest.fixture
def audited(project):
    """One researcher with two acknowledged codings, as a run leaves them, and the audit's baseline."""
    interview = make_interview(project)
    code = make_code(project)
    user = make_user("loadtest-1", project, Membership.Role.RESEARCHER)
    before = loadtest.snapshot(project, [user])
    with recorded_as(user):
        codings = [
            make_coding(interview, code, user, 16, 22),
            make_coding(interview, code, user, 30, 40),
        ]
    live = {(interview.pk, code.pk, c.start, c.end): c.pk for c in codings}
    return project, user, before, researcher_with(user, project, live), codings


def test_the_audit_accepts_a_database_holding_exactly_what_was_acknowledged(audited):
    project, user, before, researcher, _ = audited

    problems, stored = loadtest.verify(project, [user], [researcher], before)

    assert (problems, stored) == ([], 2)


def test_the_audit_reports_a_lost_coding(audited):
    project, user, before, researcher, codings = audited
    with recorded_as(user):
        codings[0].delete()

    problems, stored = loadtest.verify(project, [user], [researcher], before)

    assert "1 acknowledged codings lost" in problems
    assert stored == 1


def test_the_audit_reports_a_coding_stored_twice(audited):
    project, user, before, researcher, codings = audited
    with recorded_as(user):
        make_coding(codings[0].interview, codings[0].code, user, codings[0].start, codings[0].end)

    problems, _ = loadtest.verify(project, [user], [researcher], before)

    assert "1 codings stored twice" in problems
    assert any("create events in the audit trail" in problem for problem in problems)


def test_the_audit_reports_a_change_to_someone_elses_codings(audited, rita):
    project, user, before, researcher, codings = audited
    with recorded_as(rita):
        make_coding(codings[0].interview, codings[0].code, rita, 16, 22)

    problems, _ = loadtest.verify(project, [user], [researcher], before)

    assert "other coders' codings changed during the run" in problems
    assert "1 audit events by someone else during the run" in problems
