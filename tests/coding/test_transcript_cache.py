"""The interview page's transcript is cached by everything it shows (coding.workspace.transcript):
after any change, the page a member gets equals the one built afresh, and never shows a coding
they may not see, however the cache was filled before."""

import pytest

from coding import workspace
from coding.models import CodingRound
from interviews.models import Membership, Speaker
from tests.factories import TRANSCRIPT, make_coding, make_interview, make_user

pytestmark = pytest.mark.django_db


def transcript(client, interview) -> str:
    """The transcript as the page's htmx fragment sends it (the coder filter's reload)."""
    url = f"/projects/{interview.project_id}/interviews/{interview.pk}/"
    page = client.get(url, headers={"HX-Request": "true"}).content.decode()
    return page[page.index('<section class="turn') : page.rindex("</section>")]


def afresh(client, interview) -> str:
    workspace._transcript.cache_clear()
    return transcript(client, interview)


@pytest.fixture(autouse=True)
def empty_cache():
    workspace._transcript.cache_clear()


def test_a_page_opened_again_unchanged_reuses_the_transcript(client, interview, code, rita):
    make_coding(interview, code, rita, 16, 60)
    client.force_login(rita)
    first = transcript(client, interview)
    hits = workspace._transcript.cache_info().hits
    assert transcript(client, interview) == first
    assert workspace._transcript.cache_info().hits == hits + 1


def test_every_change_to_what_it_shows_is_shown_at_once(client, interview, code, rita, sam):
    make_coding(interview, code, rita, 16, 60)
    client.force_login(rita)
    transcript(client, interview)

    added = make_coding(interview, code, sam, 100, 130)  # another coder's work
    shown = transcript(client, interview)
    assert f'data-codings="{added.pk}"' in shown and shown == afresh(client, interview)

    code.name = "Voisinage renommé"
    code.save()
    shown = transcript(client, interview)
    assert "Voisinage renommé — sam" in shown and shown == afresh(client, interview)

    sam.first_name, sam.last_name = "Samuel", "Roy"
    sam.save()
    shown = transcript(client, interview)
    assert "Voisinage renommé — Samuel Roy" in shown and shown == afresh(client, interview)

    Speaker.objects.filter(interview=interview, name="Martine").update(name="Sophie")
    shown = transcript(client, interview)
    assert 'speaker-name">Sophie<' in shown and "Martine<" not in shown
    assert shown == afresh(client, interview)

    added.delete()
    shown = transcript(client, interview)
    assert f'data-codings="{added.pk}"' not in shown and shown == afresh(client, interview)


def test_a_blind_coder_never_gets_the_transcript_cached_for_someone_else(
    client, project, interview, code, rita, sam
):
    remi = make_user("remi", project, Membership.Role.RESEARCHER)
    hidden = make_coding(interview, code, remi, 100, 130)
    own = make_coding(interview, code, rita, 16, 60)
    round_ = CodingRound.objects.create(project=project, name="Aveugle", created_by=sam)
    round_.coders.set([rita, remi])
    round_.interviews.set([interview])
    client.force_login(sam)  # a supervisor sees both: that HTML is cached first
    assert f'data-codings="{hidden.pk}"' in transcript(client, interview)

    client.force_login(rita)
    shown = transcript(client, interview)
    assert f'data-codings="{own.pk}"' in shown
    assert f'data-codings="{hidden.pk}"' not in shown and "remi" not in shown


def test_the_same_text_in_another_project_shows_none_of_this_projects_codings(
    client, interview, code, rita, other_project, olga
):
    coded = make_coding(interview, code, rita, 16, 60)
    client.force_login(rita)
    assert f'data-codings="{coded.pk}"' in transcript(client, interview)

    twin = make_interview(other_project, text=TRANSCRIPT)
    client.force_login(olga)
    shown = transcript(client, twin)
    assert "<mark" not in shown and "rita" not in shown
