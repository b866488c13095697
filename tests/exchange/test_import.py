"""Storing an import: the real samples with the counts their files hold and every NVivo passage as a
person coded it, a hand-made file using each mapping, all or nothing, and codebooks (.qdc)."""

import io
import re
import zipfile

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from coding.models import Code, Coding, CodingEvent, Memo
from exchange import importing, plans, refi
from exchange.models import Placeholder
from interviews.models import Attribute, Interview, Membership, Project
from tests.factories import make_code, make_project, make_user

from .builders import CODE, MAXQDA, NVIVO, SOURCE, USER, needs_samples, qdpx
from .test_samples import count, raw

pytestmark = pytest.mark.django_db
User = get_user_model()


def plan_of(data: bytes, kind=plans.PROJECT, name="test.qdpx") -> plans.Plan:
    return plans.parse(io.BytesIO(data), kind, file_name=name, limits=refi.Limits())


def store(plan: plans.Plan, admin, users=None) -> Project:
    return importing.store_project(plan, name="Import", admin=admin, users=users or {})


def splits_a_word(text: str, k: int) -> bool:
    return 0 < k < len(text) and text[k - 1].isalnum() and text[k].isalnum()


@needs_samples
def test_the_nvivo_sample_imports_as_the_file_holds_it():
    ada = make_user("ada")
    xml = raw(NVIVO)
    project = store(plan_of(NVIVO.read_bytes(), name=NVIVO.name), ada)
    (interview,) = project.interviews.all()
    assert Code.objects.filter(project=project).count() == count(xml, "Code") == 60
    assert Code.objects.filter(project=project, parent=None).count() == len(
        re.findall(r"^      <Code ", xml, re.MULTILINE)
    )
    codings = list(Coding.objects.filter(interview=interview).order_by("pk"))
    assert len(codings) == count(xml, "Coding") == 97
    # Independently of the importer: the file's numbers are UTF-16 code units of the BOM-less
    # text; each stored coding holds those characters (CRLF stored as LF), at word boundaries.
    with zipfile.ZipFile(NVIVO) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".txt"))
        original = archive.read(name).decode("utf-8-sig")
    utf16 = original.encode("utf-16-le")
    written = re.findall(r'<PlainTextSelection [^>]*startPosition="(\d+)" endPosition="(\d+)"', xml)
    expected = sorted(
        plans.stored_passage(utf16[2 * int(start) : 2 * int(end)].decode("utf-16-le"))
        for start, end in written
    )
    assert sorted(c.text for c in codings) == expected
    assert interview.text == original.replace("\r\n", "\n")
    for coding in codings:
        assert interview.text[coding.start : coding.end] == coding.text
        assert not splits_a_word(interview.text, coding.start), coding.text[:30]
        assert not splits_a_word(interview.text, coding.end), coding.text[-30:]
    # Two users in the file, no account of their name: two inactive placeholders, members.
    accounts = Placeholder.objects.filter(project=project).select_related("user")
    assert sorted(a.name for a in accounts) == ["Gergo", "floriansipos"]
    for account in accounts:
        assert not account.user.is_active and not account.user.has_usable_password()
        assert project.memberships.filter(user=account.user).exists()
    # Each Coding names its creator (floriansipos), who is not the selections' (Gergo): the
    # coding's own wins.
    florian = accounts.get(name="floriansipos").user
    assert {c.coder for c in codings} == {florian}
    assert min(c.created_at for c in codings).year == 2025  # the file's dates, not today's
    # The audit trail names the importer, and Ctrl+Z cannot undo an import.
    events = CodingEvent.objects.filter(interview_id=interview.pk)
    assert events.count() == 97 and set(events.values_list("actor", "group")) == {(ada.pk, None)}


@needs_samples
def test_the_maxqda_sample_imports_as_the_file_holds_it():
    ada = make_user("ada")
    xml = raw(MAXQDA)
    plan = plan_of(MAXQDA.read_bytes(), name=MAXQDA.name)
    project = store(plan, ada)
    assert project.interviews.count() == count(xml, "TextSource") == 10
    assert Code.objects.filter(project=project).count() == count(xml, "Code") == 307
    first = Code.objects.get(project=project, parent=None, name="Additional Themes and Ideas")
    assert first.color == "#ef8256" and first.description.startswith("This category encompasses")
    with zipfile.ZipFile(MAXQDA) as archive:
        for interview in project.interviews.all():
            member = next(
                n
                for n in archive.namelist()
                if n.endswith(".txt") and archive.read(n).decode() == interview.text
            )
            assert member
    notices = {row.kind: row for row in importing.preview(plan).notices}
    assert notices["set_not_kept"].count == count(xml, "Set") == 2


TEXT = (
    "\ufeffIntervieweuse : Et la première fois ?\r\n"
    "Martine : Un café 😀, rien de plus.\x00\r\n"
    "Intervieweuse : Et ensuite ?\r\n"
    "Martine : Jeudi, même banc."
)
G = [f"00000000-0000-4000-8000-{i:012d}" for i in range(40)]
RITA, SAM = USER, G[30]


def hand_made() -> bytes:
    """One source (BOM, CRLF, emoji, NUL) whose positions count code points as stored, a copy
    of it, notes on everything, typed variables and a case."""
    text = TEXT[1:]
    coffee = text.index("Un café 😀")
    thursday = text.index("Jeudi")
    note = (
        '<Note guid="{}" name="{}" creatingUser="{}"><PlainTextContent>{}</PlainTextContent></Note>'
    )
    body = f"""
<Users><User guid="{RITA}" name="rita"/><User guid="{SAM}" name="Sam Superviseure"/></Users>
<CodeBook><Codes>
  <Code guid="{G[1]}" name="Proximité" isCodable="false" color="#112233">
    <Description>Définition.

When to use:
Présence.</Description>
    <Code guid="{CODE}" name="Café" isCodable="true"><NoteRef targetGUID="{G[12]}"/></Code>
  </Code>
</Codes></CodeBook>
<Variables><Variable guid="{G[2]}" name="Années" typeOfVariable="Integer"/></Variables>
<Cases><Case guid="{G[3]}" name="Martine">
  <VariableValue><VariableRef targetGUID="{G[2]}"/><IntegerValue>12</IntegerValue></VariableValue>
  <SourceRef targetGUID="{SOURCE}"/></Case></Cases>
<Sources>
  <TextSource guid="{SOURCE}" name="Entretien Martine" plainTextPath="internal://{SOURCE}.txt">
    <Description>Enregistré au parc.</Description>
    <PlainTextSelection guid="{G[4]}" startPosition="{coffee}" endPosition="{coffee + 9}"
        creatingUser="{RITA}" creationDateTime="2024-03-01T09:30:00Z">
      <Description>Le café comme prétexte.</Description>
      <Coding guid="{G[5]}" creatingUser="{RITA}"><CodeRef targetGUID="{CODE}"/>
        <NoteRef targetGUID="{G[13]}"/></Coding>
      <Coding guid="{G[6]}" creatingUser="{SAM}"><CodeRef targetGUID="{G[1]}"/></Coding>
      <NoteRef targetGUID="{G[14]}"/>
    </PlainTextSelection>
    <PlainTextSelection guid="{G[7]}" startPosition="{thursday}" endPosition="{thursday + 5}"
        creatingUser="{G[31]}"><Coding guid="{G[8]}"><CodeRef targetGUID="{CODE}"/></Coding>
    </PlainTextSelection>
    <PlainTextSelection guid="{G[9]}" startPosition="0" endPosition="13">
      <NoteRef targetGUID="{G[15]}"/></PlainTextSelection>
    <NoteRef targetGUID="{G[11]}"/>
  </TextSource>
  <TextSource guid="{G[20]}" name="Copie" plainTextPath="internal://{G[20]}.txt"/>
</Sources>
<Notes>
  {note.format(G[10], "Journal", SAM, "Mémo de projet.")}
  {note.format(G[11], "", RITA, "Sur l'entretien.")}
  {note.format(G[12], "", SAM, "Sur le code.")}
  {note.format(G[13], "", RITA, "Sur la codification de Rita.")}
  {note.format(G[14], "", SAM, "Sur le passage, par Sam.")}
  {note.format(G[15], "", RITA, "Sur un passage sans code.")}
</Notes>
"""
    qde = (
        '<?xml version="1.0" encoding="utf-8"?><Project xmlns="urn:QDA-XML:project:1.0" '
        f'name="Fait main" origin="Test 1.0">{body}</Project>'
    )
    data = TEXT.encode("utf-8")
    files = {f"sources/{SOURCE}.txt": data, f"sources/{G[20]}.txt": data}
    return qdpx(qde, files).getvalue()


def test_a_hand_made_file_maps_each_part_to_its_place():
    ada, rita = make_user("ada"), make_user("rita")
    plan = plan_of(hand_made())
    users = {RITA: rita, SAM: None}
    project = store(plan, ada, users)
    (interview,) = project.interviews.all()  # the copy is the same text: one interview
    assert interview.title == "Entretien Martine" and interview.participant == "Martine"
    assert interview.text == TEXT[1:].replace("\x00", "").replace("\r\n", "\n")
    assert {s.label for s in interview.speakers.all()} == {"Intervieweuse", "Martine"}
    # Codes: the category is an ordinary parent, with its definition and rule apart.
    parent = Code.objects.get(project=project, name="Proximité")
    assert (parent.color, parent.description, parent.inclusion) == (
        "#112233",
        "Définition.",
        "Présence.",
    )
    cafe = Code.objects.get(project=project, name="Café", parent=parent)
    # Codings: coder, code and the characters coded, the NUL gone.
    sam = Placeholder.objects.get(project=project).user
    rows = {
        (c.code.name, c.coder.username, c.text)
        for c in Coding.objects.filter(interview=interview).select_related("code", "coder")
    }
    assert rows == {
        ("Café", "rita", "Un café 😀"),
        ("Proximité", sam.username, "Un café 😀"),
        ("Café", "ada", "Jeudi"),  # its user is not in the file's list: credited to the importer
    }
    assert Membership.objects.get(project=project, user=rita).role == Membership.Role.RESEARCHER
    # Memos where the notes were.
    memos = {(m.body, _target(m), m.author.username) for m in Memo.objects.filter(project=project)}
    rita_coding = Coding.objects.get(interview=interview, coder=rita, code=cafe)
    sam_coding = Coding.objects.get(interview=interview, coder=sam)
    assert memos == {
        ("Journal\n\nMémo de projet.", "project", sam.username),
        ("Sur l'entretien.", "interview", "rita"),
        ("Enregistré au parc.", "interview", "ada"),
        ("Sur le code.", ("code", cafe.pk), sam.username),
        ("Sur la codification de Rita.", ("coding", rita_coding.pk), "rita"),
        ("Sur le passage, par Sam.", ("coding", sam_coding.pk), sam.username),
        ("Le café comme prétexte.", ("coding", rita_coding.pk), "rita"),
        ("« Intervieweuse »\n\nSur un passage sans code.", "interview", "rita"),
    }
    attribute = Attribute.objects.get(project=project)
    assert (attribute.name, attribute.type) == ("Années", Attribute.Type.NUMBER)
    assert interview.attribute_values.get().value == 12


def _target(memo):
    if memo.coding_id:
        return ("coding", memo.coding_id)
    if memo.code_id:
        return ("code", memo.code_id)
    return "interview" if memo.interview_id else "project"


def counts():
    return [
        model.objects.count()
        for model in (Project, User, Interview, Code, Coding, Memo, Placeholder, Attribute)
    ]


def test_a_failure_half_way_stores_nothing():
    ada = make_user("ada")
    plan = plan_of(hand_made())
    extra = plans.SourcePlan(
        guid=G[25],
        interview=plans.services.InterviewPlan(name="x", format="qdpx", text="Autre.", title=" "),
        selections=[],
    )
    plan.sources.append(extra)  # an empty title: refused by interviews.services
    before = counts()
    with pytest.raises(ValidationError):
        store(plan, ada, {RITA: None, SAM: None})
    assert counts() == before


def test_the_preview_counts_what_the_file_holds():
    plan = plan_of(hand_made())
    shown = importing.preview(plan)
    assert shown.counts == {
        "users": 2,
        "codes": 2,
        "top_codes": 1,
        "depth": 2,
        "sources": 2,
        "interviews": 1,
        "selections": 3,
        "codings": 3,
        "variables": 1,
        "cases": 1,
        "notes": 6,
        "sets": 0,
    }
    kinds = {row.kind for row in shown.notices}
    assert {"duplicate_source", "line_endings", "nul_removed", "category"} <= kinds
    assert {"unknown_coder", "selection_without_coding"} <= kinds
    assert "Unicode" in shown.sources[0].unit or "Unicode" in importing.describe_alignment(
        plan.sources[0].alignment
    )


QDC = """<?xml version="1.0" encoding="utf-8"?>
<CodeBook xmlns="urn:QDA-XML:codebook:1:0" origin="QualCoder">
<Codes>
  <Code guid="{0}" name="voisinage COURTOIS" isCodable="true" color="#ABCDEF">
    <Description>Ignored: the code is already there.</Description>
    <Code guid="{1}" name="Au parc" isCodable="true"><Description>Sur un banc.

When not to use:
À l'intérieur.</Description></Code>
  </Code>
  <Code guid="{2}" name="Nouveau" isCodable="true"/>
</Codes></CodeBook>"""


def test_a_codebook_joins_the_codes_already_there():
    project = make_project()
    ada = make_user("ada", project, Membership.Role.ADMIN)
    existing = make_code(project, "Voisinage courtois")
    make_code(project, "Déjà là")
    plan = plan_of(QDC.format(*G[:3]).encode(), plans.CODEBOOK, "codes.qdc")
    assert importing.preview(plan, project).existing_codes == 1
    created = importing.store_codebook(plan, project=project, user=ada)
    assert created == 2
    existing.refresh_from_db()
    assert existing.description == "" and existing.color != "#abcdef"  # kept as it was
    child = Code.objects.get(project=project, parent=existing)
    assert (child.name, child.description, child.exclusion) == (
        "Au parc",
        "Sur un banc.",
        "À l'intérieur.",
    )
    new = Code.objects.get(project=project, name="Nouveau")
    assert new.parent is None and new.position > 0


def test_a_codebook_starts_a_project():
    ada = make_user("ada")
    plan = plan_of(QDC.format(*G[:3]).encode(), plans.CODEBOOK, "codes.qdc")
    project = importing.new_codebook_project(plan, name="Depuis un codebook", admin=ada)
    assert Code.objects.filter(project=project).count() == 3
    assert project.memberships.get().role == Membership.Role.ADMIN
