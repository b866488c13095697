"""Word and OpenDocument comments become memos on the imported interview (issue 18).

The import (interviews/services.py) cannot create memos itself: memos are coding's, a layer above.
It calls `interviews.services.STORE_HOOKS` for each interview it stores, inside its transaction;
coding/apps.py registers `store_comments` there. A memo belongs to the interview (memos have no
offsets): its body quotes the passage the comment was on, then names the comment's author.
"""

from django.utils.translation import gettext as _

from coding.models import Memo

QUOTE_LENGTH = 300


def store_comments(*, interview, plan, imported_by) -> None:
    if not plan.comments_as_memos or not plan.comments:
        return
    Memo.objects.bulk_create(
        Memo(
            project_id=interview.project_id,
            interview=interview,
            author=imported_by,
            body=memo_body(interview.text, comment, plan.name),
        )
        for comment in plan.comments
        if comment.get("text", "").strip()
    )


def memo_body(text: str, comment: dict, file_name: str) -> str:
    start, end = comment["start"], comment["end"]
    if end > start:
        quote = _quote(text[start:end])
        where = _("On « %(passage)s »:") % {"passage": quote}
    else:  # a comment on a point: the words that follow it
        where = _("At « %(passage)s »:") % {"passage": _quote(text[start : start + 80])}
    byline = (
        _("Comment by %(author)s, imported from %(file)s.")
        if comment.get("author")
        else _("Comment imported from %(file)s.")
    ) % {"author": comment.get("author", ""), "file": file_name}
    return f"{where}\n{comment['text'].strip()}\n\n— {byline}"


def _quote(passage: str) -> str:
    passage = " ".join(passage.split())
    return passage if len(passage) <= QUOTE_LENGTH else passage[: QUOTE_LENGTH - 1] + "…"
