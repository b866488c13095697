"""The codings a review page shows, read by id in two plain statements sent together: the codings
with what a card shows (code, coder, interview, speaker, memo count), and their review history.

The queue's page used to be one ORM query with three joins, two correlated subqueries and a
prefetch of the history: building it took longer than PostgreSQL took to run it. The ids come
from the filters (excerpts/queries.py), which the ORM compiles as before, in the same round trip
(plain_sql.paged). The models are built from the rows as the ORM builds them (`from_db`), so the
cards, the history and the revise page read them as they always did.
"""

from django.contrib.auth import get_user_model

from coding.models import Code, Coding, ReviewEvent
from excerpts.queries import MEMO_COUNT_SQL, speaker_join
from interviews.models import Interview
from verbatim.plain_sql import PAGE, Prepared, instance, paged

User = get_user_model()

# In the model's order of fields, which `instance` (Model.from_db) expects.
CODING_FIELDS = [
    *("id", "interview_id", "code_id", "coder_id", "start", "end", "text", "context_before"),
    *("context_after", "status", "created_at", "updated_at"),
]
USER_FIELDS = ["id", "username", "first_name", "last_name"]
EVENT_FIELDS = ["id", "coding_id", "reviewer_id", "status", "comment", "undo", "created_at"]

# The codings of a page (PAGE, its ids), in their order, with the speaker and memo count excerpts
# show.
CODINGS = Prepared(f"""
    SELECT k.id, k.interview_id, k.code_id, k.coder_id, k.start, k."end", k.text,
           k.context_before, k.context_after, k.status, k.created_at, k.updated_at, i.project_id, i.title,
           code.name, u.username, u.first_name, u.last_name, sp.name, {MEMO_COUNT_SQL}
      FROM unnest({PAGE}) WITH ORDINALITY AS page(id, n)
      JOIN {Coding._meta.db_table} k ON k.id = page.id
      JOIN {Code._meta.db_table} code ON code.id = k.code_id
      JOIN {Interview._meta.db_table} i ON i.id = k.interview_id
      JOIN {User._meta.db_table} u ON u.id = k.coder_id
      {speaker_join("k")}
     ORDER BY page.n""")

HISTORY = Prepared(f"""
    SELECT e.id, e.coding_id, e.reviewer_id, e.status, e.comment, e.undo, e.created_at,
           u.username, u.first_name, u.last_name
      FROM {ReviewEvent._meta.db_table} e
      JOIN {User._meta.db_table} u ON u.id = e.reviewer_id
     WHERE e.coding_id = ANY({PAGE})
     ORDER BY e.created_at, e.id""")


def reviewed_codings(ids: list[int]) -> list[Coding]:
    """These codings in this order, each with its code, coder and interview (its text left out),
    `speaker_name`, `memo_count` and `history` (its review events, oldest first)."""
    if not ids:
        return []
    return reviewed_page(("SELECT unnest(%s::bigint[])", [ids]))[0]


def reviewed_page(ids: tuple[str, list], *also: tuple[str, list]) -> tuple[list[Coding], list]:
    """`reviewed_codings` of the ids a statement selects (a page, through the filters), in one
    round trip with `also`'s statements, whose rows come second."""
    rows, events, *more = paged(ids, (CODINGS, []), (HISTORY, []), *also)
    codings = []
    for row in rows:
        coding = instance(Coding, row[:12], CODING_FIELDS)
        project_id, title, code_name, username, first, last, speaker, memos = row[12:]
        coding.interview = instance(
            Interview, (coding.interview_id, project_id, title), ["id", "project_id", "title"]
        )
        coding.code = instance(Code, (coding.code_id, code_name), ["id", "name"])
        coding.coder = instance(User, (coding.coder_id, username, first, last), USER_FIELDS)
        coding.speaker_name, coding.memo_count, coding.history = speaker, memos, []
        codings.append(coding)
    by_id = {coding.pk: coding for coding in codings}
    for row in events:
        event = instance(ReviewEvent, row[:7], EVENT_FIELDS)
        event.reviewer = instance(User, (event.reviewer_id, *row[7:]), USER_FIELDS)
        by_id[event.coding_id].history.append(event)
    return codings, more
