"""Each code's count of codings per interview (coding.CodeCount) and in all (coding.CodeTotal),
kept by triggers (migrations coding 0022, 0023) through every way a coding is written, and the
counts read from them: the codebook's tree and its recounts after each action, and the excerpts of
codes alone."""

import pytest
from django.db import connection
from django.db.models import Count
from django.http import QueryDict

from coding import actions, codebook, counts, workspace
from coding.models import Code, CodeCount, CoderCount, CodeTotal, Coding
from coding.visibility import EVERYTHING, visible_codings
from excerpts import queries
from excerpts.filters import read_filters
from interviews.models import Interview, Membership
from tests.factories import insert_coding_sql, make_code, make_coding, make_interview

pytestmark = pytest.mark.django_db


def kept() -> dict[tuple[int, int], int]:
    """The counts the triggers kept, (code, interview) pairs at zero left out; on the way, each
    code's total checked against the sum of its counts, and the coders' counts per interview
    (coding.CoderCount, migration 0024) against their codings."""
    counts = {(r.code_id, r.interview_id): r.codings for r in CodeCount.objects.all() if r.codings}
    sums: dict[int, int] = {}
    for (code_id, _interview_id), codings in counts.items():
        sums[code_id] = sums.get(code_id, 0) + codings
    assert {r.code_id: r.codings for r in CodeTotal.objects.all() if r.codings} == sums
    by_coder = Coding.objects.values("interview_id", "coder_id").annotate(n=Count("id"))
    assert {
        (r.interview_id, r.coder_id): r.codings for r in CoderCount.objects.all() if r.codings
    } == {(row["interview_id"], row["coder_id"]): row["n"] for row in by_coder}
    return counts


def counted() -> dict[tuple[int, int], int]:
    """The same counted from the codings themselves."""
    rows = Coding.objects.values("code_id", "interview_id").annotate(n=Count("id"))
    return {(row["code_id"], row["interview_id"]): row["n"] for row in rows}


def test_the_counts_follow_every_kind_of_write(project, interview, code, rita, sam):
    other = make_interview(project, interview.text + " Fin.", title="Entretien 2")
    second = make_code(project, "Suggestion légitime")
    codings = [make_coding(interview, code, rita, i * 3, i * 3 + 2) for i in range(6)]
    codings += [make_coding(other, second, rita, i * 3, i * 3 + 2) for i in range(3)]
    assert kept() == counted() == {(code.pk, interview.pk): 6, (second.pk, other.pk): 3}

    # Another code, another interview, both at once; a bulk move; one deleted; plain SQL.
    Coding.objects.filter(pk=codings[0].pk).update(code=second)
    Coding.objects.filter(pk=codings[1].pk).update(interview=other)
    Coding.objects.filter(pk=codings[2].pk).update(code=second, interview=other)
    Coding.objects.filter(pk__in=[c.pk for c in codings[6:8]]).update(code=code)
    codings[3].delete()
    insert_coding_sql(other, code, rita, 40, 44)
    Coding.objects.filter(pk=codings[6].pk).update(coder=sam)  # given to another coder
    # Saved again unchanged, and words changed: no count moves.
    codings[4].save()
    Coding.objects.filter(pk=codings[5].pk).update(end=codings[5].end + 1)
    assert kept() == counted()
    assert counted() == {
        (code.pk, interview.pk): 2,
        (second.pk, interview.pk): 1,
        (code.pk, other.pk): 4,
        (second.pk, other.pk): 2,
    }


def test_applying_merging_and_deleting_codes_and_interviews_keep_them(
    project, interview, code, rita
):
    # The workspace's apply (coding_apply, coding/migrations 0010): the second merges with the first.
    assert actions.apply(interview, code.pk, rita, 0, 14).outcome == "created"
    assert actions.apply(interview, code.pk, rita, 10, 30).outcome == "merged"
    assert kept() == counted() == {(code.pk, interview.pk): 1}
    other_code = make_code(project, "Suggestion légitime")
    make_coding(interview, other_code, rita, 40, 50)
    assert kept() == counted() == {(code.pk, interview.pk): 1, (other_code.pk, interview.pk): 1}
    Code.objects.filter(pk=other_code.pk).delete()
    assert kept() == counted() == {(code.pk, interview.pk): 1}
    assert not CodeCount.objects.filter(code_id=other_code.pk).exists()  # its rows went with it
    assert not CodeTotal.objects.filter(code_id=other_code.pk).exists()
    Interview.objects.filter(pk=interview.pk).delete()
    assert kept() == counted() == {}
    assert not CodeCount.objects.exists()


def test_the_codebook_counts_are_the_sums_and_a_blind_coder_counts_the_slow_way(
    project, interview, code, rita, ada
):
    other = make_interview(project, interview.text + " Fin.", title="Entretien 2")
    for start in (0, 10, 20):
        make_coding(interview, code, rita, start, start + 5)
    make_coding(other, code, ada, 0, 5)
    unused = make_code(project, "Jamais")

    def recounted(seen):
        sql, _ = counts.query(project.pk, interview.pk, seen=seen, code_ids=[code.pk, unused.pk])
        found = workspace.counted_codes(project.pk, interview.pk, [code.pk, unused.pk], seen=seen)
        return {c.pk: (c.interview_count, c.project_count) for c in found}, "codecount" in sql

    assert recounted(EVERYTHING) == ({code.pk: (3, 4), unused.pk: (0, 0)}, True)
    make_coding(interview, code, ada, 30, 35)
    round_ = project.coding_rounds.create(name="Aveugle", created_by=ada)
    round_.coders.add(rita)
    round_.interviews.add(interview)
    blind = visible_codings(Membership.objects.get(user=rita, project=project))
    # ada's coding in the round's interview is not rita's to see; her coding elsewhere is.
    assert recounted(blind) == ({code.pk: (3, 4), unused.pk: (0, 0)}, False)
    assert recounted(EVERYTHING) == ({code.pk: (4, 5), unused.pk: (0, 0)}, True)


def test_the_excerpts_of_codes_alone_count_the_sums_up_to_the_limit(project, interview, code, rita):
    child = make_code(project, "Enfant", parent=code)
    for start in range(0, 60, 6):
        make_coding(interview, code, rita, start, start + 3)
    make_coding(interview, child, rita, 70, 75)

    def count_of(query: str, limit: int | None = 10_000):
        filters = read_filters(project, QueryDict(query))
        sql, _ = queries.count_query(filters, limit)
        return queries.count(filters, limit), "coding_codetotal" in sql

    assert count_of(f"code={code.pk}") == (10, True)
    assert count_of(f"code={code.pk}&subcodes=1") == (11, True)
    assert count_of(f"code={code.pk}", limit=3) == (4, True)  # at most limit + 1, as counting
    assert count_of(f"code={code.pk}", limit=None) == (10, True)
    assert count_of(f"code={code.pk}&coder={rita.pk}") == (10, False)


def test_the_codebook_tree_counts_as_the_workspace_recounts(project, interview, code, rita, ada):
    """The tree beside an interview (coding.codebook.code_tree) sums the kept counts for whoever
    sees everything, and counts a blind coder's own codings: the same figures as the codings."""
    other = make_interview(project, interview.text + " Fin.", title="Entretien 2")
    child = make_code(project, "Enfant", parent=code)
    unused = make_code(project, "Jamais")
    for start in (0, 10):
        make_coding(interview, code, rita, start, start + 5)
    make_coding(interview, child, ada, 20, 25)
    make_coding(other, child, rita, 0, 5)

    def tree(seen, interview_id=interview.pk):
        found = {}
        for depth, node in codebook.flatten(
            codebook.code_tree(project.pk, interview_id=interview_id, seen=seen)
        ):
            found[node.name] = (depth, node.interview_count, node.project_count)
        return found

    assert tree(EVERYTHING) == {
        code.name: (0, 2, 2),
        child.name: (1, 1, 2),
        unused.name: (0, 0, 0),
    }
    assert tree(EVERYTHING, None)[child.name] == (1, 0, 2)
    round_ = project.coding_rounds.create(name="Aveugle", created_by=ada)
    round_.coders.add(rita)
    round_.interviews.add(interview)
    blind = visible_codings(Membership.objects.get(user=rita, project=project))
    # ada's coding in the round's interview is not rita's to see.
    assert tree(blind)[child.name] == (1, 0, 1)
    assert tree(EVERYTHING)[child.name] == (1, 1, 2)


def row_writes(table: str) -> int:
    """The rows this transaction has inserted into `table` or updated there so far."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n_tup_ins + n_tup_upd FROM pg_stat_xact_user_tables WHERE relname = %s",
            [table],
        )
        return cursor.fetchone()[0]


COUNT_TABLES = ("coding_codecount", "coding_codetotal", "coding_codercount", "coding_pendingcount")


def count_writes(action) -> dict[str, int]:
    """The rows `action` inserted or updated in each table of counts."""
    before = {table: row_writes(table) for table in COUNT_TABLES}
    action()
    return {table: row_writes(table) - before[table] for table in COUNT_TABLES}


def insert_sixty(interview, other, code, second, rita, sam) -> None:
    """60 codings in one statement: both codes in both interviews, by two coders."""
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO coding_coding (interview_id, code_id, coder_id, start, "end", text,'
            " status, created_at, updated_at)"
            " SELECT (ARRAY[%s, %s])[1 + n %% 2], (ARRAY[%s, %s])[1 + n / 30],"
            " (ARRAY[%s, %s])[1 + n / 45], n, n + 3, '', 'pending', now(), now()"
            " FROM generate_series(0, 59) n",
            [interview.pk, other.pk, code.pk, second.pk, rita.pk, sam.pk],
        )


def test_a_statement_of_many_codings_moves_each_count_once(project, interview, code, rita, sam):
    """An import writes its codings in a few statements of many, in one transaction: each count
    row moves once per statement (migration coding 0027), where a row trigger wrote a version of
    it per coding, none of which the transaction could prune (docs/benchmarks.md)."""
    other = make_interview(project, interview.text + " Fin.", title="Entretien 2")
    second = make_code(project, "Suggestion légitime")
    make_coding(interview, code, rita, 0, 5)
    written = count_writes(lambda: insert_sixty(interview, other, code, second, rita, sam))
    # 2 codes × 2 interviews; 2 codes; 2 interviews × 2 coders; 2 interviews.
    assert written == {
        "coding_codecount": 4,
        "coding_codetotal": 2,
        "coding_codercount": 4,
        "coding_pendingcount": 2,
    }
    assert (
        kept()
        == counted()
        == {
            (code.pk, interview.pk): 16,
            (code.pk, other.pk): 15,
            (second.pk, interview.pk): 15,
            (second.pk, other.pk): 15,
        }
    )
    written = count_writes(Coding.objects.filter(interview=other).delete)
    assert written == {
        "coding_codecount": 2,
        "coding_codetotal": 2,
        "coding_codercount": 2,
        "coding_pendingcount": 1,
    }
    assert kept() == counted() == {(code.pk, interview.pk): 16, (second.pk, interview.pk): 15}
