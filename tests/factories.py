"""Plain `make_*` functions for what the tests need; every row goes through the real database."""

from django.contrib.auth import get_user_model

from coding.models import Code, Coding
from interviews.models import Interview, Membership, Project, Speaker, Turn
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
