"""Load the demo project: twenty fictional French interviews, a starter codebook, example codings.

Idempotent: running it again adds nothing that is already there and changes nothing a user changed.
"""

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from coding.codebook import readable
from coding.models import Code, Coding, Memo, ReviewEvent
from interviews.models import (
    Attribute,
    AttributeValue,
    Interview,
    Membership,
    Project,
    Speaker,
    Turn,
    text_checksum,
)
from interviews.transcripts import parse_turns

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
PROJECT_NAME = "Proximité et réduction des méfaits (démo)"
PROJECT_DESCRIPTION = (
    "Projet de démonstration. Les vingt entretiens sont FICTIFS : écrits pour Verbatim, ils imitent "
    "une enquête par entretiens non directifs auprès d'intervenant·es de première ligne en réduction "
    "des méfaits, dans la région de Montréal. Aucune personne réelle n'y est décrite.\n"
    "Demo project. The twenty interviews are FICTIONAL, written for Verbatim."
)
PASSWORD = "verbatim-demo"
USERS = [
    # username, full name, role
    ("ada", "Ada Admin", Membership.Role.ADMIN),
    ("sam", "Sam Superviseure", Membership.Role.SUPERVISOR),
    ("rita", "Rita Recherche", Membership.Role.RESEARCHER),
    ("remi", "Rémi Recherche", Membership.Role.RESEARCHER),
]
ATTRIBUTES = [
    # header key, name, type
    ("organisation_type", "Type d'organisme", Attribute.Type.CHOICE),
    ("role", "Rôle", Attribute.Type.TEXT),
    ("years_of_practice", "Années de pratique", Attribute.Type.NUMBER),
    ("setting", "Milieu d'intervention", Attribute.Type.CHOICE),
]
INTERVIEWER = "Intervieweuse"


@dataclass
class DemoTranscript:
    name: str
    meta: dict[str, str]
    text: str
    codings: list[tuple[str, str, str]]  # coder, code name, quote


def read_transcript(path: Path) -> DemoTranscript:
    head, body, codings = path.read_text(encoding="utf-8").split("\n---\n")
    meta = dict(line.split(": ", 1) for line in head.strip().splitlines())
    lines = [line.split("|", 2) for line in codings.strip().splitlines() if line.strip()]
    return DemoTranscript(
        path.name, meta, body.strip("\n"), [tuple(p.strip() for p in line) for line in lines]
    )


class Command(BaseCommand):
    help = "Load (or complete) the fictional demo project with its users, interviews and codings."

    def handle(self, *args, **options):
        transcripts = [read_transcript(p) for p in sorted(DEMO_DIR.glob("transcripts/*.txt"))]
        if not transcripts:
            raise CommandError(f"No demo transcripts in {DEMO_DIR / 'transcripts'}")
        with transaction.atomic():
            users = self._users()
            project = self._project(users)
            codes = self._codebook(project, users["ada"])
            attributes = self._attributes(project, transcripts)
            created = 0
            for transcript in transcripts:
                interview, is_new = self._interview(project, transcript, attributes, users["ada"])
                created += is_new
                self._codings(interview, transcript, codes, users)
            self._reviews_and_memos(project, codes, users)
        self.stdout.write(
            f"Demo project « {project.name} »: {project.interviews.count()} interviews "
            f"({created} new), {Coding.objects.filter(interview__project=project).count()} codings."
        )
        self.stdout.write(f"Demo logins (password for all: {PASSWORD}):")
        for username, _name, role in USERS:
            self.stdout.write(f"  {role.label:<11} {username}")

    def _users(self):
        users = {}
        User = get_user_model()
        for username, full_name, _role in USERS:
            first, last = full_name.split(" ", 1)
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": first,
                    "last_name": last,
                    "email": f"{username}@demo.invalid",
                },
            )
            if created:
                user.set_password(PASSWORD)
                user.save(update_fields=["password"])
            users[username] = user
        return users

    def _project(self, users):
        project, _ = Project.objects.get_or_create(
            name=PROJECT_NAME, defaults={"description": PROJECT_DESCRIPTION}
        )
        for username, _name, role in USERS:
            Membership.objects.get_or_create(
                project=project, user=users[username], defaults={"role": role}
            )
        return project

    def _codebook(self, project, author):
        codes = {}

        def add(entries, parent):
            for position, entry in enumerate(entries):
                code, _ = Code.objects.get_or_create(
                    project=project,
                    parent=parent,
                    name=entry["name"],
                    defaults={
                        "color": readable(entry["color"]),  # the demo's colours, made visible
                        "description": entry["description"],
                        "inclusion": entry.get("inclusion", ""),
                        "exclusion": entry.get("exclusion", ""),
                        "position": position,
                        "created_by": author,
                    },
                )
                codes[code.name] = code
                add(entry.get("children", []), code)

        add(json.loads((DEMO_DIR / "codebook.json").read_text(encoding="utf-8")), None)
        return codes

    def _attributes(self, project, transcripts):
        attributes = {}
        for position, (key, name, type_) in enumerate(ATTRIBUTES):
            choices = sorted({t.meta[key] for t in transcripts}) if type_ == "choice" else []
            attribute, _ = Attribute.objects.get_or_create(
                project=project,
                name=name,
                defaults={"type": type_, "choices": choices, "position": position},
            )
            attributes[key] = attribute
        return attributes

    def _interview(self, project, transcript, attributes, admin):
        existing = project.interviews.filter(checksum=text_checksum(transcript.text)).first()
        if existing:
            return existing, False
        meta = transcript.meta
        interview = Interview.objects.create(
            project=project,
            title=meta["title"],
            participant=meta["pseudonym"],
            language="fr",
            source_name=f"démo fictive · {transcript.name}",
            source_format="txt",
            interviewed_on=date.fromisoformat(meta["date"]),
            text=transcript.text,
            imported_by=admin,
        )
        turns = parse_turns(transcript.text, labels={INTERVIEWER, meta["pseudonym"]})
        speakers = {
            label: Speaker.objects.create(
                interview=interview,
                label=label,
                name=label,
                role=Speaker.Role.INTERVIEWER if label == INTERVIEWER else Speaker.Role.PARTICIPANT,
            )
            for label in dict.fromkeys(turn.label for turn in turns)
        }
        Turn.objects.bulk_create(
            Turn(interview=interview, speaker=speakers[t.label], start=t.start, end=t.end)
            for t in turns
        )
        for key, attribute in attributes.items():
            value = AttributeValue(interview=interview, attribute=attribute)
            if attribute.type == Attribute.Type.NUMBER:
                value.number = Decimal(meta[key])
            else:
                value.text = meta[key]
            value.save()
        return interview, True

    def _codings(self, interview, transcript, codes, users):
        for coder, code_name, quote in transcript.codings:
            start = interview.text.find(quote)
            if start < 0 or code_name not in codes:
                raise CommandError(
                    f"{transcript.name}: cannot place {code_name!r} on {quote[:40]!r}"
                )
            Coding.objects.get_or_create(
                interview=interview,
                code=codes[code_name],
                coder=users[coder],
                start=start,
                end=start + len(quote),
            )

    def _reviews_and_memos(self, project, codes, users):
        """Give review and memos something to show: the supervisor has looked at a few codings."""
        if ReviewEvent.objects.filter(coding__interview__project=project).exists():
            return
        supervisor = users["sam"]
        codings = Coding.objects.filter(interview__project=project).order_by(
            "interview__title", "start"
        )
        unreviewed = codings.filter(reviews__isnull=True)
        for coding in unreviewed.filter(coder=users["rita"])[:6]:
            self._review(coding, supervisor, Coding.Status.APPROVED, "")
        for coding in unreviewed.filter(coder=users["remi"])[:2]:
            self._review(
                coding,
                supervisor,
                Coding.Status.NEEDS_CHANGE,
                "Le passage s'arrête avant la fin de l'idée : peux-tu l'étendre à la phrase suivante ?",
            )
        memos = [
            (
                None,
                "Mémo de projet : on distingue la proximité physique (voisinage courtois) de la "
                "proximité verbale (suggestion légitime). Coder les deux quand un passage les articule.",
            ),
            (
                codes["Voisinage courtois"],
                "Attention aux passages où la présence devient surveillance : "
                "les coder aussi « Intrusion ».",
            ),
        ]
        for code, body in memos:
            Memo.objects.get_or_create(
                project=project, code=code, body=body, defaults={"author": supervisor}
            )

    def _review(self, coding, reviewer, status, comment):
        ReviewEvent.objects.create(coding=coding, reviewer=reviewer, status=status, comment=comment)
        coding.status = status
        coding.save(update_fields=["status", "updated_at"])
