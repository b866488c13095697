"""Benchmark: import twenty generated 10,000-word .docx transcripts with `manage.py import_interviews`.

    VERBATIM_PGDATA=… DJANGO_SECRET_KEY=x python -m benchmarks.import_docx

Creates a throw-away project (deleted afterwards) in the configured database and prints the time.
"""

import os
import random
import tempfile
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "verbatim.settings")
django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402

from interviews.models import Membership, Project, Pseudonym  # noqa: E402
from tests.interviews.fixtures import build  # noqa: E402

SENTENCE = (
    "ben euh je m’assois sur le banc pis j’attends « juste un café » des fois ça prend des "
    "semaines avant qu’il me parle là je peux lui proposer un service sans pousser tsé faque "
    "l’hiver la ruelle le local l’infirmière le lien la confiance Robert"
)
WORDS = SENTENCE.split()


def transcript(seed: int, words: int = 10_000) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    turns, written = [], 0
    while written < words:
        interviewer = len(turns) % 2 == 0
        size = rng.randint(10, 30) if interviewer else rng.randint(120, 260)
        turns.append(
            (
                "Intervieweuse" if interviewer else f"Participant {seed}",
                " ".join(rng.choices(WORDS, k=size)),
            )
        )
        written += size + 1
    return turns


def main():
    user, _ = get_user_model().objects.get_or_create(username="bench-admin")
    project = Project.objects.create(name="Bench import")
    Membership.objects.create(project=project, user=user, role=Membership.Role.ADMIN)
    # A realistic replacement list: forty names, one of which occurs in every transcript.
    Pseudonym.objects.bulk_create(
        Pseudonym(project=project, real_name=f"Nom{n} Réel{n}", pseudonym=f"Pseudo{n}")
        for n in range(39)
    )
    Pseudonym.objects.create(project=project, real_name="Robert", pseudonym="Paul")
    with tempfile.TemporaryDirectory() as folder:
        for number in range(1, 21):
            Path(folder, f"entretien-{number:02d}.docx").write_bytes(build.docx(transcript(number)))
        started = time.perf_counter()
        call_command("import_interviews", folder, "--project", str(project.pk))
        elapsed = time.perf_counter() - started
    words = sum(i.word_count for i in project.interviews.all())
    print(f"{project.interviews.count()} interviews, {words} words, imported in {elapsed:.2f} s")
    project.delete()
    user.delete()


if __name__ == "__main__":
    main()
