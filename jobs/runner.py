"""Background jobs: start one, run it in the worker, report its progress, cancel it, retry it.

    @runner.task("interviews.import")
    def import_batch(job: Job, progress: Progress) -> dict: ...

    job = runner.start(task="interviews.import", title=…, user=…, project=…, arguments={…})

A task is a function of the `Job` and a `Progress`; it returns what the job page shows (a dict:
"summary", "messages", "link", "link_label"), raises `Failed(messages)` when it cannot do its work,
and stops with `Cancelled` when the user cancels (`progress()` raises it). The runner holds the
task in one transaction: an import is stored whole or not at all, and the job is marked done in
the same commit, so a worker killed at any point leaves nothing half-done. The queue is
procrastinate's, in PostgreSQL (`manage.py procrastinate worker`, started by bin/dev).
"""

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import psycopg
from asgiref.sync import async_to_sync
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from procrastinate.contrib.django import app, connector_params
from procrastinate.jobs import Status

from jobs.models import Job

logger = logging.getLogger(__name__)
QUEUE = "jobs"


class Failed(Exception):
    """The task cannot do its work; `messages` say why, for the user."""

    def __init__(self, messages: list[str]):
        super().__init__("; ".join(messages))
        self.messages = [str(message) for message in messages]


class Cancelled(Exception):
    """The user cancelled the job: everything it did is rolled back."""


class Progress:
    """How far a running job is, written at once through a connection of its own (the task's
    transaction shows nothing until it commits); each report also learns whether the user asked
    to cancel, and then raises `Cancelled`."""

    def __init__(self, job: Job):
        self.job = job
        self._connection = None

    def __call__(self, done: int, total: int, message: str | None = None) -> None:
        if self._connection is None:
            self._connection = psycopg.connect(**connector_params(), autocommit=True)
        row = self._connection.execute(
            "UPDATE jobs_job SET done = %s, total = %s, message = COALESCE(%s, message) "
            "WHERE id = %s RETURNING cancel_requested",
            [done, total, message[:500] if message else None, self.job.pk],
        ).fetchone()
        if row is None or row[0]:
            raise Cancelled

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def task(name: str):
    """Register `function(job, progress) -> dict` as the background task `name`."""

    def register(function):
        @app.task(name=name, queue=QUEUE)
        def run(job_id: int) -> None:
            _run(job_id, function)

        run.function = function
        return run

    return register


def start(*, task: str, title: str, user, project=None, arguments: dict, back_url: str = "") -> Job:
    """A new job, queued for the worker."""
    job = Job.objects.create(
        task=task,
        title=title[:255],
        created_by=user,
        project=project,
        arguments=arguments,
        back_url=back_url[:500],
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    _defer(job)
    return job


def _defer(job: Job) -> None:
    job.task_id = app.configure_task(name=job.task, queue=QUEUE).defer(job_id=job.pk)
    job.save(update_fields=["task_id"])


def _run(job_id: int, function) -> None:
    """The worker's side: mark the job running, run the task in one transaction, keep the
    outcome. A job cancelled before it started does not run."""
    started = Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(
        state=Job.State.RUNNING, started_at=timezone.now(), attempts=F("attempts") + 1
    )
    if not started:
        return
    job = Job.objects.get(pk=job_id)
    progress = Progress(job)
    with translation.override(job.language):
        try:
            with transaction.atomic():
                result = function(job, progress) or {}
                _finish(job, Job.State.DONE, result=result, message=result.get("summary", ""))
        except Cancelled:
            _finish(job, Job.State.CANCELLED, message=_("Cancelled: nothing was kept."))
        except Failed as failure:
            _finish(job, Job.State.FAILED, errors=failure.messages)
        except Exception:
            logger.exception("Job %s (%s) failed", job.pk, job.task)
            _finish(
                job,
                Job.State.FAILED,
                errors=[
                    _(
                        "An unexpected error stopped this job; nothing was kept. Retry it, or "
                        "tell your administrator if it fails again."
                    )
                ],
            )
            raise  # procrastinate records the failure with its traceback
        finally:
            progress.close()
            # Jobs are few and long: the worker's thread need not keep a connection between them.
            connection.close()


def _finish(job: Job, state: str, *, result=None, errors=(), message: str = "") -> None:
    """Record how the job ended (inside the task's transaction when it succeeded)."""
    values = {
        "state": state,
        "finished_at": timezone.now(),
        "result": result or {},
        "errors": list(errors),
        "message": str(message)[:500],
    }
    if state == Job.State.DONE and job.file:
        values["file"] = job.file.name
    Job.objects.filter(pk=job.pk).update(**values)


def cancel(job: Job) -> None:
    """Ask the job to stop: one not started yet never runs; a running one stops at its next
    progress report, and what it did is rolled back."""
    Job.objects.filter(pk=job.pk, state__in=[Job.State.QUEUED, Job.State.RUNNING]).update(
        cancel_requested=True
    )
    if job.task_id:
        app.job_manager.cancel_job_by_id(job.task_id, abort=True)
    Job.objects.filter(pk=job.pk, state=Job.State.QUEUED).update(
        state=Job.State.CANCELLED,
        finished_at=timezone.now(),
        message=_("Cancelled before it started: nothing was done."),
    )


def retry(job: Job) -> bool:
    """Run a failed or cancelled job again, from the start, with the same arguments."""
    reset = Job.objects.filter(pk=job.pk, state__in=[Job.State.FAILED, Job.State.CANCELLED]).update(
        state=Job.State.QUEUED,
        done=0,
        total=0,
        message="",
        errors=[],
        result={},
        cancel_requested=False,
        finished_at=None,
    )
    if reset:
        job.refresh_from_db()
        _defer(job)
    return bool(reset)


def _blocking(coroutine_function):
    """`async_to_sync(coroutine_function)`, also from a thread whose event loop is running (an ASGI
    server's, or Playwright's in the browser tests), where async_to_sync refuses: then the call
    runs in a thread of its own."""
    call = async_to_sync(coroutine_function)
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return call

    def in_thread(*args, **kwargs):
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(call, *args, **kwargs).result()

    return in_thread


def run_queued() -> None:
    """Run the queued jobs in this process, as the worker would, until the queue is empty (the
    tests and the benchmark do; servers run `manage.py procrastinate worker`). In a thread of its
    own: the worker runs an event loop, which must not meet one already running here."""
    failures = []

    def work():
        try:
            with app.replace_connector(app.connector.get_worker_connector()):
                app.run_worker(wait=False, install_signal_handlers=False, listen_notify=False)
        except BaseException as error:  # noqa: BLE001 (raised again in the caller's thread)
            failures.append(error)

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(work).result()
    if failures:
        raise failures[0]


def recover_stalled(seconds: float | None = None, jobs=None) -> list[Job]:
    """Jobs marked running whose worker stopped signalling life (killed, machine restarted):
    marked failed, with nothing of them kept (their transaction never committed), to be retried.
    """
    if seconds is None:
        seconds = settings.VERBATIM_JOB_STALLED_SECONDS
    stalled = _blocking(app.job_manager.get_stalled_jobs)(seconds_since_heartbeat=seconds)
    stalled_ids = {row.id for row in stalled}
    running = Job.objects.filter(state=Job.State.RUNNING, task_id__in=stalled_ids)
    if jobs is not None:
        running = running.filter(pk__in=[job.pk for job in jobs])
    recovered = list(running)
    for job in recovered:
        _blocking(app.job_manager.finish_job_by_id_async)(
            job_id=job.task_id, status=Status.FAILED, delete_job=False
        )
        with translation.override(job.language):
            _finish(
                job,
                Job.State.FAILED,
                errors=[
                    _(
                        "The worker stopped while running this job (it was restarted or "
                        "killed). Nothing of it was kept: retry it."
                    )
                ],
            )
    return recovered


def purge() -> int:
    """Delete the files of jobs finished more than VERBATIM_JOB_FILE_HOURS ago, and jobs older
    than 30 days; how many files were deleted."""
    cutoff = timezone.now() - timedelta(hours=settings.VERBATIM_JOB_FILE_HOURS)
    deleted = 0
    for job in Job.objects.filter(finished_at__lt=cutoff).exclude(file=""):
        job.file.delete(save=False)
        Job.objects.filter(pk=job.pk).update(file="")
        deleted += 1
    Job.objects.filter(created_at__lt=timezone.now() - timedelta(days=30)).delete()
    return deleted
