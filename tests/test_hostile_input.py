"""Every URL of the product, every parameter its views read, filled with hostile values by a project
admin: no answer is a 500, none shows another project's data, none echoes markup unescaped.

The parameters are found in the code, so a new view or parameter is fuzzed as soon as it exists:
the names that views read from GET/POST (`.get("q")`, `"remove" in request.POST`, the filter
helpers' `_ids("code")`…) in the view's module and the product modules it imports, and the fields
of every form of the product. EXTRA_PARAMETERS adds the names built at run time. Each request runs
in a savepoint rolled back after it, so every one starts from the same data.

docs/security.md lists what each kind of value does (the table of hostile inputs).
"""

import importlib
import inspect
import re
from functools import cache
from pathlib import Path

import pytest
from django import forms
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from agreement.models import ConsensusDecision
from analysis.models import SavedQuery
from coding import trash
from coding.models import (
    CodingEvent,
    CodingRound,
    DetachedCoding,
    Memo,
    ReviewEvent,
    TextChange,
)
from interviews.models import (
    Attribute,
    AttributeValue,
    ImportBatch,
    ImportFile,
    Membership,
    Pseudonym,
)
from jobs.models import Job
from tests.factories import (
    TRANSCRIPT,
    make_code,
    make_coding,
    make_interview,
    make_project,
    make_user,
)

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
PRODUCT = [
    "interviews",
    "coding",
    "excerpts",
    "review",
    "search",
    "exports",
    "operations",
    "verbatim",
]
SECRET = "SECRETOTHER"  # in every name and text of the other project: must never show

# name → raw (already percent-encoded) value, sent in query strings and urlencoded bodies as is.
HOSTILE = {
    "nul": "a%00b",
    "huge exponent": "1e200000",
    "negative": "-1",
    "past bigint": str(2**70),
    "long": "x" * 10_000,
    "lone surrogate": "%ED%A0%80",
    "path": "..%2F..%2F..%2Fetc%2Fpasswd",
    "markup": "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "empty": "",
    "bidi and zero width": "%E2%80%AE%E2%80%8B",
}
# Sent one parameter at a time too: numbers that an earlier check of another parameter could keep
# from a query (long texts matter where rows are written, through forms, which check all fields).
ALONE = ["huge exponent", "past bigint"]
# The htmx branch of a view renders other partials: fuzzed with these values too.
HTMX_TOO = ["huge exponent", "past bigint", "long", "markup"]
# Parameters whose names are made at run time (the import preview's per-file fields), by module.
EXTRA_PARAMETERS = {
    "interviews.import_views": [
        "type-0",
        "type-1",
        "{file}-title",
        "{file}-participant",
        "{file}-date",
        "{file}-s0-name",
        "{file}-s0-role",
        "{file}-v0",
        "{file}-v1",
    ],
}

KEY = r"""["']([a-z][a-z0-9_]*(?:-[a-z0-9_]+)*)["']"""
READS = [
    rf"\.(?:get|getlist|pop)\(\s*{KEY}",  # request.GET.get("q"), data.get("kind")
    rf"\b_\w+\(\s*(?:request,\s*)?{KEY}",  # helpers given the name: _param(request, "q"), _ids("code")
    rf"{KEY}\s+(?:not\s+)?in\s+(?:request\.)?(?:GET|POST|data|params)\b",
    rf"(?:GET|POST|data|params)\[\s*{KEY}\s*\]",
]


@cache
def _module_names(module_name: str) -> frozenset[str]:
    """Parameter names a product module reads, with the fields of the forms it defines or uses."""
    module = importlib.import_module(module_name)
    try:
        source = inspect.getsource(module)
    except (OSError, TypeError):  # a package without source of its own
        return frozenset()
    names = {name for pattern in READS for name in re.findall(pattern, source)}
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, forms.BaseForm):
            names |= set(value.base_fields)
    return frozenset(names)


def _product_imports(module_name: str) -> list[str]:
    try:
        source = inspect.getsource(importlib.import_module(module_name))
    except (OSError, TypeError):
        return []
    found = re.findall(r"^from ([a-z_.]+) import|^import ([a-z_.]+)", source, re.MULTILINE)
    modules = {a or b for a, b in found}
    return sorted(m for m in modules if m.split(".")[0] in PRODUCT)


def parameters(view) -> list[str]:
    module = inspect.unwrap(view).__module__
    names = set(_module_names(module)) | set(EXTRA_PARAMETERS.get(module, []))
    for imported in _product_imports(module):
        names |= _module_names(imported)
    return sorted(names)


def product_urls():
    """(name, pattern, view) of every URL but Django's admin (superusers only, Django's own)."""

    def walk(patterns, namespace=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace != "admin":
                    yield from walk(entry.url_patterns, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and entry.name:
                name = f"{namespace}:{entry.name}" if namespace else entry.name
                yield name, entry

    return sorted(walk(get_resolver().url_patterns), key=lambda item: item[0])


URLS = [name for name, _ in product_urls()]
PATTERNS = dict(product_urls())


@pytest.fixture
def world(db):
    """Ada's project with one of everything, and another project full of secrets."""
    project = make_project("Proximité")
    ada = make_user("ada", project, Membership.Role.ADMIN)
    rita = make_user("rita", project, Membership.Role.RESEARCHER)
    sam = make_user("sam", project, Membership.Role.SUPERVISOR)
    remi = make_user("remi", project, Membership.Role.RESEARCHER)
    interview = make_interview(project)
    parent = make_code(project, "Proximité")
    code = make_code(project, "Voisinage courtois", parent)
    coding = make_coding(interview, code, rita, 16, 40)
    make_coding(interview, parent, sam, 50, 60)
    ReviewEvent.objects.create(coding=coding, reviewer=sam, status="needs_change", comment="?")
    memo = Memo.objects.create(project=project, coding=coding, body="Une note", author=rita)
    Memo.objects.create(project=project, code=code, body="Sur le code", author=ada)
    entry = trash.delete(make_code(project, "Jeté"), rita)
    attribute = Attribute.objects.create(project=project, name="Années", type="number")
    AttributeValue.objects.create(interview=interview, attribute=attribute, number=5)
    rule = Pseudonym.objects.create(
        project=project, real_name="Martine Dupont", pseudonym="Martine"
    )
    change = TextChange.objects.create(coding=coding, version=2, old_text="avant", new_text="après")
    event = CodingEvent.objects.create(
        coding_id=coding.pk + 1000,
        project_id=project.pk,
        interview_id=interview.pk,
        actor=rita,
        action="delete",
    )
    detached = DetachedCoding.objects.create(
        interview=interview,
        coding_id=coding.pk + 1000,
        code=code,
        coder=rita,
        text="mots",
        start=0,
        end=4,
        version=2,
        event=event,
    )
    batch = ImportBatch.objects.create(project=project, created_by=ada)
    draft = ImportFile.objects.create(
        batch=batch, name="entretien.txt", format="txt", text=TRANSCRIPT
    )
    round_ = CodingRound.objects.create(project=project, name="Aveugle", created_by=sam)
    round_.coders.set([rita, remi])
    round_.interviews.set([interview])
    decision = ConsensusDecision.objects.create(
        project=project,
        interview=interview,
        code=code,
        start=16,
        end=40,
        choice="none",
        decided_by=sam,
    )
    saved = SavedQuery.objects.create(project=project, name="Voisinage", query=f"a={code.pk}")
    job = Job.objects.create(
        task="interviews.import", title="Import", project=project, created_by=ada
    )

    other = make_project(f"{SECRET} projet")
    olga = make_user("olga", other, Membership.Role.ADMIN)
    secret_interview = make_interview(other, TRANSCRIPT + f"\n\n{SECRET} : texte", f"{SECRET} 1")
    secret_code = make_code(other, f"{SECRET} code")
    secret_coding = make_coding(secret_interview, secret_code, olga, 0, 10)
    secret_memo = Memo.objects.create(project=other, code=secret_code, body=SECRET, author=olga)
    secret_attribute = Attribute.objects.create(project=other, name=f"{SECRET} attr")
    secret_entry = trash.delete(make_code(other, f"{SECRET} jeté"), olga)
    secret_round = CodingRound.objects.create(project=other, name=SECRET, created_by=olga)
    secret_job = Job.objects.create(
        task="interviews.import", title=SECRET, project=other, created_by=olga
    )
    return {
        "ada": ada,
        "path": {
            "project_id": project.pk,
            "interview_id": interview.pk,
            "code_id": code.pk,
            "coding_id": coding.pk,
            "memo_id": memo.pk,
            "membership_id": project.memberships.get(user=remi).pk,
            "entry_id": entry.pk,
            "round_id": round_.pk,
            "decision_id": decision.pk,
            "job_id": job.pk,
            "query_id": saved.pk,
            "rule_id": rule.pk,
            "change_id": change.pk,
            "detached_id": detached.pk,
            "start": 16,
            "end": 40,
            "number": 1,
        },
        "file": f"f{draft.pk}",
        "other_ids": [
            str(pk)
            for pk in (
                other.pk,
                olga.pk,
                secret_interview.pk,
                secret_code.pk,
                secret_coding.pk,
                secret_memo.pk,
                secret_attribute.pk,
                secret_entry.pk,
                secret_round.pk,
                secret_job.pk,
            )
        ],
    }


def _url(name: str, pattern: URLPattern, path_values: dict) -> str:
    kwargs = {key: path_values[key] for key in pattern.pattern.converters}
    return reverse(name, kwargs=kwargs)


def _encoded(pairs) -> str:
    return "&".join(f"{name}={value}" for name, value in pairs)


def _send(client, method, url, pairs, htmx=False):
    """One request, in a savepoint rolled back after it; the answer's status and text."""
    headers = {"HX-Request": "true"} if htmx else {}
    with transaction.atomic():
        if method == "GET":
            target = f"{url}?{_encoded(pairs)}" if pairs else url
            response = client.get(target, headers=headers)
        else:
            response = client.post(
                url,
                _encoded(pairs),
                content_type="application/x-www-form-urlencoded",
                headers=headers,
            )
        body = b"".join(response.streaming_content) if response.streaming else response.content
        transaction.set_rollback(True)
    return response, body.decode(errors="replace")


@pytest.mark.parametrize("name", URLS)
def test_hostile_parameters_never_get_a_500_nor_another_projects_data(name, world):
    pattern = PATTERNS[name]
    url = _url(name, pattern, world["path"])
    names = [n.replace("{file}", world["file"]) for n in parameters(pattern.callback)]
    client = Client(raise_request_exception=False)
    client.force_login(world["ada"])
    failures = []

    def check(method, pairs, label, htmx=False):
        if name in ("login", "logout"):  # which end the session
            client.force_login(world["ada"])
        response, body = _send(client, method, url, pairs, htmx)
        problem = None
        if response.status_code >= 500:
            problem = f"answered {response.status_code}"
        elif SECRET in body:
            problem = "showed another project's data"
        elif "<script>alert(1)" in body and "html" in response.get("Content-Type", ""):
            problem = "echoed markup unescaped"
        if problem:
            failures.append(f"{method} {url} {label}{' (htmx)' if htmx else ''}: {problem}")
        return response.status_code

    allowed = [m for m in ("GET", "POST") if check(m, [], "without parameters") != 405]
    for method in allowed:
        for label, value in HOSTILE.items():
            every = [(n, value) for n in names]
            check(method, every, f"every parameter = {label}")
            if label in HTMX_TOO:
                check(method, every, f"every parameter = {label}", htmx=True)
        others = [(n, pk) for n in names for pk in world["other_ids"]]
        check(method, others, "every parameter = another project's ids")
        for parameter in names:
            for label in ALONE:
                check(method, [(parameter, HOSTILE[label])], f"{parameter} = {label}")

    assert not failures, "\n".join(failures)


def test_the_parameters_are_found_in_the_code():
    """The collection works: known parameters of a few views are in their lists."""
    found = {name: set(parameters(PATTERNS[name].callback)) for name in URLS}
    assert {"q"} <= found["search:search"]
    assert {"start", "end", "code", "new_code", "since"} <= found["coding:apply-code"]
    assert {"code", "coder", "interview", "status", "page"} <= found["excerpts:list"]
    assert {"name", "color", "parent"} <= found["coding:code-create"]
    assert {"remove", "role"} <= found["interviews:member-update"]
    assert len(URLS) >= 50


def test_a_nul_character_anywhere_in_a_form_or_query_is_a_400_that_says_why(client, world):
    client.force_login(world["ada"])
    project = world["path"]["project_id"]
    for response in (
        client.get(f"/projects/{project}/search/?q=caf%00e", headers={"Accept-Language": "en"}),
        client.post(
            f"/projects/{project}/memos/",
            "body=une%00note",
            content_type="application/x-www-form-urlencoded",
            headers={"Accept-Language": "en"},
        ),
    ):
        assert response.status_code == 400
        assert "contains a NUL character" in response.content.decode()
    assert not Memo.objects.filter(body__startswith="une").exists()
