"""How many codings each code has, in the project and in one interview, as the codebook shows them
(`code-count` partial): the one rule the codebook's tree and the workspace's recounts share.

For whoever may see every coding, the counts are read from rows kept by triggers: the code's total
(coding.CodeTotal, migration coding 0023) and its count in the interview (coding.CodeCount, 0022).
At L the tree beside an interview counted a million codings on each load (118 ms in process), and
each recount after an action a code's every coding. A blind coder's counts are of the codings they
may see (coding/visibility.py), counted: an index-only scan of (code, interview).
"""

from coding.models import Code, CodeCount, CodeTotal, Coding
from coding.visibility import Visibility
from verbatim import plain_sql

# (code id, codings in the interview, codings in the project) of the codes chosen by `{codes}`.
KEPT = f"""
    SELECT code.id, coalesce(here.codings, 0), coalesce(total.codings, 0)
      FROM {Code._meta.db_table} code
      LEFT JOIN {CodeCount._meta.db_table} here
             ON here.code_id = code.id AND here.interview_id = %s
      LEFT JOIN {CodeTotal._meta.db_table} total ON total.code_id = code.id
     WHERE {{codes}}"""
VISIBLE = f"""
    SELECT code.id,
           count(coding.code_id) FILTER (WHERE coding.interview_id = %s),
           count(coding.code_id)
      FROM {Code._meta.db_table} code
      LEFT JOIN {Coding._meta.db_table} coding ON coding.code_id = code.id AND {{visible}}
     WHERE {{codes}}
     GROUP BY code.id"""
SOME = "code.project_id = %s AND code.id = ANY(%s)"
EVERY = "code.project_id = %s"
KEPT_SOME = plain_sql.Prepared(KEPT.format(codes=SOME))
KEPT_EVERY = plain_sql.Prepared(KEPT.format(codes=EVERY))


def query(
    project_id: int, interview_id: int | None, *, seen: Visibility, code_ids=None
) -> tuple[str, list]:
    """The counts' statement: of `code_ids`, or of every code of the project (None). Without an
    interview, its counts are 0."""
    chosen = [project_id] if code_ids is None else [project_id, list(code_ids)]
    if seen.everything:
        return (KEPT_EVERY if code_ids is None else KEPT_SOME), [interview_id, *chosen]
    visible, params = seen.sql("coding")
    codes = EVERY if code_ids is None else SOME
    sql = VISIBLE.format(visible=visible, codes=codes)
    return plain_sql.prepared(sql), [interview_id, *params, *chosen]
