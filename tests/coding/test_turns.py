"""The transcript's turns as coding/turns.py writes them: escaped names, the time as a seek button
when there is a recording, the speaker's role as a class."""

from datetime import timedelta
from types import SimpleNamespace

from django.utils import translation

from coding.turns import transcript_html
from interviews.transcripts import Block, Paragraph


def block(name, role="participant", timestamp=None, speaker=True):
    paragraph = Paragraph(0, "Bonjour")
    paragraph.html = "<p>Bonjour</p>"
    person = SimpleNamespace(name=name, role=role) if speaker else None
    return Block(0, 7, SimpleNamespace(speaker=person, timestamp=timestamp), [paragraph])


def test_a_speakers_name_is_escaped_and_the_role_is_a_class():
    html = transcript_html([block('<b>"M"</b>')], playable=False)
    assert '<section class="turn participant">' in html
    assert '<span class="speaker-name">&lt;b&gt;&quot;M&quot;&lt;/b&gt;</span>' in html
    assert "<p>Bonjour</p>" in html


def test_a_turns_time_seeks_the_recording_only_when_there_is_one():
    turn = block("Martine", "interviewer", timestamp=timedelta(minutes=1, seconds=23.5))
    with translation.override("en"):
        played = transcript_html([turn], playable=True)
        plain = transcript_html([turn], playable=False)
    assert (
        '<button type="button" class="seek" data-time="83.500" aria-label="Play from 0:01:23.500000">'
        "<time>0:01:23.500000</time></button>"
    ) in played
    assert "seek" not in plain and "<time>0:01:23.500000</time>" in plain
    assert 'class="turn interviewer"' in played


def test_text_outside_turns_and_speakers_without_a_name():
    loose = Block(0, 7, None, [SimpleNamespace(html="<p>Notes</p>")])
    with translation.override("en"):
        html = transcript_html([loose, block("", speaker=False)], playable=False)
    assert html.startswith('<section class="turn">\n<p>Notes</p>')
    assert '<span class="speaker-name">Unknown speaker</span>' in html
