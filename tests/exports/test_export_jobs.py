"""Excerpt exports over VERBATIM_EXPORT_JOB_ROWS run as background jobs (exports/tasks.py); the
worker runs in this process against the test database."""

import csv
import io
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from django.utils import timezone

from jobs import runner
from jobs.models import Job
from tests.factories import make_code, make_coding, make_interview

pytestmark = pytest.mark.django_db(transaction=True)
EN = {"Accept-Language": "en"}


@pytest.fixture
def codings(project, rita, settings, tmp_path):
    settings.VERBATIM_EXPORT_JOB_ROWS = 2
    settings.MEDIA_ROOT = tmp_path
    interview = make_interview(project)
    code = make_code(project)
    return [make_coding(interview, code, rita, start, start + 5) for start in (0, 10, 20)]


def prepare(client, project, kind="csv") -> Job:
    url = f"/projects/{project.pk}/excerpts/export/?format={kind}"
    page = client.get(url, headers=EN).content.decode()
    assert "more than 2 excerpts" in page and 'method="post"' in page
    response = client.post(url, headers=EN)
    assert response.status_code == 302
    return Job.objects.get(pk=response["Location"].strip("/").split("/")[-1])


def test_a_large_export_is_prepared_in_the_background_for_its_owner(
    client, project, rita, sam, codings, run_jobs
):
    client.force_login(rita)
    job = prepare(client, project)
    run_jobs()
    page = client.get(f"/jobs/{job.pk}/", headers=EN).content.decode()
    assert "3 excerpts exported." in page and f"/jobs/{job.pk}/download/" in page
    response = client.get(f"/jobs/{job.pk}/download/")
    content = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert len(rows) == 4 and response["Content-Disposition"].startswith("attachment")
    client.force_login(sam)  # a colleague may not download it
    assert client.get(f"/jobs/{job.pk}/download/").status_code == 404


def test_the_excel_file_of_a_job_has_every_row(client, project, rita, codings, run_jobs):
    client.force_login(rita)
    job = prepare(client, project, "xlsx")
    run_jobs()
    response = client.get(f"/jobs/{job.pk}/download/")
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    assert sheet.max_row == 4


def test_small_exports_stay_direct_downloads(client, project, rita, codings, settings):
    settings.VERBATIM_EXPORT_JOB_ROWS = 5000
    client.force_login(rita)
    response = client.get(f"/projects/{project.pk}/excerpts/export/?format=csv")
    assert response["Content-Type"].startswith("text/csv") and not Job.objects.exists()


def test_an_export_file_is_gone_after_a_day(client, project, rita, codings, run_jobs):
    client.force_login(rita)
    job = prepare(client, project)
    run_jobs()
    job.refresh_from_db()
    path = job.file.path
    Job.objects.filter(pk=job.pk).update(finished_at=timezone.now() - timedelta(hours=25))
    assert client.get(f"/jobs/{job.pk}/download/").status_code == 404
    assert runner.purge() == 1
    job.refresh_from_db()
    assert not job.file and not Path(path).exists()


def test_an_outsider_cannot_start_an_export_job(client, project, olga, codings):
    client.force_login(olga)
    url = f"/projects/{project.pk}/excerpts/export/?format=csv"
    assert client.get(url).status_code == 404 and client.post(url).status_code == 404
    assert not Job.objects.exists()
