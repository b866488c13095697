"""Merging a code into another from the codebook sidebar."""

import pytest

from coding.models import Code, Coding, CodingEvent, Memo
from tests.factories import TRANSCRIPT, make_code, make_coding, make_interview

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true", "Accept-Language": "en"}


def merge(client, source, target_id):
    url = f"/projects/{source.project_id}/codebook/{source.pk}/merge/"
    return client.post(url, {"target": target_id}, headers=HTMX)


def test_the_merge_form_offers_every_code_but_the_source_and_its_sub_codes(client, project, rita):
    source = make_code(project, "Proximité verbale")
    child = make_code(project, "Suggestion légitime", source)
    target = make_code(project, "Voisinage courtois")
    client.force_login(rita)
    page = client.get(
        f"/projects/{project.pk}/codebook/{source.pk}/merge/", headers=HTMX
    ).content.decode()
    assert "<html" not in page and "Merge “Proximité verbale” into another code" in page
    assert f'<option value="{target.pk}">' in page
    assert f'<option value="{source.pk}"' not in page and f'<option value="{child.pk}"' not in page


def test_merging_moves_codings_sub_codes_and_memos_and_deletes_the_source(
    client, project, interview, rita, sam
):
    source = make_code(project, "Proximité physique")
    target = make_code(project, "Voisinage courtois")
    child = make_code(project, "Sur le banc", source)
    moved = make_coding(interview, source, rita, 0, 10)
    kept = make_coding(interview, target, rita, 20, 30)
    duplicate = make_coding(interview, source, rita, 20, 30)
    by_someone_else = make_coding(interview, source, sam, 20, 30)
    code_memo = Memo.objects.create(
        project=project, code=source, body="Pourquoi ce code", author=rita
    )
    coding_memo = Memo.objects.create(
        project=project, coding=duplicate, body="Beau passage", author=rita
    )
    client.force_login(sam)

    response = merge(client, source, target.pk)

    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert "codes-changed" in response["HX-Trigger"] and response["HX-Retarget"] == "#codebook"
    assert not Code.objects.filter(pk=source.pk).exists()
    assert f'id="code-{source.pk}"' not in page and f'id="code-{child.pk}"' in page
    assert set(target.codings.values_list("pk", flat=True)) == {
        moved.pk,
        kept.pk,
        by_someone_else.pk,
    }
    assert not Coding.objects.filter(pk=duplicate.pk).exists()
    child.refresh_from_db()
    code_memo.refresh_from_db()
    coding_memo.refresh_from_db()
    assert child.parent == target
    assert code_memo.code == target
    assert coding_memo.coding_id == kept.pk  # the note follows the passage it was about


def test_the_audit_trail_names_who_merged(client, project, interview, rita, sam):
    source = make_code(project, "Proximité physique")
    target = make_code(project, "Voisinage courtois")
    moved = make_coding(interview, source, rita, 0, 10)
    make_coding(interview, target, rita, 20, 30)
    duplicate = make_coding(interview, source, rita, 20, 30)
    client.force_login(sam)
    merge(client, source, target.pk)
    update = CodingEvent.objects.get(coding_id=moved.pk, action=CodingEvent.Action.UPDATE)
    delete = CodingEvent.objects.get(coding_id=duplicate.pk, action=CodingEvent.Action.DELETE)
    assert update.actor == sam and delete.actor == sam
    assert (update.before["code_id"], update.after["code_id"]) == (source.pk, target.pk)


def test_a_sub_code_name_the_target_already_has_blocks_the_merge(client, project, interview, rita):
    source = make_code(project, "Proximité physique")
    target = make_code(project, "Voisinage courtois")
    make_code(project, "Sur le banc", source)
    make_code(project, "SUR LE BANC", target)
    coding = make_coding(interview, source, rita, 0, 10)
    client.force_login(rita)
    response = merge(client, source, target.pk)
    page = response.content.decode()
    assert response.status_code == 200 and "HX-Trigger" not in response
    assert "“Voisinage courtois” already has sub-codes named « Sur le banc »" in page
    assert Code.objects.filter(pk=source.pk).exists()
    coding.refresh_from_db()
    assert coding.code == source


def test_a_code_is_not_merged_into_itself_or_its_sub_codes(client, project, rita):
    source = make_code(project, "Proximité physique")
    child = make_code(project, "Sur le banc", source)
    client.force_login(rita)
    for target in (source, child):
        response = merge(client, source, target.pk)
        assert response.status_code == 200 and "Select a valid choice." in response.content.decode()
    assert Code.objects.count() == 2


def test_a_code_of_another_project_is_not_a_target(client, project, other_project, rita):
    source = make_code(project)
    elsewhere = make_code(other_project)
    client.force_login(rita)
    assert "Select a valid choice." in merge(client, source, elsewhere.pk).content.decode()
    assert Code.objects.filter(pk=source.pk).exists()


def test_a_code_merges_into_its_parent_even_with_a_sub_code_of_its_own_name(client, project, rita):
    """Its sub-code « Écoute » lands next to where « Écoute » itself was: no clash once it is gone."""
    parent = make_code(project, "Relation")
    source = make_code(project, "Écoute", parent)
    child = make_code(project, "écoute", source)
    client.force_login(rita)
    response = merge(client, source, parent.pk)
    assert "codes-changed" in response["HX-Trigger"]
    child.refresh_from_db()
    assert child.parent == parent and not Code.objects.filter(pk=source.pk).exists()


def test_only_the_same_passage_of_the_same_interview_is_a_duplicate(
    client, project, interview, rita, sam
):
    second = make_interview(project, TRANSCRIPT + "\n\nFin.", "Entretien 2")
    source = make_code(project, "Proximité physique")
    target = make_code(project, "Voisinage courtois")
    make_coding(second, source, sam, 5, 9)
    make_coding(second, target, sam, 5, 9)
    make_coding(interview, source, rita, 5, 9)
    client.force_login(rita)
    merge(client, source, target.pk)
    assert target.codings.count() == 2


def test_merging_is_a_post(client, project, rita):
    source = make_code(project)
    client.force_login(rita)
    response = client.put(f"/projects/{project.pk}/codebook/{source.pk}/merge/")
    assert response.status_code == 405
