"""The correction pages: /projects/P/interviews/I/correct/…, …/versions/, …/corrected-codings/."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from coding.models import Coding, DetachedCoding, Memo, TextChange
from corrections.models import TextVersion
from interviews.models import Attribute, AttributeValue, Turn
from tests.factories import make_coding

pytestmark = pytest.mark.django_db
HTMX = {"HX-Request": "true"}


@pytest.fixture
def client(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the pages in English (French is the default)
    return client


def base(project, interview) -> str:
    return f"/projects/{project.pk}/interviews/{interview.pk}"


def turn_with(interview, words) -> Turn:
    for turn in Turn.objects.filter(interview=interview).order_by("start"):
        if words in interview.text[turn.start : turn.end]:
            return turn
    raise AssertionError(words)


def passage_url(project, interview, turn) -> str:
    return f"{base(project, interview)}/correct/{turn.start}-{turn.end}/"


def test_the_correction_page_shows_each_turn_with_a_way_to_correct_it(
    client, project, interview, rita
):
    client.force_login(rita)
    page = client.get(f"{base(project, interview)}/correct/").content.decode()
    turn = turn_with(interview, "même banc")
    assert f'href="{passage_url(project, interview, turn)}"' in page
    assert "Je m&#x27;assois pas loin" in page


def test_a_turn_form_comes_as_a_fragment_for_htmx(client, project, interview, rita):
    client.force_login(rita)
    turn = turn_with(interview, "même banc")
    fragment = client.get(passage_url(project, interview, turn), headers=HTMX).content.decode()
    assert "<html" not in fragment
    assert 'name="words"' in fragment and 'name="version" value="1"' in fragment


def test_saving_a_turn_makes_a_version_and_says_what_happened_to_the_codings(
    client, project, interview, code, rita, sam
):
    text = interview.text
    start = text.index("même banc")
    coding = make_coding(interview, code, rita, start, start + len("même banc"))
    turn = turn_with(interview, "même banc")
    words = text[turn.start : turn.end].replace("même banc", "grand banc")
    client.force_login(sam)
    response = client.post(
        passage_url(project, interview, turn),
        {"words": words, "speaker": turn.speaker_id, "version": 1, "reason": "mal entendu"},
        headers=HTMX,
    )
    assert response.status_code == 204
    assert response["HX-Redirect"].endswith(f"/correct/?version=2#at-{turn.start}")
    interview.refresh_from_db()
    assert "grand banc" in interview.text and interview.text_version == 2
    assert TextVersion.objects.get(interview=interview, number=2).reason == "mal entendu"
    coding.refresh_from_db()
    assert coding.text == "grand banc"
    page = client.get(f"{base(project, interview)}/correct/").content.decode()
    assert "Version 2 saved." in page and "flagged for its coder" in page


def test_a_save_over_a_newer_version_is_refused_and_keeps_the_typed_words(
    client, project, interview, rita, sam
):
    turn = turn_with(interview, "même banc")
    client.force_login(rita)
    first = interview.text[turn.start : turn.end].replace("banc", "mur")
    client.post(passage_url(project, interview, turn), {"words": first, "version": 1})
    mine = interview.text[turn.start : turn.end].replace("semaines", "mois")
    client.force_login(sam)
    page = client.post(
        passage_url(project, interview, turn), {"words": mine, "version": 1}
    ).content.decode()
    assert "meanwhile" in page
    assert "des mois avant" in page  # what sam typed is still in the form
    interview.refresh_from_db()
    assert "mois" not in interview.text


def test_a_passage_that_moved_sends_back_to_the_page(client, project, interview, rita):
    client.force_login(rita)
    response = client.get(f"{base(project, interview)}/correct/5-999999/")
    assert response.status_code == 302


def test_the_whole_text_shows_the_differences_before_saving(client, project, interview, rita):
    client.force_login(rita)
    url = f"{base(project, interview)}/correct/text/"
    new = interview.text.replace("café", "thé")
    preview = client.post(url, {"text": new, "version": 1}).content.decode()
    assert "<del>café</del><ins>thé</ins>" in preview or "<del>caf" in preview
    interview.refresh_from_db()
    assert interview.text_version == 1
    client.post(url, {"text": new, "version": 1, "confirm": "1"})
    interview.refresh_from_db()
    assert interview.text_version == 2 and "thé" in interview.text


def test_a_corrected_file_is_read_pseudonymised_and_shown_as_differences(
    client, project, interview, ada
):
    project.pseudonyms.create(real_name="Martine", pseudonym="Claire")
    client.force_login(ada)
    data = interview.text.replace("café", "chocolat").encode("utf-8")
    page = client.post(
        f"{base(project, interview)}/correct/upload/",
        {"file": SimpleUploadedFile("corrige.txt", data, content_type="text/plain")},
    ).content.decode()
    assert "<ins>" in page and "chocolat" in page
    assert "Claire" in page  # the replacement list applies to a corrected file too


def test_an_unreadable_corrected_file_is_refused_with_a_reason(client, project, interview, ada):
    client.force_login(ada)
    page = client.post(
        f"{base(project, interview)}/correct/upload/",
        {"file": SimpleUploadedFile("corrige.doc", b"\xd0\xcf\x11\xe0", content_type="x")},
    ).content.decode()
    assert ".doc" in page and "docx" in page


def test_the_history_lists_versions_and_restores_one(client, project, interview, rita):
    client.force_login(rita)
    url = f"{base(project, interview)}/correct/text/"
    original = interview.text
    client.post(url, {"text": original.replace("café", "thé"), "version": 1, "confirm": "1"})
    page = client.get(f"{base(project, interview)}/versions/?version=2").content.decode()
    assert "Restore version 1" in page and "<ins>th" in page
    client.post(f"{base(project, interview)}/versions/1/restore/", {"version": 2})
    interview.refresh_from_db()
    assert interview.text == original and interview.text_version == 3


def test_a_reader_sees_the_history_but_cannot_correct(client, project, interview, rita):
    # Everyone in the project reads the history; correcting needs the right to code.
    from interviews.models import Membership

    Membership.objects.filter(user=rita).update(role="researcher")
    client.force_login(rita)
    assert client.get(f"{base(project, interview)}/versions/").status_code == 200


def test_changed_and_detached_codings_are_listed_for_checking(
    client, project, interview, code, rita, sam
):
    text = interview.text
    start = text.index("même banc")
    changed = make_coding(interview, code, rita, start, start + len("même banc"))
    start = text.index("pis j'attends")
    lost = make_coding(interview, code, rita, start, start + len("pis j'attends"))
    Memo.objects.create(project=project, author=rita, coding=lost, body="Patience")
    client.force_login(sam)
    new = text.replace("même banc", "grand banc").replace(", pis j'attends", "")
    client.post(
        f"{base(project, interview)}/correct/text/", {"text": new, "version": 1, "confirm": "1"}
    )
    client.force_login(rita)
    page = client.get(f"{base(project, interview)}/corrected-codings/").content.decode()
    assert "même banc" in page and "grand banc" in page and "pis j&#x27;attends" in page
    change = TextChange.objects.get()
    client.post(f"{base(project, interview)}/corrected-codings/changed/{change.pk}/seen/")
    change.refresh_from_db()
    assert change.seen_by == rita
    detached = DetachedCoding.objects.get()
    client.post(
        f"{base(project, interview)}/corrected-codings/detached/{detached.pk}/place/",
        {"words": "j'attends"},
    )
    assert "j'attends" not in text.replace(", pis j'attends", "")  # not there any more...
    assert DetachedCoding.objects.exists()  # ...so it stays detached, with a message
    client.post(
        f"{base(project, interview)}/corrected-codings/detached/{detached.pk}/place/",
        {"words": "Je m'assois"},
    )
    back = Coding.objects.get(pk=lost.pk)
    assert back.text == "Je m'assois" and Memo.objects.get().coding == back
    assert not DetachedCoding.objects.exists()
    assert Coding.objects.filter(pk=changed.pk).exists()


def test_only_its_coder_or_an_admin_places_a_detached_coding(
    client, project, interview, code, rita, sam
):
    start = interview.text.index("pis j'attends")
    make_coding(interview, code, rita, start, start + len("pis j'attends"))
    client.force_login(sam)
    new = interview.text.replace(", pis j'attends", "")
    client.post(
        f"{base(project, interview)}/correct/text/", {"text": new, "version": 1, "confirm": "1"}
    )
    detached = DetachedCoding.objects.get()
    url = f"{base(project, interview)}/corrected-codings/detached/{detached.pk}/let-go/"
    assert client.post(url).status_code == 403
    assert DetachedCoding.objects.exists()
    client.force_login(rita)
    client.post(url)
    assert not DetachedCoding.objects.exists()


def test_another_projects_interview_answers_404(client, project, interview, olga, other_project):
    client.force_login(olga)
    assert client.get(f"{base(project, interview)}/correct/").status_code == 404
    assert client.get(f"{base(project, interview)}/versions/").status_code == 404


def test_exports_list_detached_codings_and_say_so(client, project, interview, code, rita, sam):
    import csv
    import io

    # The interview's only coding is detached: its attribute values come for the detached row.
    organisation = Attribute.objects.create(project=project, name="Organisation")
    AttributeValue.objects.create(interview=interview, attribute=organisation, text="Refuge")
    start = interview.text.index("pis j'attends")
    make_coding(interview, code, rita, start, start + len("pis j'attends"))
    client.force_login(sam)
    new = interview.text.replace(", pis j'attends", "")
    client.post(
        f"{base(project, interview)}/correct/text/", {"text": new, "version": 1, "confirm": "1"}
    )
    response = client.get(f"/projects/{project.pk}/excerpts/export/?format=csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    (row,) = rows[1:]
    assert "pis j'attends" in row
    assert "Detached: its words were deleted in version 2" in row
    assert row[rows[0].index("Organisation")] == "Refuge"
    approved = client.get(f"/projects/{project.pk}/excerpts/export/?format=csv&status=approved")
    assert (
        len(list(csv.reader(io.StringIO(b"".join(approved.streaming_content).decode("utf-8-sig")))))
        == 1
    )


def test_the_coding_page_links_the_correction_and_flags_changed_words_in_the_inspector(
    client, project, interview, code, rita, sam
):
    text = interview.text
    start = text.index("même banc")
    changed = make_coding(interview, code, rita, start, start + len("même banc"))
    client.force_login(rita)
    page = client.get(f"{base(project, interview)}/").content.decode()
    assert (
        f'href="{base(project, interview)}/correct/"' in page and "corrected (version" not in page
    )
    client.force_login(sam)
    new = text.replace("même banc", "grand banc")
    client.post(
        f"{base(project, interview)}/correct/text/", {"text": new, "version": 1, "confirm": "1"}
    )
    client.force_login(rita)
    page = client.get(f"{base(project, interview)}/").content.decode()
    assert "corrected (version 2)" in page
    inspector = client.get(
        f"{base(project, interview)}/codings/inspect/?ids={changed.pk}", headers=HTMX
    ).content.decode()
    assert "Version 2 of the transcript changed its words" in inspector
    assert "« même banc » became « grand banc »" in inspector
    TextChange.objects.update(seen_by=rita, seen_at=TextVersion.objects.latest("pk").created_at)
    inspector = client.get(
        f"{base(project, interview)}/codings/inspect/?ids={changed.pk}", headers=HTMX
    ).content.decode()
    assert "changed its words" not in inspector


def test_a_coding_page_opened_before_a_correction_cannot_code_the_old_offsets(
    client, project, interview, code, rita, sam
):
    client.force_login(sam)
    new = interview.text.replace("même banc", "grand banc")
    client.post(
        f"{base(project, interview)}/correct/text/", {"text": new, "version": 1, "confirm": "1"}
    )
    client.force_login(rita)
    start = new.index("grand banc")
    passage = {"start": start, "end": start + len("grand banc"), "code": code.pk}
    stale = client.post(
        f"{base(project, interview)}/codings/", {**passage, "version": 1}, headers=HTMX
    )
    assert "The transcript was corrected since this page was opened" in stale.content.decode()
    assert not Coding.objects.exists()
    client.post(f"{base(project, interview)}/codings/", {**passage, "version": 2}, headers=HTMX)
    assert Coding.objects.get().text == "grand banc"
