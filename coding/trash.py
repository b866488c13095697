"""The codebook's trash: deleting or merging a code keeps what it removes, to be restored.

A deletion removes a code, its sub-codes, all their codings (everyone's), the codings' review
history and the memos on any of them. A merge moves the source's codings, sub-codes and memos to
the target, drops the codings that would repeat one there, and removes the source. Both first copy
the rows they will remove or move into a `TrashedCode` (column for column, with PostgreSQL's
to_jsonb), and `restore` puts them back with the same ids and dates, so that links to them (memos,
review history, the audit trail) still fit. Entries older than settings.VERBATIM_TRASH_DAYS are
purged (`manage.py purge_trash`).

The rows are locked before they are copied: a coding or memo added to the code meanwhile waits for
the deletion and then finds the code gone, rather than vanishing without a copy.
"""

import json
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from coding.audit import lock_interviews, recorded_as
from coding.codebook import check_merge, next_position
from coding.models import Code, Coding, Memo, ReviewEvent, TrashedCode

TABLES = {
    "codes": Code._meta.db_table,
    "codings": Coding._meta.db_table,
    "reviews": ReviewEvent._meta.db_table,
    "memos": Memo._meta.db_table,
}


# Copying rows out and back in


def _lock(model, ids) -> None:
    """Lock these rows until the end of the transaction (inserts referencing them wait)."""
    list(model.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))


def _rows(table: str, where: str, params: list) -> list[dict]:
    """Rows of `table` as JSON objects, every column, in id order."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT coalesce(jsonb_agg(to_jsonb(t) ORDER BY t.id), '[]') FROM {table} t "
            f"WHERE {where}",
            params,
        )
        return json.loads(cursor.fetchone()[0])  # Django leaves jsonb to JSONField to decode


def _insert(table: str, rows: list[dict]) -> None:
    """Insert rows copied by `_rows`, in their order, exactly as they were. Columns added since
    they were copied take their defaults."""
    if not rows:
        return
    columns = ", ".join(f'"{column}"' for column in rows[0])
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {columns} "
            f"FROM jsonb_populate_recordset(NULL::{table}, %s::jsonb)",
            [json.dumps(rows)],
        )


def _tree_order(code: Code) -> list[int]:
    """`code` and its sub-codes, each after its parent (the order they can be inserted in)."""
    children: dict[int | None, list[int]] = {}
    for pk, parent_id in Code.objects.filter(project_id=code.project_id).values_list(
        "pk", "parent_id"
    ):
        children.setdefault(parent_id, []).append(pk)
    order, pending = [], [code.pk]
    while pending:
        pk = pending.pop(0)
        order.append(pk)
        pending.extend(sorted(children.get(pk, [])))
    return order


def _coders(coding_rows: list[dict]) -> dict[str, int]:
    names = dict(
        get_user_model()
        .objects.filter(pk__in={r["coder_id"] for r in coding_rows})
        .values_list("pk", "username")
    )
    return dict(Counter(names[r["coder_id"]] for r in coding_rows).most_common())


# Deleting and merging


def _lock_interviews_of(codings) -> None:
    """The writer locks of these codings' interviews (coding.audit), before any row lock, as every
    coding action takes them: the workspace's pollers then see this change's events in order."""
    lock_interviews(codings.values_list("interview_id", flat=True).distinct())


def lock(code: Code) -> list[int]:
    """Lock `code`, its sub-codes and their codings until the transaction ends: codings and memos
    added to them meanwhile wait. Their ids, each code after its parent."""
    ids = _tree_order(code)
    _lock_interviews_of(Coding.objects.filter(code_id__in=ids))
    _lock(Code, ids)
    _lock(Coding, Coding.objects.filter(code_id__in=ids).values("pk"))
    return ids


def delete(code: Code, user) -> TrashedCode:
    """Delete `code` with its sub-codes, their codings, review history and memos, keeping a copy
    of them all in the trash."""
    with recorded_as(user) as group:
        ids = lock(code)
        codings = _rows(TABLES["codings"], "t.code_id = ANY(%s)", [ids])
        coding_ids = [row["id"] for row in codings]
        codes = _rows(TABLES["codes"], "t.id = ANY(%s)", [ids])
        codes.sort(key=lambda row: ids.index(row["id"]))  # parents first
        rows = {
            "codes": codes,
            "codings": codings,
            "reviews": _rows(TABLES["reviews"], "t.coding_id = ANY(%s)", [coding_ids]),
            "memos": _rows(
                TABLES["memos"], "t.code_id = ANY(%s) OR t.coding_id = ANY(%s)", [ids, coding_ids]
            ),
        }
        entry = TrashedCode.objects.create(
            project_id=code.project_id,
            kind=TrashedCode.Kind.DELETED,
            code_id=code.pk,
            name=code.name,
            by=user,
            group=group,
            codings_by_coder=_coders(codings),
            memos=len(rows["memos"]),
            subcodes=len(ids) - 1,
            rows=rows,
        )
        Code.objects.filter(pk=code.pk).delete()  # cascades to everything copied above
    return entry


def merge(source: Code, target: Code, user) -> TrashedCode:
    """Fold `source` into `target`, then delete `source`, keeping in the trash what a restore
    needs to undo it.

    Codings move to the target, except one that would repeat a target coding by the same coder on
    the same characters: that one is deleted and its memos join the coding it duplicated. Sub-codes
    and memos of the source move to the target. A moved coding that had been reviewed returns to
    review (the coding_back_to_review trigger).
    """
    check_merge(source, target)
    with recorded_as(user) as group:
        _lock_interviews_of(source.codings.all())
        _lock(Code, [source.pk, target.pk])
        _lock(Coding, source.codings.values("pk"))
        same_on_target = Coding.objects.filter(
            code=target,
            interview_id=OuterRef("interview_id"),
            coder_id=OuterRef("coder_id"),
            start=OuterRef("start"),
            end=OuterRef("end"),
        )
        duplicates = list(source.codings.filter(Exists(same_on_target)))
        duplicate_ids = [d.pk for d in duplicates]
        rows = {
            "codes": _rows(TABLES["codes"], "t.id = %s", [source.pk]),
            "codings": _rows(TABLES["codings"], "t.id = ANY(%s)", [duplicate_ids]),
            "reviews": _rows(TABLES["reviews"], "t.coding_id = ANY(%s)", [duplicate_ids]),
            # Memos that move: [memo id, where it was] (a duplicate coding's memos join the
            # coding kept; the code's own memos go to the target).
            "moved_memos": list(
                Memo.objects.filter(coding_id__in=duplicate_ids).values_list("pk", "coding_id")
            ),
            "code_memos": list(Memo.objects.filter(code=source).values_list("pk", flat=True)),
            "children": list(source.children.values_list("pk", "position")),
            # The target's id, not only the foreign key (nulled if the target is deleted): once
            # the target is restored from the trash in turn, the merge can be undone again.
            "target": target.pk,
        }
        moved_statuses = dict(
            source.codings.exclude(pk__in=duplicate_ids).values_list("pk", "status")
        )
        all_codings = [
            {"coder_id": coder_id} for coder_id in source.codings.values_list("coder_id", flat=True)
        ]
        for duplicate in duplicates:
            kept = target.codings.filter(
                interview_id=duplicate.interview_id,
                coder_id=duplicate.coder_id,
                start=duplicate.start,
                end=duplicate.end,
            ).first()
            Memo.objects.filter(coding=duplicate).update(coding=kept)
        Coding.objects.filter(pk__in=duplicate_ids).delete()
        source.codings.update(code=target)
        Memo.objects.filter(code=source).update(code=target)
        # The source may still be a sibling of the children it hands over (when merging into its
        # parent), and names are unique among siblings: give it a throwaway name first.
        Code.objects.filter(pk=source.pk).update(name=uuid.uuid4().hex)
        position = next_position(target.project_id, target.pk)
        for offset, child in enumerate(source.children.order_by("position", "name")):
            child.parent = target
            child.position = position + offset
            child.save(update_fields=["parent", "position"])
        # [id, status before, status after]: a restore gives back the status the merge changed.
        after = dict(Coding.objects.filter(pk__in=moved_statuses).values_list("pk", "status"))
        rows["moved"] = [[pk, status, after[pk]] for pk, status in moved_statuses.items()]
        entry = TrashedCode.objects.create(
            project_id=source.project_id,
            kind=TrashedCode.Kind.MERGED,
            code_id=source.pk,
            name=source.name,
            merged_into=target,
            merged_into_name=target.name,
            by=user,
            group=group,
            codings_by_coder=_coders(all_codings),
            memos=len(rows["moved_memos"]) + len(rows["code_memos"]),
            subcodes=len(rows["children"]),
            rows=rows,
        )
        Code.objects.filter(pk=source.pk).delete()
    return entry


# Restoring


@dataclass
class Restored:
    code: Code
    renamed: bool  # its name was taken meanwhile: it came back with another
    lost: int  # codings that could not come back (interview or coder gone, moved on since a merge)


def restore(entry: TrashedCode, user) -> Restored:
    """Put a deleted or merged code back as it was, with the same ids, and remove the entry.

    What changed since stays: a code whose parent is gone comes back at the top level, one whose
    name was taken meanwhile gets « (restored) » added; codings whose interview or coder is gone
    cannot come back, nor (after a merge) codings that were removed from the target since.
    Raises TrashedCode.DoesNotExist when someone restored or purged it meanwhile.
    """
    with recorded_as(user, undo_of=entry.group):
        entry = TrashedCode.objects.select_for_update().get(pk=entry.pk)  # one restore at a time
        moved = [pk for pk, _before, _after in entry.rows.get("moved", [])]
        lock_interviews(
            {row["interview_id"] for row in entry.rows["codings"]}
            | set(Coding.objects.filter(pk__in=moved).values_list("interview_id", flat=True))
        )
        users = set(get_user_model().objects.values_list("pk", flat=True))
        root, *subcodes = entry.rows["codes"]
        parent_id = root["parent_id"]
        if not Code.objects.filter(pk=parent_id, project_id=entry.project_id).exists():
            parent_id = None
        # A throwaway name until its sub-codes are back under it (they may be its namesakes'
        # siblings meanwhile, after a merge into its parent).
        root = {**root, "parent_id": parent_id, "name": uuid.uuid4().hex}
        codes = [root, *subcodes]
        for row in codes:
            if row.get("created_by_id") not in users:
                row["created_by_id"] = None
        _insert(TABLES["codes"], codes)
        lost = _restore_codings(entry, users)
        if entry.kind == TrashedCode.Kind.MERGED:
            lost += _unmerge(entry, user)
        name = _free_name(
            entry.project_id, parent_id, entry.rows["codes"][0]["name"], entry.code_id
        )
        Code.objects.filter(pk=entry.code_id).update(name=name)
        entry.delete()
    code = Code.objects.get(pk=entry.code_id)
    return Restored(code, renamed=name != entry.rows["codes"][0]["name"], lost=lost)


def _free_name(project_id: int, parent_id: int | None, name: str, code_id: int) -> str:
    """`name`, or « name (restored) », « name (restored 2) »… if a sibling has taken it."""
    siblings = Code.objects.filter(project_id=project_id, parent_id=parent_id).exclude(pk=code_id)
    candidate, n = name, 1
    while siblings.filter(name__iexact=candidate).exists():
        suffix = _("restored") if n == 1 else _("restored %(n)d") % {"n": n}
        candidate, n = f"{name} ({suffix})", n + 1
    return candidate


def _restore_codings(entry: TrashedCode, users: set[int]) -> int:
    """The codings copied out (all of a deleted code's, a merge's duplicates), their review
    history and memos; the number that could not come back."""
    interviews = set(entry.project.interviews.values_list("pk", flat=True))
    codings = [
        row
        for row in entry.rows["codings"]
        if row["interview_id"] in interviews and row["coder_id"] in users
    ]
    _insert(TABLES["codings"], codings)
    back = {row["id"] for row in codings}
    reviews = [
        row
        for row in entry.rows["reviews"]
        if row["coding_id"] in back and row["reviewer_id"] in users
    ]
    _insert(TABLES["reviews"], reviews)
    memos = []
    for row in entry.rows.get("memos", []):
        if row["coding_id"] is not None and row["coding_id"] not in back:
            continue
        memos.append({**row, "author_id": row["author_id"] if row["author_id"] in users else None})
    _insert(TABLES["memos"], memos)
    return len(entry.rows["codings"]) - len(codings)


def _unmerge(entry: TrashedCode, user) -> int:
    """Move back what a merge moved to its target, when it is still there; the number of moved
    codings that could not come back."""
    source, rows = entry.code_id, entry.rows
    target = rows["target"]
    for memo_id, coding_id in rows["moved_memos"]:
        Memo.objects.filter(pk=memo_id).update(coding_id=coding_id)
    if not Code.objects.filter(pk=target).exists():  # deleted since, with what it had
        return len(rows["moved"])
    Memo.objects.filter(pk__in=rows["code_memos"], code_id=target).update(code_id=source)
    for pk, position in rows["children"]:
        Code.objects.filter(pk=pk, parent_id=target).update(parent_id=source, position=position)
    moved = 0
    for pk, before, after in rows["moved"]:
        # Only codings still on the target. `undo_of` (recorded_as) keeps the back-to-review
        # trigger quiet, and the status the merge changed comes back unless someone reviewed
        # the coding since, as an undo does (coding.audit).
        still = Coding.objects.filter(pk=pk, code_id=target)
        if still.filter(status=after).update(code_id=source, status=before):
            if before != after:
                ReviewEvent.objects.create(coding_id=pk, reviewer=user, status=before, undo=True)
        elif not still.update(code_id=source):
            continue
        moved += 1
    return len(rows["moved"]) - moved


def purge(now=None) -> int:
    """Remove the trash entries older than settings.VERBATIM_TRASH_DAYS; how many."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.VERBATIM_TRASH_DAYS)
    with transaction.atomic():
        return TrashedCode.objects.filter(at__lt=cutoff).delete()[0]
