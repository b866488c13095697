"""Retroactive pseudonymisation: a name added to the replacement list after import, replaced in the
stored interviews and everywhere the project keeps words.

`find()` lists each place the name is (accents and case ignored, whole words, as at import) with
some context; `apply()` replaces the chosen places as one correction per interview (codings
re-anchored, corrections/services.py), then scrubs the name from what else holds words — titles,
speakers, memos, review comments, the audit trail's kept memos and comments, flagged and detached
codings, drafts of imports — and purges the earlier text versions that held it: keeping the real
name anywhere would defeat the purpose, so those versions can no longer be restored.
"""

import re
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from psycopg.types.json import Jsonb

from coding.models import CodingEvent, DetachedCoding, Memo, ReviewEvent, TextChange
from corrections import services
from corrections.models import TextVersion
from interviews.models import ImportBatch, Interview, Project, Pseudonym, Speaker
from interviews.pseudonyms import Pseudonymiser

CONTEXT = 60
KEY = re.compile(r"[0-9]{1,18}:[0-9]{1,18}")  # a Hit's key: its interview's id, its start


@dataclass(frozen=True)
class Hit:
    interview_id: int
    title: str
    start: int
    end: int
    found: str
    replacement: str
    before: str
    after: str

    @property
    def key(self) -> str:
        return f"{self.interview_id}:{self.start}"


@dataclass
class Swept:
    interviews: int = 0
    replaced: int = 0
    purged_versions: int = 0
    other_places: int = 0  # memos, comments, titles… that held the name
    outcomes: list = field(default_factory=list)


def find(project: Project, rule: Pseudonym) -> list[Hit]:
    """Every place of the project's stored interviews where `rule.real_name` is."""
    pseudonymiser = Pseudonymiser([(rule.real_name, rule.pseudonym)])
    hits = []
    rows = Interview.objects.filter(project=project).order_by("title", "pk")
    for pk, title, text in rows.values_list("pk", "title", "text").iterator(chunk_size=20):
        for start, end, _real, replacement in pseudonymiser.matches(text):
            hits.append(
                Hit(
                    pk,
                    title,
                    start,
                    end,
                    text[start:end],
                    replacement,
                    text[max(start - CONTEXT, 0) : start],
                    text[end : end + CONTEXT],
                )
            )
    return hits


def apply(
    project: Project, user, rule: Pseudonym, chosen: set[str], progress=None, hits=None
) -> Swept:
    """Replace the chosen hits (`Hit.key`s) and scrub the name everywhere else (module docstring).

    The page runs it as a background job (corrections/tasks.py), in one transaction: all of it is
    kept, or nothing (a failure, a cancel). `progress(done, total, message)` is told each
    interview, then once more for the scrubbing of the rest, which comes last."""
    pseudonymiser = Pseudonymiser([(rule.real_name, rule.pseudonym)])
    by_interview: dict[int, list[Hit]] = {}
    for hit in find(project, rule) if hits is None else hits:  # `hits`: find()'s, if at hand
        if hit.key in chosen:
            by_interview.setdefault(hit.interview_id, []).append(hit)
    swept = Swept()
    # The real name never goes into the history itself.
    reason = _("Pseudonymised: a name replaced by « %(pseudonym)s ».") % {
        "pseudonym": rule.pseudonym
    }
    total = len(by_interview)
    # The text each interview had holds the name, so it is not kept as a version (keep_previous):
    # those that had a row of their own are purged below, the others are counted with them.
    unrecorded = total - _recorded(list(by_interview))
    if progress:
        progress(0, total, _("Replacing the name in the interviews…"))
    for done, (interview_id, hits) in enumerate(by_interview.items(), start=1):
        interview = Interview.objects.get(pk=interview_id)
        edits = [(hit.start, hit.end, hit.replacement) for hit in hits]
        outcome = services.correct(
            interview,
            user,
            None,
            edits=edits,
            reason=reason,
            expected_version=interview.text_version,
            in_round=True,  # a name must go even while coders compare: offsets move alike for all
            keep_previous=False,
        )
        swept.outcomes.append(outcome)
        swept.interviews += 1
        swept.replaced += len(edits)
        if progress:
            progress(done, total)
    if progress:
        progress(total, total, _("Cleaning memos, comments, titles and earlier versions…"))
    with transaction.atomic():
        swept.purged_versions = unrecorded + _purge_versions(project, pseudonymiser)
        swept.other_places = _scrub(project, pseudonymiser)
    return swept


def summary(swept: Swept) -> str:
    return _(
        "%(replaced)d places replaced in %(interviews)d interviews; %(others)d other texts "
        "(memos, comments, titles…) cleaned; %(purged)d earlier versions purged."
    ) % {
        "replaced": swept.replaced,
        "interviews": swept.interviews,
        "others": swept.other_places,
        "purged": swept.purged_versions,
    }


def _recorded(interview_ids: list[int]) -> int:
    """How many of these interviews have a row for their current version (written at their first
    correction: an interview never corrected has its text as imported in itself only)."""
    return TextVersion.objects.filter(
        interview_id__in=interview_ids, number=F("interview__text_version")
    ).count()


def _purge_versions(project: Project, pseudonymiser: Pseudonymiser) -> int:
    """Earlier versions whose text holds the name: gone (the current one never is)."""
    purged = []
    versions = TextVersion.objects.filter(interview__project=project).select_related("interview")
    for version in versions.only("pk", "text", "number", "interview__text_version").iterator():
        if version.number != version.interview.text_version and _holds(pseudonymiser, version.text):
            purged.append(version.pk)
    TextVersion.objects.filter(pk__in=purged).delete()
    return len(purged)


def _holds(pseudonymiser: Pseudonymiser, text: str) -> bool:
    return next(pseudonymiser.matches(text or ""), None) is not None


def _scrub(project: Project, pseudonymiser: Pseudonymiser) -> int:
    """The name out of every other field of the project that holds words. How many were changed.

    Read as plain tuples and written back with one statement per table: at 200 interviews the
    rows that hold words run to tens of thousands, and a query per changed row took a minute."""
    changed = 0
    targets = [
        (Interview.objects.filter(project=project), ("title", "participant")),
        (Speaker.objects.filter(interview__project=project), ("label", "name")),
        (Memo.objects.filter(project=project), ("body",)),
        (ReviewEvent.objects.filter(coding__interview__project=project), ("comment",)),
        (TextChange.objects.filter(coding__interview__project=project), ("old_text", "new_text")),
        (DetachedCoding.objects.filter(interview__project=project), ("text",)),
    ]
    for queryset, fields in targets:
        rows = []
        for pk, *values in queryset.values_list("pk", *fields).iterator(chunk_size=2000):
            cleaned = [pseudonymiser.apply(value) if value else value for value in values]
            if cleaned != values:
                rows.append([pk, *cleaned])
        _write(queryset.model._meta.db_table, fields, rows, "text")
        changed += len(rows)
    changed += _scrub_audit(project, pseudonymiser)
    # Unconfirmed imports were read before the name was on the list: let the admins upload again.
    ImportBatch.objects.filter(project=project).delete()
    return changed


def _scrub_audit(project: Project, pseudonymiser: Pseudonymiser) -> int:
    """Removed codings' memos and review comments kept on their audit events (for undo)."""
    rows = []
    events = CodingEvent.objects.filter(project_id=project.pk).exclude(memos=None, reviews=None)
    for pk, kept_memos, kept_reviews in events.values_list("pk", "memos", "reviews").iterator():
        memos = [row | {"body": pseudonymiser.apply(row["body"])} for row in kept_memos or []]
        reviews = [
            row | {"comment": pseudonymiser.apply(row["comment"])} for row in kept_reviews or []
        ]
        if memos != (kept_memos or []) or reviews != (kept_reviews or []):
            rows.append([pk, Jsonb(memos or kept_memos), Jsonb(reviews or kept_reviews)])
    _write(CodingEvent._meta.db_table, ("memos", "reviews"), rows, "jsonb")
    return len(rows)


def _write(table: str, fields: tuple[str, ...], rows: list[list], kind: str) -> None:
    """`rows` ([id, *values of `fields`]) written into `table` in one statement."""
    if not rows:
        return
    columns = list(zip(*rows, strict=True))
    assignments = ", ".join(f'"{name}" = v."{name}"' for name in fields)
    names = ", ".join(f'"{name}"' for name in fields)
    arrays = ", ".join([f"%s::{kind}[]"] * len(fields))
    with connection.cursor() as cursor:
        cursor.execute(
            f'UPDATE "{table}" t SET {assignments}'  # noqa: S608 (names are the models' own)
            f" FROM unnest(%s::bigint[], {arrays}) AS v(id, {names}) WHERE t.id = v.id",
            [list(column) for column in columns],
        )
