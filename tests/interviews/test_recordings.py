"""An interview's recording: attached by admins (its bytes checked before it is stored), served to
members with HTTP ranges, deleted from disk with its row (interviews/recordings.py,
interviews/recording_views.py, verbatim/ranges.py, verbatim/uploads.py)."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from interviews.models import Recording
from interviews.recordings import Cue, passage_times, timeline
from tests.factories import make_interview, make_recording, make_user, time_turns, wav_bytes
from verbatim import ranges

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def stored(media: Path) -> list[Path]:
    return sorted(path for path in media.rglob("*") if path.is_file())


def url(interview) -> str:
    return f"/projects/{interview.project_id}/interviews/{interview.pk}/recording/"


def upload(client, interview, name: str, data: bytes):
    return client.post(url(interview), {"recording": SimpleUploadedFile(name, data)}, follow=True)


def said(response) -> str:
    return " ".join(str(message) for message in response.context["messages"])


# Attaching


def test_an_admin_attaches_a_wav_stored_under_a_random_name(client, ada, interview, media):
    client.force_login(ada)
    response = upload(client, interview, "Entretien Martine 12 mars.wav", wav_bytes(2))
    recording = Recording.objects.get(interview=interview)
    assert recording.original_name == "Entretien Martine 12 mars.wav"
    assert recording.content_type == "audio/wav"
    assert recording.size == len(wav_bytes(2))
    assert recording.duration.total_seconds() == pytest.approx(2)
    assert recording.uploaded_by == ada
    [path] = stored(media)
    assert path.read_bytes() == wav_bytes(2)
    assert "Martine" not in path.name and path.suffix == ".wav" and len(path.stem) >= 32
    assert "est maintenant l’enregistrement de cet entretien" in said(response)
    assert response.redirect_chain[-1][0].endswith(f"/interviews/{interview.pk}/#recording")


def test_a_large_upload_streams_to_a_temporary_file_and_is_read_from_there(
    client, ada, interview, media, settings
):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # the WAV goes to a temporary file, not memory
    client.force_login(ada)
    upload(client, interview, "long.wav", wav_bytes(3))
    assert Recording.objects.get(interview=interview).duration.total_seconds() == pytest.approx(3)
    assert [path.read_bytes() for path in stored(media)] == [wav_bytes(3)]


def test_a_text_file_named_mp3_is_refused_and_nothing_is_stored(client, ada, interview, media):
    client.force_login(ada)
    response = upload(client, interview, "entretien.mp3", b"Intervieweuse : Bonjour.\n" * 50)
    assert not Recording.objects.exists() and stored(media) == []
    message = said(response)
    assert "« entretien.mp3 » n’est pas un enregistrement audio ou vidéo" in message
    assert "MP3, M4A, MP4, WAV, OGG ou WebM" in message


def test_an_empty_file_is_refused(client, ada, interview, media):
    client.force_login(ada)
    response = upload(client, interview, "vide.wav", b"")
    assert not Recording.objects.exists() and stored(media) == []
    assert "« vide.wav » est vide" in said(response)


def test_a_file_over_the_limit_is_refused_before_it_is_stored(
    client, ada, interview, media, settings
):
    settings.VERBATIM_MAX_RECORDING_BYTES = 4096
    client.force_login(ada)
    response = upload(client, interview, "trop long.wav", wav_bytes(2))  # 16 kB
    assert not Recording.objects.exists() and stored(media) == []
    message = said(response)
    assert "« trop long.wav » dépasse la limite de 4,0\xa0Kio" in message
    assert "VERBATIM_MAX_RECORDING_MB" in message


def test_the_size_is_checked_again_by_the_service(settings):
    from interviews.recordings import Refused, check_size

    settings.VERBATIM_MAX_RECORDING_BYTES = 10
    check_size("a.wav", 10)
    with pytest.raises(Refused, match="a.wav"):
        check_size("a.wav", 11)
    with pytest.raises(Refused, match="vide"):
        check_size("a.wav", 0)


def test_a_request_declaring_a_body_past_the_ceiling_keeps_no_byte_of_its_file(rf, settings):
    from django.core.files.uploadhandler import StopUpload

    from verbatim.uploads import FIELDS_ALLOWANCE, SizeCeiling

    settings.VERBATIM_MAX_RECORDING_BYTES = 1000
    request = rf.post("/")
    handler = SizeCeiling(request)
    handler.handle_raw_input(None, {}, 1000 + FIELDS_ALLOWANCE + 1, b"--")
    with pytest.raises(StopUpload):
        handler.new_file("recording", "énorme.mp4", "video/mp4", None)
    assert request.upload_refused == "énorme.mp4"


def test_without_a_file_the_admin_is_told_to_choose_one(client, ada, interview):
    client.force_login(ada)
    response = client.post(url(interview), follow=True)
    assert "Choisissez d’abord le fichier de l’enregistrement" in said(response)


def test_replacing_a_recording_deletes_the_former_file_once_committed(
    client, ada, interview, media, django_capture_on_commit_callbacks
):
    client.force_login(ada)
    first = make_recording(interview)
    old_path = Path(first.file.path)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, interview, "nouveau.wav", wav_bytes(1))
    assert Recording.objects.get(interview=interview).original_name == "nouveau.wav"
    assert not old_path.exists()
    assert [path.read_bytes() for path in stored(media)] == [wav_bytes(1)]


def test_an_admin_removes_the_recording_and_its_file(
    client, ada, interview, media, django_capture_on_commit_callbacks
):
    client.force_login(ada)
    make_recording(interview)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url(interview) + "delete/", follow=True)
    assert not Recording.objects.exists() and stored(media) == []
    assert "L’enregistrement a été retiré" in said(response)


@pytest.mark.parametrize("deleted", ["interview", "project"])
def test_the_file_is_deleted_from_disk_with_its_interview_or_project(
    interview, media, deleted, django_capture_on_commit_callbacks
):
    make_recording(interview)
    assert len(stored(media)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        (interview if deleted == "interview" else interview.project).delete()
    assert stored(media) == []


def test_a_rolled_back_deletion_keeps_the_file(interview, media):
    from django.db import transaction

    make_recording(interview)
    with transaction.atomic():
        interview.delete()
        transaction.set_rollback(True)
    assert len(stored(media)) == 1 and Recording.objects.exists()


def test_only_admins_attach_or_remove(client, rita, sam, interview, media):
    make_recording(interview)
    for member in (rita, sam):
        client.force_login(member)
        assert upload(client, interview, "a.wav", wav_bytes(1)).status_code == 403
        assert client.post(url(interview) + "delete/").status_code == 403
    assert Recording.objects.get().original_name == "entretien.wav" and len(stored(media)) == 1


def test_an_outsider_gets_404_for_the_recording_and_its_actions(client, olga, interview):
    make_recording(interview)
    client.force_login(olga)
    assert client.get(url(interview)).status_code == 404
    assert upload(client, interview, "a.wav", wav_bytes(1)).status_code == 404
    assert client.post(url(interview) + "delete/").status_code == 404
    assert Recording.objects.exists()


def test_another_projects_id_with_this_interview_answers_404(
    client, olga, other_project, interview
):
    make_recording(interview)
    client.force_login(olga)
    response = client.get(f"/projects/{other_project.pk}/interviews/{interview.pk}/recording/")
    assert response.status_code == 404


def test_an_interview_without_a_recording_answers_404(client, rita, interview):
    client.force_login(rita)
    assert client.get(url(interview)).status_code == 404


# Serving with ranges


@pytest.fixture
def served(client, rita, interview):
    data = wav_bytes(2)
    make_recording(interview, data)
    client.force_login(rita)

    def get(range_header=None, method="get"):
        headers = {"Range": range_header} if range_header else {}
        response = getattr(client, method)(url(interview), headers=headers)
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return response, body

    return data, get


def test_without_a_range_the_whole_file_is_streamed(served):
    data, get = served
    response, body = get()
    assert response.status_code == 200 and response.streaming
    assert response.block_size == ranges.CHUNK  # read 64 kB at a time, as a range is
    assert body == data and response["Content-Length"] == str(len(data))
    assert response["Content-Type"] == "audio/wav"
    assert response["Accept-Ranges"] == "bytes" and response["Cache-Control"] == "private"


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [("bytes=0-9", 0, 9), ("bytes=100-", 100, None), ("bytes=-20", -20, None)],
)
def test_a_range_is_answered_206_with_exactly_its_bytes(served, header, first, last):
    data, get = served
    response, body = get(header)
    expected = data[first:] if last is None else data[first : last + 1]
    start = first % len(data)
    assert response.status_code == 206
    assert body == expected
    assert response["Content-Length"] == str(len(expected))
    assert response["Content-Range"] == f"bytes {start}-{start + len(expected) - 1}/{len(data)}"
    assert response["Accept-Ranges"] == "bytes" and response["Cache-Control"] == "private"


def test_an_open_range_is_answered_one_part_at_a_time(served, monkeypatch):
    """`bytes=N-`, as a player asks to play from N, gets PART bytes; the part after it, asked from
    where this one ends, carries on; the last one ends with the file. A range asked with its end is
    sent whole, however long."""
    monkeypatch.setattr(ranges, "PART", 5000)
    data, get = served
    received, first = b"", 100
    while first < len(data):
        response, body = get(f"bytes={first}-")
        last = min(first + 5000, len(data)) - 1
        assert response.status_code == 206 and body == data[first : last + 1]
        assert response["Content-Range"] == f"bytes {first}-{last}/{len(data)}"
        assert response["Content-Length"] == str(len(body))
        received += body
        first = last + 1
    assert received == data[100:] and len(data) > 3 * 5000
    response, body = get(f"bytes=100-{len(data) - 1}")
    assert response.status_code == 206 and body == data[100:]


def test_a_range_past_the_end_is_cut_at_the_end(served):
    data, get = served
    response, body = get(f"bytes={len(data) - 5}-{len(data) + 1000}")
    assert response.status_code == 206 and body == data[-5:]
    assert response["Content-Range"] == f"bytes {len(data) - 5}-{len(data) - 1}/{len(data)}"


@pytest.mark.parametrize("header", ["bytes={size}-", "bytes={size}-{bigger}", "bytes=-0"])
def test_an_unsatisfiable_range_is_416_with_the_size(served, header):
    data, get = served
    response, body = get(header.format(size=len(data), bigger=len(data) + 9))
    assert response.status_code == 416 and body == b""
    assert response["Content-Range"] == f"bytes */{len(data)}"


@pytest.mark.parametrize(
    "header",
    [
        "bytes=0-1,5-9",  # several ranges: no media player asks for them
        "bytes=9-3",  # backwards
        "items=0-9",  # another unit
        "bytes=abc",
        "bytes=" + "9" * 5000,  # a number past any file, and past int()'s digit limit
    ],
)
def test_a_range_we_do_not_serve_is_ignored_and_the_whole_file_sent(served, header):
    data, get = served
    response, body = get(header)
    assert response.status_code == 200 and body == data


def test_a_huge_offset_is_unsatisfiable_not_an_error(served):
    data, get = served
    response, _body = get("bytes=9999999999999999999-")
    assert response.status_code == 416


def test_head_answers_the_length_without_the_body(served):
    data, get = served
    response, body = get(method="head")
    assert response.status_code == 200 and body == b""
    assert response["Content-Length"] == str(len(data))


def test_a_missing_file_answers_404(client, rita, interview, media):
    recording = make_recording(interview)
    Path(recording.file.path).unlink()
    client.force_login(rita)
    assert client.get(url(interview)).status_code == 404


# Time


def test_the_timeline_takes_marks_and_the_timed_turns_no_mark_starts(interview):
    turns = time_turns(interview, seconds_apart=2)
    other = make_interview(interview.project, title="Autre", text="Q : Bonjour.\n\nR : Salut.")
    cues = timeline([interview.pk, other.pk])
    assert [(c.start, c.time) for c in cues[interview.pk]] == [
        (t.start, 2.0 * i) for i, t in enumerate(turns)
    ]
    assert cues[other.pk] == []


def test_a_passage_plays_from_the_cue_before_it_to_the_cue_after_it():
    cues = [Cue(0, 10, 0.0, 2.5), Cue(12, 20, 3.0, 4.0), Cue(22, 30, 5.0, 7.5)]
    assert passage_times(cues, 14, 18) == (3.0, 5.0)  # inside one cue: up to the next one
    assert passage_times(cues, 5, 15) == (0.0, 5.0)  # across two
    assert passage_times(cues, 12, 22) == (3.0, 5.0)  # the next cue starts where it ends
    assert passage_times(cues, 24, 28) == (5.0, 7.5)  # the last cue: to its end
    assert passage_times([Cue(5, 9, 1.0, None)], 6, 8) == (1.0, None)  # to the end
    assert passage_times([Cue(5, 9, 1.0, None)], 0, 3) is None  # before any timed text


# The pages


def test_the_workspace_plays_the_recording_and_seeks_from_each_turns_time(client, rita, interview):
    turns = time_turns(interview)
    make_recording(interview)
    client.force_login(rita)
    page = client.get(f"/projects/{interview.project_id}/interviews/{interview.pk}/")
    html = page.content.decode()
    recording = Recording.objects.get()
    assert f'<source src="{url(interview)}?v={recording.pk}" type="audio/wav">' in html
    assert 'id="recording-player"' in html and "<audio" in html
    assert html.count('class="seek"') == len(turns)
    assert 'data-time="2.000" aria-label="Lire à partir de 0:00:02"' in html
    assert 'name="recording"' not in html  # researchers do not attach recordings


def test_the_workspace_offers_admins_to_attach_one(client, ada, interview):
    client.force_login(ada)
    html = client.get(f"/projects/{interview.project_id}/interviews/{interview.pk}/").content
    assert b'name="recording"' in html and b'class="seek"' not in html


def test_an_excerpt_of_timed_text_can_be_listened_to(client, rita, interview, code):
    from tests.factories import make_coding

    turns = time_turns(interview)
    make_recording(interview)
    make_coding(interview, code, rita, turns[1].start + 3, turns[1].start + 20)
    client.force_login(rita)
    html = client.get(f"/projects/{interview.project_id}/excerpts/").content.decode()
    recording = Recording.objects.get()
    assert (
        f'class="play-passage" data-from="2.000" data-to="4.000" '
        f'data-src="{url(interview)}?v={recording.pk}"'
    ) in html


def test_a_new_member_sees_no_play_button_without_a_recording(client, project, interview, code):
    from tests.factories import make_coding

    rose = make_user("rose", project, "researcher")
    time_turns(interview)
    make_coding(interview, code, rose, 5, 20)
    client.force_login(rose)
    assert b"play-passage" not in client.get(f"/projects/{project.pk}/excerpts/").content


def test_the_inspector_offers_to_listen_to_a_timed_coding(client, rita, interview, code):
    from tests.factories import make_coding

    turns = time_turns(interview)
    coding = make_coding(interview, code, rita, turns[2].start, turns[2].end)
    client.force_login(rita)
    inspect = f"/projects/{interview.project_id}/interviews/{interview.pk}/codings/inspect/"
    assert b"play-passage" not in client.get(f"{inspect}?ids={coding.pk}").content
    make_recording(interview)
    html = client.get(f"{inspect}?ids={coding.pk}").content.decode()
    # From its turn's time to the next turn's; the page's own player plays it (no data-src).
    assert 'class="play-passage" data-from="4.000" data-to="6.000" aria-pressed="false"' in html
