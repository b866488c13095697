"""The codebook's trash (coding.trash, /projects/P/trash/): deleted and merged codes come back as
they were, with the same ids, codings, memos and review history."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from coding import trash
from coding.models import Code, Coding, CodingEvent, Memo, ReviewEvent, TrashedCode
from tests.factories import TRANSCRIPT, make_code, make_coding, make_interview

pytestmark = pytest.mark.django_db

EN = {"Accept-Language": "en"}
HTMX = {"HX-Request": "true", **EN}


def snapshot(project):
    """Every row the codebook's changes could touch, as plain values (ids and dates included)."""
    return {
        "codes": list(Code.objects.filter(project=project).order_by("pk").values()),
        "codings": list(Coding.objects.order_by("pk").values()),
        "memos": list(Memo.objects.order_by("pk").values()),
        "reviews": list(ReviewEvent.objects.order_by("pk").values()),
    }


@pytest.fixture
def branch(project, interview, rita, sam):
    """« Proximité » › « Sur le banc »: codings by rita and sam in two interviews, one reviewed and
    approved, memos on the codes and on a coding."""
    second = make_interview(project, TRANSCRIPT + "\n\nFin.", "Entretien 2")
    code = make_code(project, "Proximité")
    child = make_code(project, "Sur le banc", code)
    make_code(project, "Ailleurs")
    make_coding(interview, code, rita, 0, 10)
    on_child = make_coding(interview, child, rita, 20, 30)
    make_coding(second, child, sam, 0, 10)
    ReviewEvent.objects.create(coding=on_child, reviewer=sam, status="approved", comment="Oui")
    Coding.objects.filter(pk=on_child.pk).update(status="approved")
    Memo.objects.create(project=project, code=code, body="Le code", author=rita)
    Memo.objects.create(project=project, code=child, body="Le sous-code", author=sam)
    Memo.objects.create(project=project, coding=on_child, body="Le passage", author=sam)
    return code


def delete(client, code):
    return client.post(f"/projects/{code.project_id}/codebook/{code.pk}/delete/", headers=HTMX)


def restore(client, entry, language="en"):
    return client.post(
        f"/projects/{entry.project_id}/trash/{entry.pk}/restore/",
        headers={"Accept-Language": language},
        follow=True,
    )


# Deleting, then restoring


def test_a_deleted_code_comes_back_exactly_as_it_was(client, project, branch, sam):
    before = snapshot(project)
    client.force_login(sam)

    delete(client, branch)
    assert list(Code.objects.values_list("name", flat=True)) == ["Ailleurs"]
    entry = TrashedCode.objects.get()
    assert (entry.kind, entry.name, entry.by, entry.codings_by_coder) == (
        "deleted",
        "Proximité",
        sam,
        {"rita": 2, "sam": 1},
    )
    response = restore(client, entry)

    assert response.status_code == 200
    assert "« Proximité » is back, with its codings and memos." in response.content.decode()
    after = snapshot(project)
    for table in ("codes", "codings", "memos", "reviews"):
        assert after[table] == before[table], table  # same ids, texts, statuses, dates
    assert not TrashedCode.objects.exists()


def test_the_audit_trail_links_the_restore_to_the_deletion(client, project, branch, sam):
    client.force_login(sam)
    delete(client, branch)
    entry = TrashedCode.objects.get()
    deletions = CodingEvent.objects.filter(action="delete")
    assert {event.group for event in deletions} == {entry.group}
    restore(client, entry)
    creations = CodingEvent.objects.filter(action="create", undo_of=entry.group)
    assert creations.count() == 3 and {event.actor for event in creations} == {sam}


def test_a_restored_code_whose_name_was_reused_gets_another(client, project, branch, sam):
    client.force_login(sam)
    delete(client, branch)
    make_code(project, "PROXIMITÉ")  # someone made a new code of that name meanwhile

    response = restore(client, TrashedCode.objects.get())

    assert "it is now « Proximité (restored) »" in response.content.decode()
    restored = Code.objects.get(pk=branch.pk)
    assert restored.name == "Proximité (restored)"
    assert Code.objects.get(pk__in=[c.pk for c in restored.children.all()]).name == "Sur le banc"
    assert Coding.objects.filter(code__in=[restored, *restored.children.all()]).count() == 3


def test_the_name_suffix_is_in_the_restorers_language(client, project, branch, sam):
    client.force_login(sam)
    delete(client, branch)
    make_code(project, "Proximité")
    restore(client, TrashedCode.objects.get(), language="fr")
    assert Code.objects.get(pk=branch.pk).name == "Proximité (restauré)"


def test_a_code_whose_parent_is_gone_comes_back_at_the_top_level(client, project, interview, sam):
    parent = make_code(project, "Relation")
    child = make_code(project, "Écoute", parent)
    make_coding(interview, child, sam, 0, 10)
    client.force_login(sam)
    delete(client, child)
    delete(client, parent)

    restore(client, TrashedCode.objects.get(name="Écoute"))

    restored = Code.objects.get(pk=child.pk)
    assert restored.parent is None and restored.codings.count() == 1


def test_codings_of_a_deleted_interview_cannot_come_back_and_it_says_so(
    client, project, branch, sam
):
    client.force_login(sam)
    delete(client, branch)
    project.interviews.get(title="Entretien 2").delete()

    response = restore(client, TrashedCode.objects.get())

    assert "1 coding could not come back" in response.content.decode()
    assert Coding.objects.count() == 2


# Merging, then restoring


@pytest.fixture
def merged(client, project, interview, rita, sam):
    """« Écoute » (with a sub-code, a memo, an approved coding, and a coding that repeats one of
    the target's) merged by rita into « Relation ». Returns (source id, target, rows before)."""
    target = make_code(project, "Relation")
    source = make_code(project, "Écoute")
    make_code(project, "Au téléphone", source)
    approved = make_coding(interview, source, sam, 0, 10)
    ReviewEvent.objects.create(coding=approved, reviewer=rita, status="approved")
    Coding.objects.filter(pk=approved.pk).update(status="approved")
    make_coding(interview, target, rita, 20, 30)
    duplicate = make_coding(interview, source, rita, 20, 30)
    Memo.objects.create(project=project, coding=duplicate, body="Sur le doublon", author=rita)
    Memo.objects.create(project=project, code=source, body="Sur le code", author=sam)
    before = snapshot(project)
    client.force_login(rita)
    response = client.post(
        f"/projects/{project.pk}/codebook/{source.pk}/merge/", {"target": target.pk}, headers=HTMX
    )
    assert "codes-changed" in response["HX-Trigger"]
    return source.pk, target, before


def test_a_merge_is_in_the_trash_and_its_undo_puts_everything_back(client, project, merged):
    source_id, target, before = merged
    assert not Code.objects.filter(pk=source_id).exists()
    entry = TrashedCode.objects.get()
    assert (entry.kind, entry.merged_into, entry.memos, entry.subcodes) == ("merged", target, 2, 1)

    restore(client, entry)

    after = snapshot(project)
    assert after["codes"] == before["codes"]
    assert after["memos"] == before["memos"]
    # Every coding is back on its own code, the approved one approved again...
    keep = ("id", "code_id", "coder_id", "start", "end", "status", "text", "created_at")
    assert [{k: c[k] for k in keep} for c in after["codings"]] == [
        {k: c[k] for k in keep} for c in before["codings"]
    ]
    # ...and its history says so: sent back to review by the merge, approved again by the undo.
    approved = Coding.objects.get(code_id=source_id, status="approved")
    history = list(approved.reviews.order_by("pk").values_list("status", "undo"))
    assert history == [("approved", False), ("pending", False), ("approved", True)]


def test_a_merge_undo_keeps_a_review_decision_made_since(client, project, merged, sam):
    source_id, target, _before = merged
    moved = Coding.objects.get(code=target, coder=sam)
    assert moved.status == "pending"  # the merge sent it back to review
    ReviewEvent.objects.create(coding=moved, reviewer=sam, status="needs_change", comment="Non")
    Coding.objects.filter(pk=moved.pk).update(status="needs_change")

    restore(client, TrashedCode.objects.get())

    moved.refresh_from_db()
    assert (moved.code_id, moved.status) == (source_id, "needs_change")


def test_a_merge_into_its_parent_undoes_with_the_namesake_sub_code(client, project, rita):
    """« Écoute » (under « Relation », with a sub-code « écoute ») merged into its parent: the
    sub-code lands beside where « Écoute » was; the undo puts both back, without a name clash."""
    parent = make_code(project, "Relation")
    source = make_code(project, "Écoute", parent)
    child = make_code(project, "écoute", source)
    client.force_login(rita)
    client.post(
        f"/projects/{project.pk}/codebook/{source.pk}/merge/", {"target": parent.pk}, headers=HTMX
    )

    restore(client, TrashedCode.objects.get())

    assert Code.objects.get(pk=source.pk).name == "Écoute"
    child.refresh_from_db()
    assert child.parent_id == source.pk


# Who sees and restores what


def test_researchers_see_and_restore_only_their_own_deletions(
    client, project, interview, rita, sam
):
    mine, theirs = make_code(project, "À moi"), make_code(project, "À Sam")
    trash.delete(mine, rita)
    trash.delete(theirs, sam)
    client.force_login(rita)

    page = client.get(f"/projects/{project.pk}/trash/", headers=EN).content.decode()

    assert "À moi" in page and "À Sam" not in page
    theirs_entry = TrashedCode.objects.get(name="À Sam")
    response = client.post(f"/projects/{project.pk}/trash/{theirs_entry.pk}/restore/")
    assert response.status_code == 404 and not Code.objects.filter(name="À Sam").exists()
    restore(client, TrashedCode.objects.get(name="À moi"))
    assert Code.objects.filter(name="À moi").exists()


@pytest.mark.parametrize("member", ["sam", "ada"])
def test_supervisors_and_admins_see_and_restore_everyones(client, project, rita, member, request):
    trash.delete(make_code(project, "À Rita"), rita)
    client.force_login(request.getfixturevalue(member))
    page = client.get(f"/projects/{project.pk}/trash/", headers=EN).content.decode()
    assert "À Rita" in page and ">Restore</button>" in page
    restore(client, TrashedCode.objects.get())
    assert Code.objects.filter(name="À Rita").exists()


def test_outsiders_get_404_on_the_trash_and_its_entries(client, project, rita, olga):
    trash.delete(make_code(project, "À Rita"), rita)
    entry = TrashedCode.objects.get()
    client.force_login(olga)
    assert client.get(f"/projects/{project.pk}/trash/").status_code == 404
    assert client.post(f"/projects/{project.pk}/trash/{entry.pk}/restore/").status_code == 404
    assert TrashedCode.objects.exists()


def test_an_entry_of_another_project_is_404(client, project, other_project, olga, ada):
    trash.delete(make_code(other_project, "Ailleurs"), olga)
    entry = TrashedCode.objects.get()
    client.force_login(ada)
    assert client.post(f"/projects/{project.pk}/trash/{entry.pk}/restore/").status_code == 404


def test_restore_refuses_get(client, project, rita):
    trash.delete(make_code(project), rita)
    client.force_login(rita)
    entry = TrashedCode.objects.get()
    assert client.get(f"/projects/{project.pk}/trash/{entry.pk}/restore/").status_code == 405


def test_an_empty_trash_says_so(client, project, rita):
    client.force_login(rita)
    assert (
        "The trash is empty."
        in client.get(f"/projects/{project.pk}/trash/", headers=EN).content.decode()
    )


# Purging


def test_purge_removes_entries_past_the_kept_days_only(project, rita, settings):
    settings.VERBATIM_TRASH_DAYS = 30
    old, recent = (trash.delete(make_code(project, name), rita) for name in ("Vieux", "Récent"))
    TrashedCode.objects.filter(pk=old.pk).update(at=timezone.now() - timedelta(days=31))
    TrashedCode.objects.filter(pk=recent.pk).update(at=timezone.now() - timedelta(days=29))
    out = StringIO()

    call_command("purge_trash", stdout=out)

    assert list(TrashedCode.objects.values_list("name", flat=True)) == ["Récent"]
    assert "Purged 1 trash entries older than 30 days." in out.getvalue()


def test_a_merge_into_a_code_deleted_since_undoes_once_that_code_is_back(
    client, project, merged, sam
):
    source_id, target, _before = merged
    client.force_login(sam)
    delete(client, target)  # the merged codings go with it, into the trash
    restore(client, TrashedCode.objects.get(kind="deleted"))
    restore(client, TrashedCode.objects.get(kind="merged"))

    assert Code.objects.get(pk=source_id).codings.count() == 2  # its own, and the duplicate
    assert Code.objects.get(pk=target.pk).codings.count() == 1
