"""Background jobs through the real queue: the worker runs in this process (or, to be killed, in
its own) against the test database; nothing is mocked."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from procrastinate.contrib.django import connector_params

from interviews.models import ImportBatch, ImportFile, Interview, Project
from jobs import runner
from jobs.models import Job
from tests.factories import make_user
from tests.interviews.fixtures import build

pytestmark = pytest.mark.django_db(transaction=True)
EN = {"Accept-Language": "en"}
ROOT = Path(__file__).resolve().parents[2]


@runner.task("tests.steps")
def steps(job, progress) -> dict:
    """A task that creates a project, then reports progress three times."""
    Project.objects.create(name=f"made by job {job.pk}")
    for done in range(1, 4):
        progress(done, 3)
    return {"summary": "three steps", "link": "/", "link_label": "Home"}


@pytest.fixture
def admin(client, ada):
    client.force_login(ada)
    return ada


def draft(client, project, count=2):
    files = {
        f"{n:02}.txt": build.txt(f"Intervieweuse : Question {n} ?\n\nMartine : Réponse {n}.")
        for n in range(count)
    }
    response = client.post(
        f"/projects/{project.pk}/import/",
        {"files": [SimpleUploadedFile(name, data) for name, data in files.items()]},
    )
    b"".join(response.streaming_content)
    return ImportBatch.objects.get(project=project)


def start_import(client, project) -> Job:
    response = client.post(f"/projects/{project.pk}/import/confirm/", headers=EN)
    assert response.status_code == 302
    return Job.objects.get(pk=response["Location"].strip("/").split("/")[-1])


def test_the_job_page_polls_until_the_job_is_done(client, project, admin, run_jobs):
    draft(client, project)
    job = start_import(client, project)
    page = client.get(f"/jobs/{job.pk}/", headers=EN).content.decode()
    assert 'hx-trigger="every 1s"' in page and "Waiting for the worker" in page
    run_jobs()
    fragment = client.get(f"/jobs/{job.pk}/", headers={**EN, "HX-Request": "true"}).content
    fragment = fragment.decode()
    assert "<html" not in fragment and 'hx-trigger="every 1s"' not in fragment
    assert "2 interviews imported." in fragment and "Open the project" in fragment
    job.refresh_from_db()
    assert (job.state, job.done, job.total) == ("done", 2, 2)
    assert Interview.objects.filter(project=project).count() == 2
    assert not ImportBatch.objects.exists()


def test_a_job_is_its_owners_alone(client, project, admin, run_jobs):
    draft(client, project)
    job = start_import(client, project)
    other = make_user("abel", project, "admin")
    client.force_login(other)
    for url in (f"/jobs/{job.pk}/", f"/jobs/{job.pk}/download/"):
        assert client.get(url).status_code == 404
    for url in (f"/jobs/{job.pk}/cancel/", f"/jobs/{job.pk}/retry/"):
        assert client.post(url).status_code == 404
    assert f"/jobs/{job.pk}/" not in client.get("/jobs/").content.decode()
    job.refresh_from_db()
    assert job.state == "queued" and not job.cancel_requested


def test_a_job_cancelled_before_it_starts_never_runs_and_can_be_retried(
    client, project, admin, run_jobs
):
    draft(client, project)
    job = start_import(client, project)
    client.post(f"/jobs/{job.pk}/cancel/")
    run_jobs()
    job.refresh_from_db()
    assert job.state == "cancelled" and not Interview.objects.exists()
    assert "Retry" in client.get(f"/jobs/{job.pk}/", headers=EN).content.decode()
    client.post(f"/jobs/{job.pk}/retry/")
    run_jobs()
    job.refresh_from_db()
    assert (job.state, job.attempts) == ("done", 1)
    assert Interview.objects.filter(project=project).count() == 2


def test_a_running_job_cancelled_rolls_back_what_it_did(ada, run_jobs):
    job = runner.start(task="tests.steps", title="Steps", user=ada, arguments={})
    # The user's click lands while the worker starts it: the first progress report stops it.
    Job.objects.filter(pk=job.pk).update(cancel_requested=True)
    run_jobs()
    job.refresh_from_db()
    assert job.state == "cancelled" and job.attempts == 1
    assert not Project.objects.filter(name=f"made by job {job.pk}").exists()


def test_a_job_reports_progress_and_keeps_its_result(ada, run_jobs):
    job = runner.start(task="tests.steps", title="Steps", user=ada, arguments={})
    run_jobs()
    job.refresh_from_db()
    assert (job.state, job.done, job.total, job.message) == ("done", 3, 3, "three steps")
    assert Project.objects.filter(name=f"made by job {job.pk}").exists()


def test_an_import_whose_draft_is_gone_fails_with_a_message(client, project, admin, run_jobs):
    draft(client, project)
    job = start_import(client, project)
    client.post(f"/projects/{project.pk}/import/discard/")
    run_jobs()
    page = client.get(f"/jobs/{job.pk}/", headers=EN).content.decode()
    assert "draft is gone" in page and "Retry" in page
    job.refresh_from_db()
    assert job.state == "failed" and not Interview.objects.exists()


def test_confirming_twice_joins_the_running_import(client, project, admin, run_jobs):
    draft(client, project)
    first = start_import(client, project)
    assert start_import(client, project) == first
    run_jobs()
    assert Interview.objects.filter(project=project).count() == 2


def test_a_worker_killed_mid_import_leaves_nothing_stored_and_the_job_can_be_retried(
    client, project, admin, run_jobs
):
    """A worker in a process of its own is killed (SIGKILL) while the import's transaction is
    open: it has stored an interview and waits on a table the test keeps locked."""
    batch = draft(client, project, count=3)
    job = start_import(client, project)
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_LOG_LEVEL": "WARNING"}
    with psycopg.connect(**connector_params()) as blocker:
        blocker.execute("LOCK TABLE interviews_speaker IN ACCESS EXCLUSIVE MODE")
        worker = subprocess.Popen(
            [sys.executable, "manage.py", "procrastinate", "worker", "--queues", "jobs"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for_lock_waiter(blocker, "interviews_speaker")
            job.refresh_from_db()
            assert job.state == "running"
        finally:
            worker.send_signal(signal.SIGKILL)
            worker.wait()
        blocker.rollback()
    assert not Interview.objects.filter(project=project).exists()
    assert ImportBatch.objects.filter(pk=batch.pk).exists() and ImportFile.objects.count() == 3
    # The worker left no heartbeat behind: the job page (or the next worker) marks it failed.
    assert runner.recover_stalled(seconds=0) == [job]
    page = client.get(f"/jobs/{job.pk}/", headers=EN).content.decode()
    assert "The worker stopped while running this job" in page and "Retry" in page
    client.post(f"/jobs/{job.pk}/retry/")
    run_jobs()
    job.refresh_from_db()
    assert (job.state, job.attempts) == ("done", 2)
    assert Interview.objects.filter(project=project).count() == 3


def _database_url() -> str:
    from verbatim.database import url_from_settings

    return url_from_settings(connection.settings_dict)


def _wait_for_lock_waiter(blocker, table: str) -> None:
    """Until a session waits for a lock on `table` (bounded: the worker starts in seconds)."""
    deadline = time.monotonic() + 120
    query = (
        "SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE c.relname = %s AND NOT l.granted"
    )
    with psycopg.connect(**connector_params(), autocommit=True) as watcher:
        while not watcher.execute(query, [table]).fetchone():
            assert time.monotonic() < deadline, "the worker never reached the import"
            time.sleep(0.05)
