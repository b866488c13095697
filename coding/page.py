"""What the interview page reads, in one round trip.

Besides the member and the interview (coding.visibility.interview_for), the page needs eight small
answers that depend on nothing else: the last audit event (the page's `since`), the recording, the
codings it shows and the turns (the transcript), who coded, the participant's attributes, the
codebook and the time marks (the recording's cues). Asked one after the other they cost a round
trip each; sent together (verbatim.plain_sql.batch) they cost one. The event is read first: a
coding made after it is in the page's next `since`, never lost between the two.
"""

from dataclasses import dataclass, field
from typing import NamedTuple

from django.utils.safestring import SafeString

from coding import codebook, visibility, workspace
from coding.models import Code
from interviews.models import Attribute, AttributeValue, Interview, Recording
from interviews.recordings import MARKS, Cue, cues
from verbatim import people, plain_sql


class Coder(NamedTuple):
    pk: int
    name: str


@dataclass
class Reads:
    since: int
    recording: Recording | None
    transcript: SafeString
    coders: list[Coder]  # who coded the interview, of the codings the member may see
    # The whole page's only (not the transcript's fragment):
    attribute_values: list[AttributeValue] = field(default_factory=list)
    paths: list[tuple[Code, str]] = field(default_factory=list)  # coding.codebook.code_paths
    cues: list[Cue] = field(default_factory=list)  # the recording's, when there is one


def read(
    interview: Interview,
    user,
    coders: workspace.CoderFilter,
    seen: visibility.Visibility,
    *,
    whole_page: bool,
) -> Reads:
    """What the page shows of `interview` to `user`, who sees `seen` of its codings and asked for
    `coders`' (the transcript alone, or with `whole_page` the rest of the page too)."""
    statements = [
        (workspace.LAST_EVENT, [interview.pk]),
        plain_sql.select(Recording, "t.interview_id = %s", [interview.pk], order="t.id"),
        workspace.span_query(interview, user, coders, seen=seen),
        workspace.turns_query(interview),
        _coders_query(interview, seen),
    ]
    if whole_page:
        statements += [
            (ATTRIBUTES, [interview.pk]),
            codebook.codes_query(interview.project_id),
            (MARKS, [interview.pk]),  # an index's look when there is no recording
        ]
    since, recordings, spans, turns, coder_rows, *rest = plain_sql.batch(*statements)
    recording = plain_sql.instance(Recording, recordings[0]) if recordings else None
    if recording is not None:
        recording.interview = interview  # its URL names the project: no query for it
    reads = Reads(
        since=since[0][0],
        recording=recording,
        transcript=workspace.transcript(interview, turns, spans, playable=recording is not None),
        coders=[Coder(*row) for row in coder_rows],
    )
    if whole_page:
        attribute_rows, code_rows, marks = rest
        reads.attribute_values = [_attribute_value(row) for row in attribute_rows]
        reads.paths = codebook.paths_of_rows(code_rows)
        if recording is not None:
            reads.cues = cues(marks, turns)
    return reads


def _coders_query(interview: Interview, seen: visibility.Visibility) -> tuple[str, list]:
    visible, params = seen.sql("k")
    return (
        plain_sql.prepared(
            f"SELECT u.id, {people.name_sql('u')} FROM auth_user u"
            " WHERE EXISTS (SELECT FROM coding_coding k"
            f" WHERE k.interview_id = %s AND k.coder_id = u.id AND {visible})"
            " ORDER BY u.username"
        ),
        [interview.pk, *params],
    )


# The participant's attributes in their order, each value with its attribute.
ATTRIBUTES = plain_sql.Prepared(
    f"SELECT {plain_sql.columns(AttributeValue, 'v')}, {plain_sql.columns(Attribute, 'a')}"
    " FROM interviews_attributevalue v JOIN interviews_attribute a"
    " ON a.id = v.attribute_id WHERE v.interview_id = %s ORDER BY a.position, a.name"
)


def _attribute_value(row) -> AttributeValue:
    value, value.attribute = plain_sql.instances(row, AttributeValue, Attribute)
    return value
