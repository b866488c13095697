"""A user's background jobs: the list, one job's page (its progress bar polls itself through htmx
until the job is finished), cancel, retry, and the download of a finished export.

A job is its owner's alone: anyone else, an admin of its project included, gets 404. The task
checks the owner's rights in the project again when it runs (interviews/tasks.py, exports/tasks.py).
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from jobs import runner
from jobs.models import Job
from verbatim import downloads, fragments

# After this long in the queue, the page says that no worker seems to be running.
WAITING_SECONDS = 15


def _job_for(user, job_id: int) -> Job:
    return get_object_or_404(Job.objects.select_related("project"), pk=job_id, created_by=user)


# /jobs/


def job_list(request: HttpRequest) -> HttpResponse:
    jobs = Job.objects.filter(created_by=request.user).select_related("project")[:50]
    return render(request, "jobs/job_list.html", {"jobs": jobs})


# /jobs/<job_id>/


@vary_on_headers("HX-Request")
def job_detail(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_for(request.user, job_id)
    if job.state == Job.State.RUNNING and runner.recover_stalled(jobs=[job]):
        job.refresh_from_db()
    template = fragments.template(request, "jobs/job_detail.html", "job-status")
    waited = (timezone.now() - job.created_at).total_seconds()
    context = {"job": job, "no_worker": job.state == Job.State.QUEUED and waited > WAITING_SECONDS}
    return render(request, template, context)


@require_POST
def job_cancel(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_for(request.user, job_id)
    runner.cancel(job)
    return redirect("jobs:detail", job.pk)


@require_POST
def job_retry(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_for(request.user, job_id)
    runner.retry(job)
    return redirect("jobs:detail", job.pk)


def job_download(request: HttpRequest, job_id: int) -> HttpResponse:
    job = _job_for(request.user, job_id)
    if not job.file_available:
        raise Http404("This file is no longer kept.")
    filename = job.result.get("filename") or job.file.name.rsplit("/", 1)[-1]
    return downloads.attachment(job.file.open("rb"), filename)
