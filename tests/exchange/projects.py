"""Verbatim projects for the exchange tests: one using every feature the export writes, and a
snapshot of a project (what a round trip must keep) to compare two projects with."""

import datetime as dt
import io
from decimal import Decimal

from django.contrib.auth import get_user_model

from coding.audit import recorded_as
from coding.models import Code, Coding, Memo, ReviewEvent
from exchange import exporting, importing, placeholders, plans, refi
from interviews.models import Attribute, AttributeValue, Interview, Membership, Project
from tests.factories import make_interview, make_project, make_user

UTC = dt.UTC
EMOJI_TEXT = (
    "Intervieweuse : Et la première fois ?\n\n"
    "Martine : Je lui ai offert un café 😀, rien de plus.\u00a0Il a dit « merci 👍🏽 ».\n"
    "Rene\u0301 est arrivé après.\n\n"
    "Intervieweuse : Et ensuite ?\n\n"
    "Martine : On s'est revus jeudi, même banc."
)
SECOND_TEXT = (
    "Intervieweuse : Où travaillez-vous ?\n\n"
    "Martine : Au comptoir, la nuit. Les gens viennent chercher du matériel.\n\n"
    "Intervieweuse : Et le jour ?\n\n"
    "Martine : Je dors, ou presque."
)
THIRD_TEXT = "Notes de terrain.\nLe parc était vide ce matin-là.\nPersonne au comptoir."


def full_project() -> Project:
    """A project using everything a REFI-QDA export carries."""
    project = make_project("Étude « complète » & <test>")
    project.description = "Projet pilote.\nDeux lignes."
    project.save(update_fields=["description"])
    ada = make_user("ada", project, Membership.Role.ADMIN)
    sam = make_user("sam", project, Membership.Role.SUPERVISOR)
    rita = make_user("rita", project, Membership.Role.RESEARCHER)
    remi = make_user("remi", project, Membership.Role.RESEARCHER)
    rita.first_name, rita.last_name = "Rita", "Recherche"
    rita.save(update_fields=["first_name", "last_name"])

    first = make_interview(project, EMOJI_TEXT, title="Entretien 1 — Martine")
    second = make_interview(project, SECOND_TEXT, title="Entretien 2 — Martine, la nuit")
    third = make_interview(project, THIRD_TEXT, title="Notes du parc")
    third.participant = ""
    third.save(update_fields=["participant"])

    root = Code.objects.create(
        project=project,
        name="Gestion de la proximité",
        color="#1f77b4",
        description="La distance réglée.\nSur deux lignes.",
        inclusion="Présence, posture.",
        exclusion="Ce qui est dit : « Suggestion ».",
    )
    courteous = Code.objects.create(
        project=project, parent=root, name="Voisinage courtois", color="#2ca02c", position=0
    )
    suggestion = Code.objects.create(
        project=project,
        parent=root,
        name="Suggestion <légitime> & co",
        color="#D62728",
        position=1,
        description="Proposer sans imposer.",
    )
    folder = Code.objects.create(project=project, name="Contexte", color="#9467bd", position=1)
    place = Code.objects.create(project=project, parent=folder, name="Lieux", color="#8c564b")

    attributes = {
        "role": Attribute.objects.create(project=project, name="Rôle", position=0),
        "years": Attribute.objects.create(
            project=project, name="Années de pratique", type=Attribute.Type.NUMBER, position=1
        ),
        "weight": Attribute.objects.create(
            project=project, name="Charge", type=Attribute.Type.NUMBER, position=2
        ),
        "born": Attribute.objects.create(
            project=project, name="Depuis", type=Attribute.Type.DATE, position=3
        ),
        "setting": Attribute.objects.create(
            project=project,
            name="Milieu",
            type=Attribute.Type.CHOICE,
            choices=["Rue", "Site fixe", "Unité mobile"],
            position=4,
        ),
    }
    values = [
        (first, "role", {"text": "Travailleuse de rue"}),
        (first, "years", {"number": Decimal("12")}),
        (first, "weight", {"number": Decimal("72.5")}),
        (first, "born", {"date": dt.date(2011, 5, 17)}),
        (first, "setting", {"text": "Rue"}),
        (second, "role", {"text": "Travailleuse de rue"}),
        (second, "years", {"number": Decimal("12")}),
        (second, "setting", {"text": "Site fixe"}),  # differs from the first: on the source
        (third, "setting", {"text": "Unité mobile"}),
    ]
    for interview, key, value in values:
        AttributeValue.objects.create(interview=interview, attribute=attributes[key], **value)

    def code(interview, code, coder, quote, when):
        start = interview.text.index(quote)
        with recorded_as(coder):
            coding = Coding.objects.create(
                interview=interview, code=code, coder=coder, start=start, end=start + len(quote)
            )
        Coding.objects.filter(pk=coding.pk).update(created_at=when)
        return coding

    when = dt.datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
    coffee = code(first, courteous, rita, "Je lui ai offert un café 😀", when)
    code(first, suggestion, rita, "Je lui ai offert un café 😀", when)  # same span, two codes
    code(first, courteous, remi, "Je lui ai offert un café 😀, rien de plus.", when)
    thanks = code(first, suggestion, remi, "« merci 👍🏽 »", when)
    code(first, place, rita, "Rene\u0301 est arrivé", when)
    code(second, place, remi, "Au comptoir, la nuit", when)
    code(second, courteous, rita, "la nuit. Les gens", when)  # overlaps remi's
    code(third, place, sam, "Le parc était vide", when)

    memos = [
        {"body": "Mémo de projet.\nSur deux lignes.", "author": sam},
        {"body": "Un mémo d'entretien.", "author": rita, "interview": first},
        {"body": "Attention à la surveillance.", "author": sam, "code": courteous},
        {"body": "Pourquoi ce café ?\n\nÀ relire.", "author": rita, "coding": coffee},
        {"body": "Le remerciement compte.", "author": remi, "coding": thanks},
    ]
    for memo in memos:
        Memo.objects.create(project=project, **memo)
    ReviewEvent.objects.create(coding=coffee, reviewer=sam, status="approved", comment="Bien vu.")
    ReviewEvent.objects.create(
        coding=thanks, reviewer=sam, status="needs_change", comment="Étendre à la phrase."
    )
    Coding.objects.filter(pk=coffee.pk).update(status="approved")
    Coding.objects.filter(pk=thanks.pk).update(status="needs_change")
    assert ada.pk
    return project


def code_path(code: Code) -> tuple[str, ...]:
    path = []
    while code is not None:
        path.insert(0, code.name)
        code = code.parent
    return tuple(path)


def snapshot(project: Project, *, memos: bool = True) -> dict:
    """What an export and its import must keep of a project, without ids."""
    interviews = project.interviews.order_by("title")
    codes = Code.objects.filter(project=project).select_related("parent__parent__parent")
    codings = Coding.objects.filter(interview__project=project).select_related(
        "interview", "coder", "code__parent__parent__parent"
    )
    values = AttributeValue.objects.filter(interview__project=project).select_related(
        "attribute", "interview"
    )
    result = {
        "project": (project.name, project.description),
        "interviews": [(i.title, i.participant, i.text) for i in interviews],
        "codes": sorted(
            (code_path(c), c.color.lower(), c.description, c.inclusion, c.exclusion) for c in codes
        ),
        "codings": sorted(
            (
                c.interview.title,
                code_path(c.code),
                c.coder.username,
                c.start,
                c.end,
                c.text,
                c.created_at.replace(microsecond=0),
            )
            for c in codings
        ),
        "attributes": [
            (a.name, a.type, a.choices) for a in project.attributes.order_by("position", "name")
        ],
        "values": sorted((v.interview.title, v.attribute.name, str(v.value)) for v in values),
    }
    if memos:
        result["memos"] = memo_snapshot(project)
    return result


def memo_snapshot(project: Project) -> list:
    found = Memo.objects.filter(project=project).select_related(
        "author", "interview", "code__parent", "coding__code__parent", "coding__interview"
    )
    result = []
    for memo in found:
        if memo.coding:
            target = ("coding", memo.coding.interview.title, code_path(memo.coding.code))
            target += (memo.coding.coder.username, memo.coding.start, memo.coding.end)
        elif memo.code:
            target = ("code", code_path(memo.code))
        elif memo.interview:
            target = ("interview", memo.interview.title)
        else:
            target = ("project",)
        author = memo.author.username if memo.author else None
        result.append((target, author, memo.body, memo.created_at.replace(microsecond=0)))
    return sorted(result)


def exported(project: Project, **options) -> bytes:
    return b"".join(exporting.project_chunks(project, **options))


def import_bytes(data: bytes, name: str, admin=None, file_name: str = "export.qdpx") -> Project:
    """Store a .qdpx as a new project, the file's users matched to accounts by name (as the
    command line does)."""
    plan = plans.parse(io.BytesIO(data), plans.PROJECT, file_name=file_name, limits=refi.Limits())
    everyone = list(get_user_model().objects.all())
    users = {u.guid: placeholders.suggest(u.name, everyone) for u in plan.project.users}
    people = get_user_model().objects
    admin = admin or people.filter(username__in=["ada", "importer"]).order_by("pk").first()
    admin = admin or make_user("importer")
    return importing.store_project(plan, name=name, admin=admin, users=users)


def stored_interview(project: Project, title: str) -> Interview:
    return project.interviews.get(title=title)
