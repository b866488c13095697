"""The worker's housekeeping, every five minutes: jobs whose worker died are marked failed (to be
retried), and finished exports' files older than VERBATIM_JOB_FILE_HOURS are deleted."""

from django.db import connection
from procrastinate.contrib.django import app

from jobs import runner


@app.periodic(cron="*/5 * * * *", periodic_id="jobs-housekeeping")
@app.task(name="jobs.housekeeping", queue=runner.QUEUE, queueing_lock="jobs-housekeeping")
def housekeeping(timestamp: int) -> None:
    try:
        runner.recover_stalled()
        runner.purge()
    finally:
        connection.close()
