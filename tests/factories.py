"""Plain `make_*` functions for what the tests need; every row goes through the real database."""

import io
import math
import random
import re
import wave
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import connection

from coding.models import Code, Coding
from interviews.models import Interview, Membership, Project, Recording, Speaker, TimeMark, Turn
from interviews.transcripts import parse_turns

TRANSCRIPT = (
    "Intervieweuse : Comment est-ce que vous abordez quelqu'un que vous ne connaissez pas ?\n\n"
    "Martine : Je m'assois pas loin, sur le même banc, pis j'attends.\n"
    "Des fois ça prend des semaines avant qu'il me parle.\n\n"
    "Intervieweuse : Et quand il vous parle ?\n\n"
    "Martine : Là je peux lui proposer un café, « juste un café », rien de plus."
)


def make_user(username: str, project: Project | None = None, role: str | None = None):
    user = get_user_model().objects.create_user(username, f"{username}@example.org", "pw-for-tests")
    if project is not None:
        Membership.objects.create(project=project, user=user, role=role)
    return user


def make_project(name: str = "Projet") -> Project:
    return Project.objects.create(name=name)


def make_interview(
    project: Project, text: str = TRANSCRIPT, title: str = "Entretien 1"
) -> Interview:
    interview = Interview.objects.create(
        project=project, title=title, participant="Martine", text=text
    )
    speakers = {}
    for turn in parse_turns(text):
        if turn.label not in speakers:
            speakers[turn.label] = Speaker.objects.create(
                interview=interview, label=turn.label, name=turn.label
            )
        Turn.objects.create(
            interview=interview, speaker=speakers[turn.label], start=turn.start, end=turn.end
        )
    return interview


def make_code(
    project: Project,
    name: str = "Voisinage courtois",
    parent: Code | None = None,
    color: str | None = None,
) -> Code:
    extra = {"color": color} if color else {}
    return Code.objects.create(project=project, name=name, parent=parent, **extra)


def make_coding(interview: Interview, code: Code, coder, start: int, end: int) -> Coding:
    return Coding.objects.create(interview=interview, code=code, coder=coder, start=start, end=end)


def insert_coding_sql(interview: Interview, code: Code, coder, start: int, end: int) -> int:
    """A coding written in plain SQL, bypassing Django entirely (as a script or a raw COPY would):
    whatever must hold is the database's to hold. Its id."""
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO coding_coding (interview_id, code_id, coder_id, start, "end", text, status,'
            " created_at, updated_at) VALUES (%s, %s, %s, %s, %s, '', 'pending', now(), now())"
            " RETURNING id",
            [interview.pk, code.pk, coder.pk, start, end],
        )
        return cursor.fetchone()[0]


def random_codings(
    project: Project, coder, pieces: list[str], *, seed: int, length: int, spans: int, longest: int
) -> Interview:
    """An interview whose text is `length` pieces drawn at random, coded `spans` times at random
    spans of at most `longest` characters with one code (seeded: the same every run)."""
    rng = random.Random(seed)
    text = "".join(rng.choices(pieces, k=length))
    interview = make_interview(project, text=text, title="Aléatoire")
    code = make_code(project)
    for _ in range(spans):
        start = rng.randrange(len(text) - 1)
        make_coding(interview, code, coder, start, min(len(text), start + rng.randint(1, longest)))
    return interview


def wav_bytes(seconds: float = 3, rate: int = 8000) -> bytes:
    """A WAV of a 440 Hz tone, mono, 8-bit: what Chromium plays, made without any file."""
    frames = bytes(
        128 + int(100 * math.sin(2 * math.pi * 440 * n / rate)) for n in range(int(seconds * rate))
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


def time_turns(interview: Interview, seconds_apart: float = 2) -> list[Turn]:
    """Give the interview's turns times 0, 2, 4… seconds, and a time mark each, as an import of a
    timed transcript would."""
    turns = list(Turn.objects.filter(interview=interview).order_by("start"))
    for i, turn in enumerate(turns):
        turn.timestamp = timedelta(seconds=i * seconds_apart)
        turn.save(update_fields=["timestamp"])
        TimeMark.objects.create(
            interview=interview,
            start=turn.start,
            end=turn.end,
            time_start=turn.timestamp,
            time_end=turn.timestamp + timedelta(seconds=seconds_apart),
        )
    return turns


def _wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as sound:
        return sound.getnframes() / sound.getframerate()


def make_recording(interview: Interview, data: bytes | None = None) -> Recording:
    """A WAV stored as the interview's recording, as interviews.recordings.attach would store it."""
    data = wav_bytes() if data is None else data
    recording = Recording(
        interview=interview,
        original_name="entretien.wav",
        content_type="audio/wav",
        size=len(data),
        duration=timedelta(seconds=_wav_seconds(data)),
    )
    recording.file.save("test-recording.wav", ContentFile(data), save=False)
    recording.save()
    return recording


# What separates words when a context is cut: spaces, tabs and line ends, not no-break spaces.
CUT_WORD = re.compile("[^ \t\n\r]*[ \t\n\r]+")


def contexts_of(text: str, start: int, end: int) -> tuple[str, str]:
    """The contexts a coding of text[start:end] should carry, read independently of the rule in
    migration coding 0016: up to 200 characters each side, less the word a window cuts when it
    does not reach the text's edge."""
    before, after = text[max(start - 200, 0) : start], text[end : end + 200]
    if start > 200 and (cut := CUT_WORD.match(before)):
        before = before[cut.end() :]
    if end + 200 < len(text) and (cut := CUT_WORD.match(after[::-1])):
        after = after[: len(after) - cut.end()]
    return before, after


def assert_contexts_follow_the_text(interview: Interview) -> None:
    """Every coding of the interview carries the contexts its current text gives."""
    text = Interview.objects.get(pk=interview.pk).text
    rows = Coding.objects.filter(interview_id=interview.pk)
    rows = rows.values_list("pk", "start", "end", "context_before", "context_after")
    for pk, start, end, before, after in rows:
        assert (before, after) == contexts_of(text, start, end), (pk, start, end)


def speakers_from_the_turns(interview: Interview) -> dict[int, int | None]:
    """Each coding's speaker read from the turns here, independently of migration coding 0020:
    the last turn starting at or before the coding's start, when it has not ended there."""
    turns = sorted(
        Turn.objects.filter(interview_id=interview.pk).values_list("start", "end", "speaker_id")
    )
    found = {}
    for pk, start in Coding.objects.filter(interview_id=interview.pk).values_list("pk", "start"):
        before = [turn for turn in turns if turn[0] <= start]
        found[pk] = before[-1][2] if before and before[-1][1] > start else None
    return found


def assert_speakers_follow_the_turns(interview: Interview) -> None:
    """Every coding of the interview carries the speaker its turns give (`Coding.speaker`)."""
    kept = dict(Coding.objects.filter(interview_id=interview.pk).values_list("pk", "speaker_id"))
    assert kept == speakers_from_the_turns(interview)
