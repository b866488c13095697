"""Full-text search over a project's transcripts, on PostgreSQL's text search.

Every non-blank line of a transcript is a row of interviews.SearchSegment, indexed (GIN) by its
words stemmed in the interview's language, without accents (migration interviews 0004), and by its
project (0005). A hit is a paragraph that matches the query. Which words of it to mark comes from
ts_headline(), run only on the paragraphs shown or coded, and becomes offsets of Interview.text
here.

A query reads like a search engine's (websearch_to_tsquery): words, "a phrase" in quotes, `or`
(or « ou ») between alternatives, -word to leave out.
"""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from django.db import connection
from django.utils.translation import gettext as _

MAX_LENGTH = 200  # characters of a query
CONTEXT = 200  # characters shown on each side of the words found, in a long paragraph
# ts_headline puts these around each word found; the text's own are blanked before (1 to 1).
START, STOP = "\x01", "\x02"
HEADLINE = f"HighlightAll=true, StartSel={START}, StopSel={STOP}"
MARK = re.compile(f"{START}([^{STOP}]*){STOP}")
# What verbatim_unaccent() (migration interviews 0004) deletes after decomposing the text, and the
# ligatures it spells out first (0006).
COMBINING = ("\u0300", "\u036f")
LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE"})
TOKEN = re.compile(r"[\w\u0300-\u036f]+")
# websearch_to_tsquery: a quote opens a phrase until the next quote or the end; -"…" leaves it out.
PHRASE = re.compile(r'(-?)"([^"]*)"?')
# websearch_to_tsquery's alternative is `or`; French (and Portuguese) speakers type « ou ».
OU = re.compile(r"(?<!\S)ou(?!\S)", re.IGNORECASE)
SENTENCE_END = re.compile(r"[.!?…]+[\"»”’)\]]*(?=\s|$)")


class Unit:
    """What "code all results" codes around each word found."""

    WORDS = "words"
    SENTENCE = "sentence"
    TURN = "turn"
    PARAGRAPH = "paragraph"


class SearchError(Exception):
    """A query that cannot be searched; `message` tells the user why, in their language."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Query:
    project_id: int
    text: str  # as searched, blanks collapsed
    tsqueries: tuple[tuple[str, str], ...]  # (text search configuration, tsquery) per language
    bare: str  # the query without its phrases: its words are hits wherever they are
    phrases: tuple[str, ...]  # quoted phrases: their words are hits only together

    def condition(self) -> tuple[str, dict]:
        """SQL matching the segments `s` of any language of the project, with its parameters."""
        parts, params = [], {"project": self.project_id}
        # The project's own lexeme goes with the words, so that the index finds only the
        # project's lines (migration interviews 0005).
        for n, (config, tsquery) in enumerate(self.tsqueries):
            parts.append(
                f"(s.config = %(config{n})s AND s.vector @@"
                f" (%(tsquery{n})s::tsquery && verbatim_project_query(%(project)s)))"
            )
            params |= {f"config{n}": config, f"tsquery{n}": tsquery}
        return " OR ".join(parts), params

    @property
    def highlights(self) -> list[str]:
        """The queries whose words ts_headline marks: the bare words, then each phrase."""
        return ([self.bare] if self.bare else []) + [f'"{p}"' for p in self.phrases]


# The project's languages (or "simple" when it has no interviews yet), each with the query.
LANGUAGES_SQL = """
SELECT c.config::text, q::text, numnode(q), querytree(q) <> 'T'
FROM (
    SELECT DISTINCT verbatim_search_config(language) AS config
    FROM interviews_interview WHERE project_id = %(project)s
    UNION
    SELECT 'simple'::regconfig
    WHERE NOT EXISTS (SELECT 1 FROM interviews_interview WHERE project_id = %(project)s)
) AS c
CROSS JOIN LATERAL websearch_to_tsquery(c.config, verbatim_unaccent(%(text)s)) AS q
ORDER BY 1
"""


def parse(project_id: int, text: str) -> Query:
    """The query `text` in the project's languages; SearchError when it cannot find anything."""
    text = " ".join(text.replace("\x00", " ").split())
    if not text:
        raise SearchError(_("Type a word or a phrase to search for."))
    if len(text) > MAX_LENGTH:
        raise SearchError(_("A search is at most %(max)d characters long.") % {"max": MAX_LENGTH})
    if not TOKEN.search(text):
        raise SearchError(_("Type words to search for: punctuation alone finds nothing."))
    searched = _or_for_ou(text)
    with connection.cursor() as cursor:
        cursor.execute(LANGUAGES_SQL, {"project": project_id, "text": searched})
        rows = cursor.fetchall()
    tsqueries = tuple((config, q) for config, q, nodes, indexable in rows if nodes and indexable)
    if not tsqueries:
        if any(nodes for _config, _q, nodes, _indexable in rows):
            raise SearchError(_("Say what to find, not only what to leave out (-word)."))
        raise SearchError(
            _("These words are too common to search for (such as “the”, “de”, “la”): add a word.")
        )
    phrases = tuple(m[2] for m in PHRASE.finditer(text) if not m[1] and TOKEN.search(m[2]))
    bare = searched
    if phrases:
        # What is left once the phrases are out; a dangling "or" would be searched as a word.
        bare = " ".join(w for w in PHRASE.sub(" ", searched).split() if w.lower() != "or")
    return Query(project_id, text, tsqueries, bare, phrases)


def _or_for_ou(text: str) -> str:
    """« café ou thé » as « café or thé »; a quoted phrase keeps its « ou »."""
    pieces, last = [], 0
    for phrase in PHRASE.finditer(text):
        pieces += [OU.sub("or", text[last : phrase.start()]), phrase[0]]
        last = phrase.end()
    return "".join(pieces) + OU.sub("or", text[last:])


# --- Hits --------------------------------------------------------------------------------------

MATCHES_SQL = """
    SELECT s.interview_id, i.title, s.start, s."end", s.text, s.config
    FROM interviews_searchsegment s JOIN interviews_interview i ON i.id = s.interview_id
    WHERE i.project_id = %(project)s AND ({condition})
"""

COUNTS_SQL = "SELECT interview_id, count(*) FROM ({matches}) AS s GROUP BY interview_id"

# ts_headline and the turn only for the page asked for: the inner query sorts and cuts first.
HITS_SQL = """
SELECT s.interview_id, s.title, s.start, s."end", s.text, t.start, t."end", speaker.name,
       ARRAY(
           SELECT ts_headline(
               s.config::regconfig,
               verbatim_unaccent(translate(s.text, %(markers)s, '  ')),
               websearch_to_tsquery(s.config::regconfig, verbatim_unaccent(h.query)),
               %(options)s
           )
           FROM unnest(%(highlights)s::text[]) WITH ORDINALITY AS h (query, n) ORDER BY h.n
       )
FROM ({matches} ORDER BY i.title, s.interview_id, s.start LIMIT {limit} OFFSET %(offset)s) AS s
LEFT JOIN LATERAL (
    SELECT t.start, t."end", t.speaker_id FROM interviews_turn t
    WHERE t.interview_id = s.interview_id AND t.start < s."end" AND t."end" > s.start
    ORDER BY t.start DESC LIMIT 1
) AS t ON true
LEFT JOIN interviews_speaker speaker ON speaker.id = t.speaker_id
ORDER BY s.title, s.interview_id, s.start
"""


@dataclass
class Piece:
    """A piece of a hit's context: plain text, a word found (`mark`), or an ellipsis (`gap`)."""

    text: str = ""
    mark: bool = False
    gap: bool = False


@dataclass
class Hit:
    """A paragraph that matches, with the words found in it. Offsets are code points of the
    interview's text; `turn` is the speaker's turn the paragraph belongs to, when there is one."""

    interview_id: int
    title: str
    start: int
    end: int
    text: str
    spans: list[tuple[int, int]]
    speaker: str | None = None
    turn: tuple[int, int] | None = None

    @property
    def body(self) -> tuple[int, int]:
        """The paragraph without the speaker's label that opens its turn."""
        if not self.turn:
            return self.start, self.end
        return max(self.start, self.turn[0]), min(self.end, self.turn[1])

    @property
    def at(self) -> str:
        """The workspace's ?at= for this hit: its first words found, or the paragraph."""
        start, end = self.spans[0] if self.spans else (self.start, self.end)
        return f"{start}-{end}"

    def pieces(self) -> list[Piece]:
        """The paragraph with its words found marked; a long one cut to CONTEXT around them."""
        spans = [(s - self.start, e - self.start) for s, e in self.spans]
        pieces, position = [], 0
        for low, high in _windows(self.text, spans):
            if low > position:
                pieces.append(Piece(gap=True))
            for s, e in spans:
                if low <= s and e <= high:
                    pieces += [Piece(self.text[low:s]), Piece(self.text[s:e], mark=True)]
                    low = e
            pieces.append(Piece(self.text[low:high]))
            position = high
        if position < len(self.text):
            pieces.append(Piece(gap=True))
        return [p for p in pieces if p.text or p.gap]

    def passage(self, span: tuple[int, int], unit: str) -> tuple[int, int]:
        """What to code for the words found at `span`: them, their sentence, turn or paragraph."""
        if unit == Unit.WORDS:
            return span
        if unit == Unit.TURN and self.turn:
            return self.turn
        start, end = self.start, self.end
        if self.turn and self.turn[0] <= span[0]:  # leave the speaker's label out
            start = max(start, self.turn[0])
        if self.turn and span[1] <= self.turn[1]:
            end = min(end, self.turn[1])
        if unit == Unit.SENTENCE:
            return self._sentence(span, start, end)
        return start, end

    def _sentence(self, span, low: int, high: int) -> tuple[int, int]:
        start, end = low, high
        for m in SENTENCE_END.finditer(self.text, low - self.start, high - self.start):
            if self.start + m.end() <= span[0]:
                start = self.start + m.end()
            elif self.start + m.end() >= span[1]:
                end = self.start + m.end()
                break
        while start < span[0] and self.text[start - self.start].isspace():
            start += 1
        return start, end


def counts(query: Query) -> dict[int, int]:
    """{interview id: number of hits} for the query, in one pass over the index."""
    condition, params = query.condition()
    sql = COUNTS_SQL.format(matches=MATCHES_SQL.format(condition=condition))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return dict(cursor.fetchall())


def hits(
    query: Query, *, offset: int = 0, limit: int | None = None, marks: bool = True
) -> list[Hit]:
    """The hits in interview order (title), then text order, with their words found.

    With `marks` False, without the words found: "code their paragraph / turn" needs only where
    the paragraph is, and ts_headline is most of the time of a long list.
    """
    condition, params = query.condition()
    sql = HITS_SQL.format(
        matches=MATCHES_SQL.format(condition=condition),
        limit="ALL" if limit is None else int(limit),
    )
    params |= {
        "markers": START + STOP,
        "options": HEADLINE,
        "highlights": query.highlights if marks else [],
        "offset": offset,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return [
        Hit(
            interview_id,
            title,
            start,
            end,
            text,
            [(start + s, start + e) for s, e in _spans(text, headlines, query)] if marks else [],
            speaker,
            (turn_start, turn_end) if turn_start is not None else None,
        )
        for interview_id, title, start, end, text, turn_start, turn_end, speaker, headlines in rows
    ]


class Results(Sequence):
    """A query's hits, counted at once and fetched a page at a time: a Paginator's object_list."""

    def __init__(self, query: Query):
        self.query = query
        self.per_interview = counts(query)
        self.total = sum(self.per_interview.values())

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index):
        if isinstance(index, slice):
            start, stop, _step = index.indices(self.total)
            return hits(self.query, offset=start, limit=max(stop - start, 0))
        if not isinstance(index, int):
            raise TypeError(index)  # what templates expect when they try results.total as a key
        found = hits(self.query, offset=index, limit=1)
        if not found:
            raise IndexError(index)
        return found[0]


def passages(found: list[Hit], unit: str) -> dict[int, list[tuple[int, int]]]:
    """{interview id: [(start, end)…]}: what to code for every word found, merged where they meet."""
    ranges = defaultdict(list)
    for hit in found:
        for span in hit.spans or [hit.body]:  # no spans: fetched without marks
            ranges[hit.interview_id].append(hit.passage(span, unit))
    return {interview_id: merged(spans) for interview_id, spans in ranges.items()}


def merged(spans) -> list[tuple[int, int]]:
    """The spans in order, overlapping or touching ones joined."""
    result = []
    for start, end in sorted(spans):
        if result and start <= result[-1][1]:
            result[-1] = (result[-1][0], max(end, result[-1][1]))
        else:
            result.append((start, end))
    return result


# --- From ts_headline's marks to offsets ------------------------------------------------------


def _spans(text: str, headlines: list[str], query: Query) -> list[tuple[int, int]]:
    """The words found in a paragraph, as offsets in it.

    Without phrases, every word ts_headline marked. ts_headline marks a phrase's words wherever
    they are, so for phrases only the runs of words that spell the phrase count (its short words
    may differ, as PostgreSQL lets them); all its marks when no run is found.
    """
    offsets = _folded_offsets(text)
    marks = [_marks(headline, text, offsets) for headline in headlines]
    if not query.phrases:
        return marks[0] if marks else []
    found = marks.pop(0) if query.bare else []
    for phrase, phrase_marks in zip(query.phrases, marks, strict=True):
        found += _phrase_runs(text, phrase_marks, phrase) or phrase_marks
    return merged(found)


@lru_cache(maxsize=4096)
def _folded_length(char: str) -> int:
    """How many characters `char` becomes in verbatim_unaccent(): ligatures spelled out, NFD, then
    no combining accents."""
    if char < "\u00c0":  # nothing below decomposes
        return 1
    decomposed = unicodedata.normalize("NFD", char.translate(LIGATURES))
    return sum(1 for c in decomposed if not COMBINING[0] <= c <= COMBINING[1])


def _folded_offsets(text: str) -> list[int] | None:
    """For each character of verbatim_unaccent(text), its offset in `text`; None when the same."""
    if text.isascii() or all(_folded_length(char) == 1 for char in set(text)):
        return None
    offsets = []
    for i, char in enumerate(text):
        offsets.extend([i] * _folded_length(char))
    return offsets


def _marks(headline: str, text: str, offsets: list[int] | None) -> list[tuple[int, int]]:
    """The marked words of ts_headline's output, as offsets in the original `text`."""
    found = list(MARK.finditer(headline))
    folded_length = len(headline) - 2 * len(found)
    if folded_length != (len(text) if offsets is None else len(offsets)):
        return []  # not the text that was sent: mark nothing rather than the wrong words
    spans = []
    for n, match in enumerate(found):
        low = match.start() - 2 * n
        high = low + len(match[1])
        if high == low:
            continue
        if offsets is None:
            spans.append((low, high))
            continue
        start, end = offsets[low], offsets[high - 1] + 1
        while end < len(text) and _folded_length(text[end]) == 0:  # its accents
            end += 1
        spans.append((start, end))
    return spans


def _fold(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.casefold().translate(LIGATURES))
    return "".join(c for c in decomposed if not COMBINING[0] <= c <= COMBINING[1])


def _phrase_runs(text: str, marks, phrase: str) -> list[tuple[int, int]]:
    """Where the phrase's words follow each other in `text`: each one marked or the same word."""
    words = [_fold(w) for w in TOKEN.findall(phrase)]
    tokens = [(m.start(), m.end(), _fold(m[0])) for m in TOKEN.finditer(text)]
    marked = [any(s < high and low < e for low, high in marks) for s, e, _word in tokens]
    runs = []
    for i in range(len(tokens) - len(words) + 1):
        window = range(i, i + len(words))
        if any(marked[k] for k in window) and all(
            marked[k] or tokens[k][2] == word for k, word in zip(window, words, strict=True)
        ):
            runs.append((tokens[i][0], tokens[i + len(words) - 1][1]))
    return runs


def _windows(text: str, spans) -> list[tuple[int, int]]:
    """The parts of a paragraph to show: all of it when short, else CONTEXT around each span,
    cut at spaces, overlapping windows joined."""
    if not spans:
        return [(0, min(len(text), 3 * CONTEXT))]
    if len(text) <= 3 * CONTEXT:
        return [(0, len(text))]
    windows = []
    for s, e in spans:
        low, high = max(0, s - CONTEXT), min(len(text), e + CONTEXT)
        if low > 0:
            space = text.find(" ", low, s)
            low = space + 1 if space != -1 else low
        if high < len(text):
            space = text.rfind(" ", e, high)
            high = space if space != -1 else high
        windows.append((low, high))
    return merged(windows)
