"""The co-occurrence page's cached rows (analysis.queries.additive_rows): after every kind of
change the page shows the new counts, counting again only the interviews that changed, and people
who may see different codings never share them."""

import csv
import io
from dataclasses import astuple

import pytest
from django.core.cache import caches
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from analysis import queries
from analysis.models import CacheEntry
from coding import actions, trash
from coding.models import Code, Coding, CodingEvent, CodingRound, TrashedCode
from corrections import services as corrections
from excerpts.filters import read_filters
from interviews.models import Membership, Speaker
from review import workflow
from tests.analysis import brute
from tests.factories import TRANSCRIPT, make_coding, make_interview, make_user


@pytest.fixture
def remi(project):
    return make_user("remi", project, Membership.Role.RESEARCHER)


@pytest.fixture
def study(project, scene, rita, sam):
    """The scene (rita's codings A, B, C, D in one interview), sam's B over rita's first A, and a
    second interview where rita's A and B overlap."""
    interview, codes, codings = scene
    make_coding(interview, codes["B"], sam, codings[0].start, codings[0].end)
    second = make_interview(project, f"{TRANSCRIPT} (2)", "Entretien 2")
    make_coding(second, codes["A"], rita, 10, 40)
    make_coding(second, codes["B"], rita, 30, 60)
    return {"interview": interview, "second": second, "codes": codes, "codings": codings}


def shown(client, project, query: str = "") -> dict:
    """The page's table as its download gives it (one row per pair of codes)."""
    response = client.get(f"/projects/{project.pk}/analysis/cooccurrence/?format=csv&{query}")
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return {
        frozenset(row[:2]): (
            int(row[2]),
            int(row[3]),
            int(row[4]),
            frozenset(((row[0], int(row[7])), (row[1], int(row[8])))),
        )
        for row in list(csv.reader(io.StringIO(text)))[1:]
    }


def counted(project, visible=lambda row: True) -> dict:
    """The same table counted in Python (tests/analysis/brute.py) over the codings `visible`
    keeps of (id, interview, code, coder, start, end)."""
    filters = read_filters(project, {})
    groups = {pk: {pk} for pk in filters.codes}
    cells, totals = brute.cooccurrence(brute.codings_of(project, visible), groups)
    return brute.table(cells, totals, filters.paths)


def computed_afresh(client, project, query: str = "") -> dict:
    caches[queries.CACHE].clear()
    return shown(client, project, query)


def statements(client, project) -> list[str]:
    """The co-occurrence statements a visit runs (none when its rows come from the cache)."""
    with CaptureQueriesContext(connection) as captured:
        shown(client, project)
    return [q["sql"] for q in captured.captured_queries if "count(DISTINCT p.a)" in q["sql"]]


def test_a_second_visit_reads_the_rows_from_the_cache(client, project, study, rita):
    client.force_login(rita)
    assert len(statements(client, project)) == 1
    assert CacheEntry.objects.exists()
    assert statements(client, project) == []
    assert shown(client, project) == counted(project)


def test_after_a_change_only_its_interview_is_counted_again(client, project, study, rita, sam):
    client.force_login(rita)
    (first,) = statements(client, project)  # the whole project, per interview
    assert 'interview_id" IN' not in first
    _apply(study, rita, sam)  # in the first interview only
    (again,) = statements(client, project)
    assert f'"coding_coding"."interview_id" IN ({study["interview"].pk})' in again
    assert shown(client, project) == counted(project)


def test_an_entry_the_cache_dropped_is_computed_again(client, project, study, rita, sam):
    client.force_login(rita)
    shown(client, project)
    _apply(study, rita, sam)
    CacheEntry.objects.filter(cache_key__contains="cooccurrence-parts").delete()  # culled
    (again,) = statements(client, project)
    assert 'interview_id" IN' not in again  # every interview, there being no parts to amend
    _remove(study, rita, sam)
    CacheEntry.objects.exclude(cache_key__contains="-parts").delete()  # the sums alone
    assert shown(client, project) == counted(project)


def test_a_part_the_cache_dropped_has_everything_counted_again(client, project, study, rita, sam):
    """The parts' rows lie in several entries by interview: without the one a changed interview's
    rows are in, its old rows cannot be taken away, and every interview is counted again."""
    client.force_login(rita)
    shown(client, project)
    buckets = CacheEntry.objects.filter(cache_key__regex=r"cooccurrence-parts:.*:[0-9]+$")
    assert buckets.count() == 2  # the two interviews' (their ids are consecutive)
    _apply(study, rita, sam)
    bucket = f":{study['interview'].pk % queries.PART_BUCKETS}"
    buckets.filter(cache_key__endswith=bucket).delete()
    (again,) = statements(client, project)
    assert 'interview_id" IN' not in again
    assert shown(client, project) == counted(project)


def test_a_change_numbered_before_the_latest_event_still_changes_the_counts(
    client, project, study, rita, sam
):
    """An event committed after another with a higher id (two writers): the latest id stays."""
    client.force_login(rita)
    interview = study["interview"]
    with connection.cursor() as cursor:  # an event far ahead of the sequence, as if committed first
        cursor.execute(
            "INSERT INTO coding_codingevent (id, coding_id, project_id, interview_id, action, at)"
            " SELECT (SELECT max(id) FROM coding_codingevent) + 1000, coding_id, project_id,"
            " interview_id, action, at FROM coding_codingevent WHERE interview_id = %s LIMIT 1",
            [interview.pk],
        )
    before = shown(client, project)
    events = CodingEvent.objects.filter(interview_id=interview.pk).order_by("-id")
    top = events.values_list("id", flat=True).first()
    _apply(study, rita, sam)  # its event is numbered below that one
    assert events.values_list("id", flat=True).first() == top
    after = shown(client, project)
    assert after != before and after == counted(project)


def _apply(study, rita, sam):
    passage = study["codings"][0]  # rita's A "Je m'assois"
    actions.apply_code(
        study["interview"],
        rita,
        code_id=study["codes"]["D"].pk,
        new_code="",
        start=passage.start,
        end=passage.end,
    )


def _remove(study, rita, sam):
    actions.remove_coding(study["codings"][1], rita)  # B over A's "m'assois"


def _trash(study, rita, sam):
    trash.delete(study["codes"]["C"], sam)


def _merge(study, rita, sam):
    trash.merge(study["codes"]["C"], study["codes"]["B"], sam)


def _restore(study, rita, sam):
    trash.restore(TrashedCode.objects.get(code_id=study["codes"]["C"].pk), sam)


def _rename(study, rita, sam):
    Code.objects.filter(pk=study["codes"]["A"].pk).update(name="Code A, renamed")


def _delete_interview(study, rita, sam):
    study["second"].delete()


def _change_code(study, rita, sam):
    actions.change(study["codings"][6], sam, code=study["codes"]["D"], start=None, end=None)


CHANGES = {
    "apply a code": _apply,
    "remove a coding": _remove,
    "trash a code": _trash,
    "merge codes": _merge,
    "delete an interview": _delete_interview,
    "change a coding's code": _change_code,
}


@pytest.mark.parametrize("change", CHANGES)
def test_after_each_change_the_page_shows_the_new_counts(client, project, study, rita, sam, change):
    client.force_login(rita)
    before = shown(client, project)
    assert before == counted(project) and CacheEntry.objects.exists()
    CHANGES[change](study, rita, sam)
    after = shown(client, project)
    assert after != before  # each change alters the table
    assert after == counted(project)


def test_a_restored_code_comes_back_in_the_counts(client, project, study, rita, sam):
    client.force_login(rita)
    with_c = shown(client, project)
    _trash(study, rita, sam)
    assert shown(client, project) != with_c
    _restore(study, rita, sam)
    assert shown(client, project) == with_c == counted(project)


def test_a_renamed_code_is_named_anew_and_a_moved_one_rolls_up(client, project, study, rita):
    client.force_login(rita)
    codes = study["codes"]
    shown(client, project)
    _rename(study, rita, None)
    assert any("Code A, renamed" in pair for pair in shown(client, project))
    rolled = shown(client, project, "subcodes=1")
    Code.objects.filter(pk=codes["C"].pk).update(parent=codes["A"])  # C under A: not A's pair
    moved = shown(client, project, "subcodes=1")
    assert moved != rolled
    assert moved == computed_afresh(client, project, "subcodes=1")


def test_a_correction_that_splits_a_paragraph_changes_the_paragraph_counts(
    client, project, study, rita
):
    """A line break in place of a space: no coding moves (no audit event), the text version does."""
    client.force_login(rita)
    interview = study["interview"]
    b, c = "Code B", "Code C"
    before = shown(client, project, "near=paragraph")
    assert frozenset((b, c)) in before  # "Là je peux" and C's "proposer…", one paragraph
    space = TRANSCRIPT.index(" proposer")
    corrections.correct(
        interview,
        rita,
        None,
        edits=[(space, space + 1, "\n")],
        expected_version=interview.text_version,
    )
    after = shown(client, project, "near=paragraph")
    assert frozenset((b, c)) not in after
    assert after == computed_afresh(client, project, "near=paragraph")


def test_a_speaker_filter_follows_the_speakers_roles(client, project, study, rita):
    client.force_login(rita)
    before = shown(client, project, "speaker=participant")
    assert before  # Martine's words
    study["interview"].speakers.filter(label="Martine").update(role=Speaker.Role.OTHER)
    after = shown(client, project, "speaker=participant")
    assert after != before
    assert after == computed_afresh(client, project, "speaker=participant")


def test_a_round_opened_for_a_blind_coder_hides_the_others_codings(
    client, project, study, rita, sam
):
    client.force_login(rita)
    assert shown(client, project) == counted(project)
    blind = _open_round(study, [rita], sam)
    assert shown(client, project) == counted(project, _sees(rita, blind))
    assert shown(client, project) != counted(project)


def test_people_who_see_different_codings_never_share_cells(
    client, project, study, rita, remi, sam
):
    blind = _open_round(study, [rita, remi], sam)
    first = study["codings"][0]
    make_coding(blind, study["codes"]["C"], remi, first.start, first.end)  # over rita's A
    tables = {}
    for user in (sam, rita, remi, sam):  # sam's rows are in the cache before the others ask
        client.force_login(user)
        tables[user.username] = shown(client, project)
    assert tables["sam"] == counted(project)
    assert tables["rita"] == counted(project, _sees(rita, blind))
    assert tables["remi"] == counted(project, _sees(remi, blind))
    assert len({frozenset(table.items()) for table in tables.values()}) == 3


def _open_round(study, coders, sam):
    interview = study["interview"]
    round_ = CodingRound.objects.create(project=interview.project, name="Aveugle", created_by=sam)
    round_.coders.set(coders)
    round_.interviews.set([interview])
    return interview


def _sees(user, blind):
    return lambda row: row[1] != blind.pk or row[3] == user.pk


# --- The code × speaker table, kept the same way ---------------------------------------------


def speaker_table(project, user, rule: str = "participant") -> dict:
    """analysis.queries.speakers as `user` asks for it, each code its own group."""
    member = Membership.objects.select_related("project", "user").get(project=project, user=user)
    filters = read_filters(project, {}, member=member)
    return queries.speakers(filters, {pk: {pk} for pk in filters.codes}, rule)


def speaker_statements(project, user, rule: str = "participant") -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        speaker_table(project, user, rule)
    return [q["sql"] for q in captured.captured_queries if "bool_or(r.role" in q["sql"]]


def _make_martine_other(study, rita, sam):
    study["interview"].speakers.filter(label="Martine").update(role=Speaker.Role.OTHER)


def _question_with_its_answer(study, rita, sam):
    start = TRANSCRIPT.index("Et quand il vous parle")
    end = TRANSCRIPT.index("Là je peux") + len("Là je peux")
    make_coding(study["interview"], study["codes"]["C"], sam, start, end)


def _move_a_turn_boundary(study, rita, sam):
    """A correction that joins the interviewer's question to the answer before it: the turns
    change with the text, the codings over them are re-anchored."""
    interview = study["interview"]
    at = TRANSCRIPT.index("Intervieweuse")
    corrections.correct(
        interview, rita, None, edits=[(at, at, "(fin) ")], expected_version=interview.text_version
    )


SPEAKER_CHANGES = {
    **{name: change for name, change in CHANGES.items() if name != "change a coding's code"},
    "a speaker's role": _make_martine_other,
    "a question coded with its answer": _question_with_its_answer,
}


@pytest.mark.parametrize("rule", ["participant", "every"])
@pytest.mark.parametrize("change", SPEAKER_CHANGES)
def test_the_speaker_table_follows_each_change(project, study, rita, sam, change, rule):
    before = speaker_table(project, sam, rule)
    assert before == brute.speakers(brute.codings_of(project), rule)
    assert speaker_statements(project, sam, rule) == []  # read back from the cache
    SPEAKER_CHANGES[change](study, rita, sam)
    after = speaker_table(project, sam, rule)
    assert after != before
    assert after == brute.speakers(brute.codings_of(project), rule)


def test_after_a_change_the_speaker_table_counts_only_its_interview_again(
    project, study, rita, sam
):
    (first,) = speaker_statements(project, sam)
    assert 'interview_id" IN' not in first
    _question_with_its_answer(study, rita, sam)
    (again,) = speaker_statements(project, sam)
    assert f'"coding_coding"."interview_id" IN ({study["interview"].pk})' in again
    every = speaker_table(project, sam, "every")  # another rule, another statement
    assert every == brute.speakers(brute.codings_of(project), "every")
    assert every != speaker_table(project, sam)


def test_a_correction_keeps_the_speaker_table_true(project, study, rita, sam):
    _question_with_its_answer(study, rita, sam)
    speaker_table(project, sam, "every")
    _move_a_turn_boundary(study, rita, sam)
    assert speaker_table(project, sam, "every") == brute.speakers(
        brute.codings_of(project), "every"
    )


def test_a_blind_coder_counts_only_their_own_speakers(project, study, rita, remi, sam):
    blind = _open_round(study, [rita, remi], sam)
    first = study["codings"][0]
    make_coding(blind, study["codes"]["C"], remi, first.start, first.end)
    tables = {user.username: speaker_table(project, user) for user in (sam, rita, remi, sam)}
    assert tables["sam"] == brute.speakers(brute.codings_of(project), "participant")
    for user in (rita, remi):
        seen = brute.codings_of(project, _sees(user, blind))
        assert tables[user.username] == brute.speakers(seen, "participant")
    assert len({frozenset(table.items()) for table in tables.values()}) == 3


# --- Tables kept whole under every interview's stamp (kept_rows) ------------------------------


def frequency_table(project, user) -> dict:
    filters = read_filters(project, {}, member=_member(project, user))
    found = queries.frequencies(filters, {pk: {pk} for pk in filters.codes})
    return {grp: astuple(counted) for grp, counted in found.items()}


def progress_table(project, user) -> dict:
    filters = read_filters(project, {}, member=_member(project, user))
    return queries.progress(filters, {pk: {pk} for pk in filters.codes})


def _member(project, user):
    return Membership.objects.select_related("project", "user").get(project=project, user=user)


def _sams_last_b(study, rita, sam):
    Coding.objects.get(coder=sam, code=study["codes"]["B"]).delete()  # B's coders: 2, then 1


def _approve(study, rita, sam):
    workflow.approve(study["codings"][2], _member(study["interview"].project, sam))


KEPT_TABLES = {"frequencies": frequency_table, "progress": progress_table}
KEPT_CHANGES = {**CHANGES, "the last of a coder's codings": _sams_last_b, "a review": _approve}
# What a table does not count: the frequencies, review states; the progress, which code a passage
# has (it counts per interview and coder).
UNCOUNTED = {
    "frequencies": {"a review"},
    "progress": {"merge codes", "change a coding's code"},
}


@pytest.mark.parametrize("table", KEPT_TABLES)
@pytest.mark.parametrize("change", KEPT_CHANGES)
def test_a_kept_table_follows_each_change(project, study, rita, sam, table, change):
    count = KEPT_TABLES[table]
    before = count(project, sam)
    with CaptureQueriesContext(connection) as captured:
        assert count(project, sam) == before
    assert not [q for q in captured.captured_queries if "WITH v AS" in q["sql"]]  # kept
    KEPT_CHANGES[change](study, rita, sam)
    after = count(project, sam)
    caches[queries.CACHE].clear()
    assert after == count(project, sam)
    if change not in UNCOUNTED[table]:
        assert after != before


def test_the_crosstab_follows_a_participants_attribute(project, study, rita, sam):
    """The crosstab reads the attribute values, which no coding event stamps: their own stamp."""
    from analysis.views import _bands
    from interviews.models import Attribute, AttributeValue

    years = Attribute.objects.create(project=project, name="Années", type=Attribute.Type.NUMBER)
    value = AttributeValue.objects.create(interview=study["interview"], attribute=years, number=12)
    filters = read_filters(project, {}, member=_member(project, sam))
    columns, sql, params = _bands(years, "5, 10", project.pk)
    groups = {pk: {pk} for pk in filters.codes}
    before = queries.crosstab(filters, groups, years, sql, params)
    assert queries.crosstab(filters, groups, years, sql, params) == before
    value.number = 3
    value.save()
    after = queries.crosstab(filters, groups, years, sql, params)
    a = study["codes"]["A"].pk
    assert (a, "2") in before and (a, "2") not in after and (a, "0") in after
    caches[queries.CACHE].clear()
    assert after == queries.crosstab(filters, groups, years, sql, params)


def test_an_amendment_caught_in_a_deadlock_is_made_again(
    client, project, study, rita, sam, monkeypatch
):
    """A cull of the cache can deadlock with an amendment (PostgreSQL aborts one of the two):
    the amendment runs once more, and the page shows the counts; any other error is raised."""
    client.force_login(rita)
    shown(client, project)
    _apply(study, rita, sam)
    amended, failures = queries._amended, ["40P01"]

    def deadlocked_once(*args):
        if failures:
            cause = type("Cause", (Exception,), {"sqlstate": failures.pop()})()
            raise OperationalError("deadlock detected") from cause
        return amended(*args)

    monkeypatch.setattr(queries, "_amended", deadlocked_once)
    assert shown(client, project) == counted(project) and not failures
    _remove(study, rita, sam)
    failures.append("57P01")  # admin_shutdown: not a deadlock
    with pytest.raises(OperationalError):
        shown(client, project)
