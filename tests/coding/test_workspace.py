import re
from html import unescape

import pytest

from tests.factories import TRANSCRIPT

pytestmark = pytest.mark.django_db


def test_it_shows_each_turn_under_its_speaker(client, interview, rita):
    client.force_login(rita)
    page = client.get(
        f"/projects/{interview.project_id}/interviews/{interview.pk}/"
    ).content.decode()
    assert page.count('class="speaker-name">Martine<') == 2
    assert page.count('class="speaker-name">Intervieweuse<') == 2
    # The labels are shown as speaker names, not repeated inside the text.
    assert "Martine : Je" not in page


def test_every_paragraph_carries_its_exact_offset_in_the_stored_text(client, interview, rita):
    client.force_login(rita)
    page = client.get(
        f"/projects/{interview.project_id}/interviews/{interview.pk}/"
    ).content.decode()
    paragraphs = re.findall(r'<p id="p-\d+" data-start="(\d+)">(.*?)</p>', page, re.S)
    assert len(paragraphs) == 5
    for start, text in paragraphs:
        text = unescape(text)
        assert TRANSCRIPT[int(start) : int(start) + len(text)] == text


def test_markup_in_a_transcript_is_shown_as_text(client, project, rita):
    from tests.factories import make_interview

    interview = make_interview(
        project, text="<script>alert('x')</script> <b>gras</b>", title="Piège"
    )
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/interviews/{interview.pk}/").content.decode()
    assert "<script>alert" not in page and "&lt;script&gt;" in page


def test_an_unknown_interview_answers_404(client, project, rita):
    client.force_login(rita)
    assert client.get(f"/projects/{project.pk}/interviews/999999/").status_code == 404


def test_the_participant_panel_follows_the_attribute_order(client, interview, rita):
    from interviews.models import Attribute, AttributeValue

    for position, name in [(2, "Milieu"), (0, "Organisme"), (1, "Rôle")]:
        attribute = Attribute.objects.create(
            project=interview.project, name=name, position=position
        )
        AttributeValue.objects.create(interview=interview, attribute=attribute, text=f"v-{name}")
    client.force_login(rita)
    page = client.get(
        f"/projects/{interview.project_id}/interviews/{interview.pk}/"
    ).content.decode()
    assert page.index("<dt>Organisme<") < page.index("<dt>Rôle<") < page.index("<dt>Milieu<")


def test_the_popover_lists_shortcuts_then_every_code_escaped(client, project, interview, rita):
    from tests.factories import make_code, make_coding

    parent = make_code(project, 'Lien "fort"')
    child = make_code(project, "<i>Banc</i>", parent=parent)
    make_coding(interview, child, rita, 0, 5)  # the most used: shortcut 1
    client.force_login(rita)
    page = client.get(f"/projects/{project.pk}/interviews/{interview.pk}/").content.decode()
    choices = page[
        page.index('<ul id="code-choices"') : page.index("</ul>", page.index("code-choices"))
    ]
    first = re.search(r'<li role="option"[^>]*>.*?</li>', choices).group(0)
    assert f'id="choice-shortcut-{child.pk}"' in first and 'data-shortcut="1"' in first
    assert 'data-leaf="&lt;i&gt;Banc&lt;/i&gt;"' in first and "<kbd>1</kbd>" in first
    assert "Lien &quot;fort&quot; › &lt;i&gt;Banc&lt;/i&gt;" in first
    assert f'id="choice-all-{parent.pk}"' in choices and f'id="choice-all-{child.pk}"' in choices
    assert "<i>" not in choices
    assert (
        f'<option value="{child.pk}">&lt;i&gt;Banc&lt;/i&gt;</option>' in page
    )  # the stripes' menu


@pytest.mark.parametrize("first_look", [1, 2, 20])
@pytest.mark.parametrize("elsewhere", [0, 6], ids=["coded-here-last", "coded-elsewhere-since"])
def test_the_shortcuts_count_the_last_codings_in_this_project(
    project, interview, rita, monkeypatch, elsewhere, first_look
):
    """The window is the user's last USAGE_WINDOW codings of this project's codes, found by the
    first walk or, when the user coded more than RECENT_WALK times elsewhere since, by the merge
    of each code's newest: the same codes either way, and the other project's never. The merge
    reads a code again when its FIRST_LOOK newest all fall in the window (A and C with a first look
    of one or two, B too with one, as the window is not full then)."""
    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from coding import views
    from coding.models import Coding
    from tests.factories import make_code, make_coding, make_interview, make_project

    monkeypatch.setattr(views, "USAGE_WINDOW", 4)
    monkeypatch.setattr(views, "RECENT_WALK", 5)
    monkeypatch.setattr(views, "FIRST_LOOK", first_look)
    a, b, c = (make_code(project, name) for name in "ABC")
    other = make_project("Ailleurs")
    there = make_code(other, "Là-bas")
    moments = iter(timezone.now() - timedelta(minutes=100 - n) for n in range(100))
    # Oldest first: B three times (outside the window of four), then C, A, A, C.
    for code in [b, b, b, c, a, a, c]:
        coding = make_coding(interview, code, rita, 0, 5)
        Coding.objects.filter(pk=coding.pk).update(created_at=next(moments))
    elsewhere_interview = make_interview(other)
    for _ in range(elsewhere):
        coding = make_coding(elsewhere_interview, there, rita, 0, 5)
        Coding.objects.filter(pk=coding.pk).update(created_at=next(moments))
    with CaptureQueriesContext(connection) as queries:
        lately = views._lately(rita.pk, [a.pk, b.pk, c.pk])
    assert lately == [c.pk, a.pk, a.pk, c.pk]
    assert len(queries) == (2 if elsewhere else 1)  # the merge only when the walk fell short


def test_the_coder_menus_name_each_coder_of_the_interview_once(client, interview, code, rita, sam):
    from tests.factories import make_coding, make_user

    rita.first_name, rita.last_name = "Rita", "<Lévesque>"
    rita.save()
    make_coding(interview, code, rita, 0, 14)
    make_coding(interview, code, rita, 20, 30)
    make_coding(interview, code, sam, 0, 14)
    make_user("zoe", interview.project, "researcher")  # a member who coded nothing here
    client.force_login(rita)
    page = client.get(f"/projects/{interview.project_id}/interviews/{interview.pk}/").content
    page = page.decode()
    shown = re.findall(r'<option value="(\d+)"[^>]*>les codages de ([^<]*)</option>', page)
    # By username (rita before sam), a full name when there is one, escaped; nobody twice.
    assert shown == [(str(rita.pk), "Rita &lt;Lévesque&gt;"), (str(sam.pk), "sam")]
    stripes = page.split('id="stripes-coder"')[1].split("</select>")[0]
    assert re.findall(r'<option value="(\d+)">([^<]*)</option>', stripes) == [
        (str(rita.pk), "Rita &lt;Lévesque&gt;"),
        (str(sam.pk), "sam"),
    ]


@pytest.mark.parametrize("fragment", [False, True], ids=["page", "transcript-fragment"])
def test_the_interview_page_reads_in_one_batch(
    client, interview, rita, sam, fragment, django_assert_max_num_queries, monkeypatch
):
    """The session with its user, the interview with its blind rounds, then everything else the
    page shows in one batch (coding/page.py), and for the whole page the shortcuts' walk (which
    finds rita's window of one at once): each answer in its place, the recording's cues too."""
    from datetime import timedelta

    from coding import views
    from coding.models import CodingEvent
    from interviews.models import Attribute, AttributeValue, TimeMark
    from tests.factories import make_code, make_coding, make_recording

    code = make_code(interview.project, "Voisinage courtois")
    start = TRANSCRIPT.index("café")
    coding = make_coding(interview, code, sam, start, start + len("café"))
    monkeypatch.setattr(views, "USAGE_WINDOW", 1)
    make_coding(interview, code, rita, 0, 5)
    attribute = Attribute.objects.create(project=interview.project, name="Organisme")
    AttributeValue.objects.create(interview=interview, attribute=attribute, text="Cactus")
    make_recording(interview)
    TimeMark.objects.create(interview=interview, start=16, end=86, time_start=timedelta(seconds=2))
    client.force_login(rita)
    url = f"/projects/{interview.project_id}/interviews/{interview.pk}/"
    headers = {"HX-Request": "true"} if fragment else {}
    client.get(url, headers=headers)  # this process then knows the session's user
    with django_assert_max_num_queries(3 if fragment else 5):
        page = client.get(url, headers=headers).content.decode()
    since = CodingEvent.objects.filter(interview_id=interview.pk).latest("id").pk
    assert f'data-codings="{coding.pk}"' in page  # the transcript's highlight
    assert f'id="since" value="{since}"' in page
    if not fragment:
        assert f'<option value="{sam.pk}">sam</option>' in page  # the stripes' coder menu
        assert "Cactus" in page
        assert f'id="choice-all-{code.pk}"' in page
        assert "<audio" in page and 'data-cues="[[16, 86, 2.0, null]]"' in page
