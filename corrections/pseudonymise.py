"""Retroactive pseudonymisation: a name added to the replacement list after import, replaced in the
stored interviews and everywhere the project keeps words.

`find()` lists each place the name is (accents and case ignored, whole words, as at import) with
some context; `apply()` replaces the chosen places as one correction per interview (codings
re-anchored, corrections/services.py), then scrubs the name from what else holds words — titles,
speakers, memos, review comments, the audit trail's kept memos and comments, flagged and detached
codings, drafts of imports — and purges the earlier text versions that held it: keeping the real
name anywhere would defeat the purpose, so those versions can no longer be restored.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from coding.models import CodingEvent, DetachedCoding, Memo, ReviewEvent, TextChange
from corrections import services
from corrections.models import TextVersion
from interviews.models import ImportBatch, Interview, Project, Pseudonym, Speaker
from interviews.pseudonyms import Pseudonymiser

CONTEXT = 60


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


def apply(project: Project, user, rule: Pseudonym, chosen: set[str], progress=None) -> Swept:
    """Replace the chosen hits (`Hit.key`s) and scrub the name everywhere else (module docstring).

    One transaction per interview, so a long sweep commits as it goes and a failure stops at one
    interview; the scrubbing of the rest comes last. `progress(done, total)` is told each step."""
    pseudonymiser = Pseudonymiser([(rule.real_name, rule.pseudonym)])
    by_interview: dict[int, list[Hit]] = {}
    for hit in find(project, rule):
        if hit.key in chosen:
            by_interview.setdefault(hit.interview_id, []).append(hit)
    swept = Swept()
    # The real name never goes into the history itself.
    reason = _("Pseudonymised: a name replaced by « %(pseudonym)s ».") % {
        "pseudonym": rule.pseudonym
    }
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
        )
        swept.outcomes.append(outcome)
        swept.interviews += 1
        swept.replaced += len(edits)
        if progress:
            progress(done, len(by_interview))
    with transaction.atomic():
        swept.purged_versions = _purge_versions(project, pseudonymiser)
        swept.other_places = _scrub(project, pseudonymiser)
    return swept


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
    """The name out of every other field of the project that holds words. How many were changed."""
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
        for row in queryset.only("pk", *fields).iterator():
            values = {f: pseudonymiser.apply(getattr(row, f)) for f in fields}
            if any(values[f] != getattr(row, f) for f in fields):
                type(row).objects.filter(pk=row.pk).update(**values)
                changed += 1
    changed += _scrub_audit(project, pseudonymiser)
    # Unconfirmed imports were read before the name was on the list: let the admins upload again.
    ImportBatch.objects.filter(project=project).delete()
    return changed


def _scrub_audit(project: Project, pseudonymiser: Pseudonymiser) -> int:
    """Removed codings' memos and review comments kept on their audit events (for undo)."""
    changed = 0
    events = CodingEvent.objects.filter(project_id=project.pk).exclude(memos=None, reviews=None)
    for event in events.only("pk", "memos", "reviews").iterator():
        memos = [row | {"body": pseudonymiser.apply(row["body"])} for row in event.memos or []]
        reviews = [
            row | {"comment": pseudonymiser.apply(row["comment"])} for row in event.reviews or []
        ]
        if memos != (event.memos or []) or reviews != (event.reviews or []):
            CodingEvent.objects.filter(pk=event.pk).update(
                memos=memos or event.memos, reviews=reviews or event.reviews
            )
            changed += 1
    return changed
