"""Blind rounds, URL by URL: while a round is open, a researcher who codes in it cannot read another
coder's codings on its interviews by any URL of the project (coding/visibility.py); once it closes,
the same URLs show them again.

Every URL naming a project is tried (the resolver is walked, as tests/test_permissions.py does),
with query strings and ids that point straight at the other coder's coding and memo, as a page,
as an htmx fragment and as a POST. Remi's coding and memo carry ids and a body found nowhere else,
so that "not in the response" means "not revealed"; downloads are unzipped before looking.
"""

import io
import re
import zipfile
from html import escape

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from agreement.models import ConsensusDecision
from analysis.models import SavedQuery
from coding.models import Coding, CodingEvent, CodingRound, DetachedCoding, Memo, TextChange
from coding.visibility import visible_codings
from interviews.models import Membership, Pseudonym
from tests.factories import make_coding, make_user

pytestmark = pytest.mark.django_db

HIDDEN_CODING = 987_654_321
HIDDEN_MEMO = 987_654_322
SECRET = "MEMO-DE-REMI-QUI-NE-DOIT-PAS-FUIR"


def project_urls():
    """Every URL of the product that names a project, with its parameters."""

    def walk(patterns, prefix=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace and entry.namespace != "admin":
                    yield from walk(entry.url_patterns, f"{entry.namespace}:")
            elif isinstance(entry, URLPattern) and "project_id" in entry.pattern.converters:
                yield prefix + entry.name, tuple(entry.pattern.converters)

    return sorted(set(walk(get_resolver().url_patterns)))


@pytest.fixture
def blind(project, rita, remi, sam, study):
    """An open round of rita and remi on the first interview; remi has coded it and written a
    memo on his coding; rita coded it too."""
    one = study["interviews"][0]
    code = study["codes"][0]
    hidden = Coding.objects.create(
        pk=HIDDEN_CODING, interview=one, code=code, coder=remi, start=100, end=130
    )
    Memo.objects.create(pk=HIDDEN_MEMO, project=project, coding=hidden, author=remi, body=SECRET)
    make_coding(one, code, rita, 16, 60)
    # What corrections of the text (before the round) left of remi's work to check.
    change = TextChange.objects.create(coding=hidden, version=2, old_text=SECRET, new_text="x")
    event = CodingEvent.objects.create(
        coding_id=HIDDEN_CODING + 1,
        project_id=project.pk,
        interview_id=one.pk,
        actor=remi,
        action="delete",
    )
    detached = DetachedCoding.objects.create(
        interview=one,
        coding_id=HIDDEN_CODING + 1,
        code=code,
        coder=remi,
        text=SECRET,
        start=0,
        end=10,
        version=2,
        event=event,
    )
    rule = Pseudonym.objects.create(project=project, real_name="Martine", pseudonym="Sophie")
    round_ = CodingRound.objects.create(project=project, name="Aveugle", created_by=sam)
    round_.coders.set([rita, remi])
    round_.interviews.set([one])
    decision = ConsensusDecision.objects.create(
        project=project, interview=one, code=code, start=100, end=130, choice="none", decided_by=sam
    )
    query = SavedQuery.objects.create(
        project=project, name="Voisinage", query=f"a={code.pk}&coder={remi.pk}", created_by=remi
    )
    return {
        "change": change,
        "detached": detached,
        "rule": rule,
        "query": query,
        "interview": one,
        "code": code,
        "round": round_,
        "decision": decision,
        "membership": Membership.objects.get(project=project, user=remi),
    }


MISSING = 987654321  # an id nothing has: the answer must still reveal nothing


def _urls(project, blind, remi, rita):
    values = {
        "project_id": project.pk,
        "interview_id": blind["interview"].pk,
        "coding_id": HIDDEN_CODING,
        "code_id": blind["code"].pk,
        "memo_id": HIDDEN_MEMO,
        "membership_id": blind["membership"].pk,
        "round_id": blind["round"].pk,
        "decision_id": blind["decision"].pk,
        "entry_id": MISSING,  # the trash holds nothing of the round (and researchers see their own)
        "query_id": blind["query"].pk,
        "change_id": blind["change"].pk,
        "detached_id": blind["detached"].pk,
        "rule_id": blind["rule"].pk,
        "start": 0,
        "end": 10,
        "number": 1,
    }
    queries = [
        "",
        f"?coders={remi.pk}&since=0&ids={HIDDEN_CODING}",
        f"?coding={HIDDEN_CODING}",
        f"?coder={remi.pk}&code={blind['code'].pk}",
        f"?interview={blind['interview'].pk}&coders=all",
        f"?format=xlsx&coder={remi.pk}",
        "?format=docx&status=all",
        f"?round={blind['round'].pk}&coder={rita.pk}&coder={remi.pk}&interview={blind['interview'].pk}",
        f"?code={blind['code'].pk}&match=all&coder={remi.pk}&code={blind['code'].pk}",
    ]
    for name, params in project_urls():
        url = reverse(name, kwargs={p: values[p] for p in params})
        for query in queries:
            yield name, url + query


def _text(response, url: str = "") -> str:
    """Everything the response says, downloads unzipped (xlsx, docx), but for echoes of the
    address asked (the language switcher's `next`, download links): the asker's own ids reveal
    nothing."""
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return " ".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    text = body.decode("utf-8", "replace")
    # The address, and its query string alone (a page's download links repeat it).
    for echo in (url, url[url.find("?") :] if "?" in url else url) if url else ():
        text = text.replace(escape(echo), "").replace(echo, "")
    return text


def _reveals(text: str) -> bool:
    return str(HIDDEN_CODING) in text or str(HIDDEN_MEMO) in text or SECRET in text


# Editing the codebook may delete or merge a code with everyone's codings (researchers edit the
# codebook): those answers are tried with GET only, so that the walk keeps remi's coding to find.
DESTROYING = {"coding:code-delete", "coding:code-merge"}
POST_DATA = {"code": "", "start": "100", "end": "130", "since": "0", "coders": "all", "body": "x"}


def test_every_url_is_walked(blind):
    names = {name for name, _params in project_urls()}
    for expected in (
        "coding:workspace",
        "coding:inspect-codings",
        "coding:changes",
        "coding:memo-panel",
        "coding:memo",
        "excerpts:list",
        "excerpts:matrix",
        "review:history",
        "exports:excerpts",
        "exports:code-report",
        "search:search",
        "agreement:compare",
        "agreement:figures",
    ):
        assert expected in names


def test_a_blind_coder_reads_no_other_coding_by_any_url(client, project, rita, remi, sam, blind):
    # The supervisor sees remi's work on the very same URLs: the walk reaches where it shows.
    client.force_login(sam)
    shown_to_sam = {
        url
        for _name, url in _urls(project, blind, remi, rita)
        if _reveals(_text(client.get(url), url))
    }
    for where in ("/interviews/", "/excerpts/", "/memos/", "/review/", "/excerpts/export/"):
        assert any(where in url for url in shown_to_sam), where

    client.force_login(rita)
    for _name, url in _urls(project, blind, remi, rita):
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(url, headers=headers)
            assert response.status_code < 500, url
            assert not _reveals(_text(response, url)), f"GET {url} {headers}"
    for name, url in _urls(project, blind, remi, rita):
        if name in DESTROYING:
            continue
        response = client.post(url, POST_DATA, headers={"HX-Request": "true"})
        assert response.status_code < 500, url
        assert not _reveals(_text(response, url)), f"POST {url}"
        # Still there to be revealed by the next URL: no POST of hers touched remi's work.
        assert Coding.objects.filter(pk=HIDDEN_CODING, start=100, end=130).exists(), url
        assert Memo.objects.filter(pk=HIDDEN_MEMO, body=SECRET).exists(), url


def test_the_workspace_hides_the_other_coder_everywhere_it_counts(
    client, project, rita, remi, blind
):
    interview, code = blind["interview"], blind["code"]
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/interviews/{interview.pk}/").content.decode()
    assert len(re.findall(r'data-codings="', page)) == 1  # her own coding, not remi's
    assert "Tour de codage à l'aveugle" in page
    # Not offered as "codings by remi", nor as a coder to filter by (a code may share his id).
    assert not re.search(rf'<option value="{remi.pk}"[^>]*>[^<]*remi', page)
    assert re.search(rf'<option value="{rita.pk}"[^>]*>[^<]*rita', page)  # the check can fail
    tree = client.get(f"/projects/{project.pk}/codebook/?interview={interview.pk}").content.decode()
    assert re.search(rf'id="code-count-{code.pk}"[^>]*>\s*1 / 1\s*<', tree)


def test_codings_show_again_once_the_round_is_closed(client, project, rita, remi, sam, blind):
    interview = blind["interview"]
    pages = [
        f"/projects/{project.pk}/interviews/{interview.pk}/",
        f"/projects/{project.pk}/interviews/{interview.pk}/codings/inspect/?ids={HIDDEN_CODING}",
        f"/projects/{project.pk}/excerpts/?coder={remi.pk}",
        f"/projects/{project.pk}/excerpts/export/?format=csv&coder={remi.pk}",
        f"/projects/{project.pk}/memos/",
        f"/projects/{project.pk}/memos/panel/?coding={HIDDEN_CODING}",
        f"/projects/{project.pk}/review/{HIDDEN_CODING}/history/",
    ]
    client.force_login(rita)
    assert not any(_reveals(_text(client.get(url), url)) for url in pages)
    client.force_login(sam)
    client.post(f"/projects/{project.pk}/agreement/rounds/{blind['round'].pk}/close/")
    client.force_login(rita)
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert _reveals(_text(response, url)), url


def test_other_interviews_and_other_members_see_as_before(
    project, rita, remi, sam, ada, study, blind
):
    seen = visible_codings(Membership.objects.get(project=project, user=rita))
    assert seen.blind == {blind["interview"].pk}
    assert seen.shows(study["interviews"][1].pk, remi.pk)  # not in the round
    assert seen.shows(blind["interview"].pk, rita.pk)  # her own
    assert not seen.shows(blind["interview"].pk, remi.pk)
    for member in (sam, ada):  # supervisors and admins see everything
        assert visible_codings(Membership.objects.get(project=project, user=member)).everything
    # A researcher who does not code in the round sees its codings as before.
    rose = make_user("rose", project, Membership.Role.RESEARCHER)
    assert visible_codings(Membership.objects.get(project=project, user=rose)).everything


def test_the_project_page_counts_only_the_blind_coders_own_codings_in_the_round(
    client, project, rita, sam, blind
):
    client.force_login(rita)
    shown = {i.pk: i for i in client.get(f"/projects/{project.pk}/").context["page"]}
    one = shown[blind["interview"].pk]
    assert one.coding_count == one.my_coding_count  # remi's codings are not counted
    client.force_login(sam)
    shown = {i.pk: i for i in client.get(f"/projects/{project.pk}/").context["page"]}
    assert shown[blind["interview"].pk].coding_count > 1
