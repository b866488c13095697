"""An interview's recording: attaching one (its bytes checked before it is stored), deleting its file
with its row, and where the transcript meets the recording in time (its timeline).

Served by interviews.recording_views (HTTP ranges: verbatim.ranges); played by the interview page
(static/coding/player.js) and the excerpts page. docs/recordings.md.
"""

import secrets
from bisect import bisect_right
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from interviews.models import Interview, Recording, TimeMark, Turn
from interviews.readers.recording import NotAudioVideo, identify
from jobs import isolation
from verbatim.plain_sql import Prepared


class Refused(Exception):
    """Why a file cannot be the recording, in words for the admin (it names the file)."""


def check_size(name: str, size: int) -> None:
    if size == 0:
        raise Refused(_("“%(name)s” is empty. Choose the recording's file again.") % {"name": name})
    limit = settings.VERBATIM_MAX_RECORDING_BYTES
    if size > limit:
        raise Refused(too_large(name, limit))


def too_large(name: str, limit: int) -> str:
    return _(
        "“%(name)s” is larger than the limit of %(limit)s for a recording. Export it again at a "
        "lower quality (audio alone is a tenth of the size of a video), or ask the administrator "
        "of Verbatim to raise VERBATIM_MAX_RECORDING_MB."
    ) % {"name": name, "limit": filesizeformat(limit)}


def attach(interview: Interview, upload, user) -> Recording:
    """Store `upload` (a Django UploadedFile) as the interview's recording, replacing any former
    one (its file is deleted once the new one is committed). Raises Refused before anything is
    stored when the file is empty, too large, or not audio or video."""
    name = upload.name
    check_size(name, upload.size)
    # puremagic and mutagen parse untrusted bytes: in a limited child, like the transcripts' readers.
    # A large upload is a temporary file already (settings.FILE_UPLOAD_HANDLERS); a small one is in
    # memory and goes to the child as bytes.
    path = getattr(upload, "temporary_file_path", None)
    source = path() if path else upload.read()
    try:
        kind = isolation.run(identify, source, what=f"“{name}”")
    except NotAudioVideo:
        raise Refused(
            _(
                "“%(name)s” is not an audio or video recording that a browser can play, whatever "
                "its name says. Export it from the recorder or editor as MP3, M4A, MP4, WAV, OGG "
                "or WebM."
            )
            % {"name": name}
        ) from None
    except isolation.Exhausted as problem:
        raise Refused(str(problem)) from None
    upload.seek(0)
    recording = Recording(
        interview=interview,
        original_name=name[:255],
        content_type=kind.content_type,
        size=upload.size,
        duration=timedelta(seconds=kind.seconds) if kind.seconds else None,
        uploaded_by=user,
    )
    recording.file.save(secrets.token_urlsafe(24) + kind.extension, upload, save=False)
    # A failure below leaves no file behind; the former recording's file goes once this one is in
    # (_delete_file).
    try:
        with transaction.atomic():
            Recording.objects.filter(interview=interview).delete()
            recording.save()
    except BaseException:
        recording.file.storage.delete(recording.file.name)
        raise
    return recording


@receiver(post_delete, sender=Recording)
def _delete_file(sender, instance: Recording, **kwargs):
    """The file goes with its row, however the row went (replaced, removed, its interview or
    project deleted: Django deletes the cascade row by row). Only once the deletion is committed:
    a rolled-back deletion keeps its file."""
    name, storage = instance.file.name, instance.file.storage
    if name:
        transaction.on_commit(lambda: storage.delete(name))


# Time ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cue:
    """A stretch [start, end) of the text heard from `time` to `until` (None: up to the next cue)."""

    start: int
    end: int
    time: float
    until: float | None


def timeline(interview_ids) -> dict[int, list[Cue]]:
    """Each interview's cues in text order (`cues`). One query each way, whatever the number of
    interviews."""
    marks: dict[int, list] = {pk: [] for pk in interview_ids}
    turns: dict[int, list] = {pk: [] for pk in interview_ids}
    rows = TimeMark.objects.filter(interview_id__in=marks).values_list(
        "interview_id", "start", "end", "time_start", "time_end"
    )
    for interview_id, *mark in rows:
        marks[interview_id].append(mark)
    rows = Turn.objects.filter(interview_id__in=marks, timestamp__isnull=False).values_list(
        "interview_id", "start", "end", "timestamp"
    )
    for interview_id, *turn in rows:
        turns[interview_id].append(turn)
    return {pk: cues(marks[pk], turns[pk]) for pk in marks}


# One interview's time marks, for `cues` (the interview page reads them with the rest: coding/page.py).
MARKS = Prepared(
    'SELECT start, "end", time_start, time_end FROM interviews_timemark WHERE interview_id = %s'
)


def cues(marks, turns) -> list[Cue]:
    """An interview's cues in text order: its time marks (a subtitle cue, the text between two
    timestamps: rows of MARKS), and the timed turns that no mark starts (a timestamp written before
    a speaker's label: rows starting with a turn's start, end and timestamp)."""
    found: dict[int, Cue] = {}
    for start, end, time_start, time_end in marks:
        until = time_end.total_seconds() if time_end is not None else None
        found[start] = Cue(start, end, time_start.total_seconds(), until)
    for start, end, timestamp, *_speaker in turns:
        if timestamp is not None:
            found.setdefault(start, Cue(start, end, timestamp.total_seconds(), None))
    return [found[start] for start in sorted(found)]


def passage_times(cues: list[Cue], start: int, end: int) -> tuple[float, float | None] | None:
    """When the passage [start, end) is heard: from the time of the nearest cue at or before its
    start to that of the next cue after its end (None: to the end of the recording, or of the last
    cue when it has an end). None when the passage lies before any timed text."""
    starts = [cue.start for cue in cues]
    first = bisect_right(starts, start) - 1
    if first < 0:
        return None
    after = bisect_right(starts, end - 1)
    if after < len(cues):
        return cues[first].time, cues[after].time
    return cues[first].time, cues[-1].until
