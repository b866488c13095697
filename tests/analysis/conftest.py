"""A hand-built interview: codings that overlap, touch, nest, share a paragraph or only a turn."""

import pytest

from interviews.models import Speaker
from tests.factories import TRANSCRIPT, make_code, make_coding, make_interview

# (code, words) in the order the test interview has them; each coding covers those words.
PLAN = [
    ("A", "Je m'assois"),  # overlaps B's "m'assois pas loin"
    ("B", "m'assois pas loin"),
    ("A", "pis j'attends"),  # ends one character before B's "Des fois" (next paragraph)
    ("B", "Des fois"),
    ("D", "Et quand il vous parle"),  # the interviewer's turn
    ("B", "Là je peux"),  # same paragraph as C, five characters before it
    ("C", "proposer un café, « juste un café », rien de plus"),
    ("A", "« juste un café »"),  # nested in C
]


@pytest.fixture
def scene(project, rita, sam):
    interview = make_interview(project)
    interview.speakers.filter(label="Martine").update(role=Speaker.Role.PARTICIPANT)
    interview.speakers.filter(label="Intervieweuse").update(role=Speaker.Role.INTERVIEWER)
    codes = {name: make_code(project, f"Code {name}") for name in "ABCD"}
    codings = []
    for name, words in PLAN:
        start = TRANSCRIPT.index(words)
        codings.append(make_coding(interview, codes[name], rita, start, start + len(words)))
    return interview, codes, codings
