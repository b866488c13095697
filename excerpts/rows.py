"""The rows of the excerpts page, written as HTML here rather than by a template partial.

Fifty rows of about twenty-five template variables each cost 8–9 ms in Django's template engine,
a quarter of the page; the same markup from one format string per row costs well under a
millisecond. Every value is escaped (`_e`), as the template's autoescaping did; the markup is the
one the partial wrote, so the page, its styles and its tests do not change.
"""

from datetime import date
from html import escape

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from coding.models import Coding
from excerpts.filters import Filters
from excerpts.queries import Excerpt
from verbatim import dates
from verbatim.links import link

SHORT_CONTEXT_WORDS = 10  # of the ~30 the filter cuts, shown before the row is expanded

ROW = """<li class="excerpt c-{code}" id="excerpt-{pk}">
  <header class="excerpt-meta">
    <a class="excerpt-open" href="{href}">{title}</a>
    {participant}{said_by}<span class="excerpt-code"><span class="swatch" aria-hidden="true"></span>\
{path}</span>
  </header>
  <p class="excerpt-body">{before}<mark>{text}</mark>{after}</p>
  <footer class="excerpt-facts">
    <span>{coder}</span>
    <time datetime="{iso}">{date}</time>
    <span class="status status-{status}">{state}</span>
    {comment}{memos}{play}{more}
  </footer>
</li>
"""


def _e(value) -> str:
    return escape(str(value)) if value else ""


def rows_html(excerpts: list[Excerpt], filters: Filters) -> SafeString:
    """The `<li>` of each excerpt (excerpts.queries.excerpts_and_count, with `play` from the view's
    _add_playback): interview, speaker, code path, the passage in its context folded to
    SHORT_CONTEXT_WORDS each side, coder, date, review state, last comment, memos."""
    # What rows repeat (an interview's link, title and participant; a code's path; a coder's
    # name) is escaped once per page: a row escaped a dozen values, a third of rows_html's time.
    interviews: dict[int, tuple[str, str, str]] = {}
    paths: dict[int, str] = {}
    coders: dict[int, str] = {}
    more = (
        '<details class="excerpt-more"><summary><span class="more">{}</span>'
        '<span class="less">{}</span></summary></details>'
    ).format(_e(_("More context")), _e(_("Less context")))
    # Translated once for the page (a gettext costs 3 µs; a lazy label is one each time it is read).
    states = {value: _e(label) for value, label in Coding.Status.choices}
    said_by = _("said by %(name)s")
    days: dict[date, str] = {}  # the day as the language writes it, once per day
    short_date = dates.formatter("SHORT_DATE_FORMAT")  # its format found once for the page
    zone = timezone.get_current_timezone()  # found once: a context-local lookup, a few µs
    rows = []
    for coding in excerpts:
        if coding.interview_id not in interviews:
            interviews[coding.interview_id] = (
                link("coding:workspace", filters.project.pk, coding.interview_id),
                _e(coding.title),
                _span("", coding.participant),
            )
        workspace, title, participant = interviews[coding.interview_id]
        if coding.code_id not in paths:
            paths[coding.code_id] = _e(filters.paths.get(coding.code_id, coding.code_name))
        if coding.coder_id not in coders:
            coders[coding.coder_id] = _e(coding.coder_name)
        before = (coding.context_before or "").split()
        after = (coding.context_after or "").split()
        far_before = " ".join(before[:-SHORT_CONTEXT_WORDS])
        far_after = " ".join(after[SHORT_CONTEXT_WORDS:])
        local = coding.created_at.astimezone(zone)
        day = local.date()
        if day not in days:
            days[day] = _e(short_date(day))
        rows.append(
            ROW.format(
                code=coding.code_id,
                pk=coding.pk,
                href=_e(f"{workspace}?at={coding.start}-{coding.end}"),
                title=title,
                participant=participant,
                said_by=_span(
                    ' class="excerpt-speaker"',
                    coding.speaker_name and said_by % {"name": coding.speaker_name},
                ),
                path=paths[coding.code_id],
                before=_context_before(before, far_before),
                text=_e(coding.text),
                after=_context_after(after, far_after),
                coder=coders[coding.coder_id],
                iso=local.isoformat(),  # the date filter's "c"
                date=days[day],
                status=_e(coding.status),
                state=states.get(coding.status, _e(coding.status)),
                comment=_tag("q", ' class="review-comment"', coding.last_comment),
                memos=_span(' class="memo-count"', _memos(coding.memo_count)),
                play=_play(coding.play),
                more=more if far_before or far_after else "",
            )
        )
    return mark_safe("".join(rows))  # noqa: S308 -- every value above went through _e


def _tag(name: str, attributes: str, text) -> str:
    return f"<{name}{attributes}>{_e(text)}</{name}>\n    " if text else ""


def _span(attributes: str, text) -> str:
    return _tag("span", attributes, text)


def _memos(count: int) -> str:
    if not count:
        return ""
    return ngettext("%(count)d memo", "%(count)d memos", count) % {"count": count}


def _context_before(words: list[str], far: str) -> str:
    # The context in two parts each side: near (shown) and far (unfolded on demand, CSS :has()).
    if not words:
        return ""
    near = _e(" ".join(words[-SHORT_CONTEXT_WORDS:]))
    far = f'<span class="far">{_e(far)} </span>' if far else ""
    return f'<span class="context">…{far}{near} </span>'


def _context_after(words: list[str], far: str) -> str:
    if not words:
        return ""
    near = _e(" ".join(words[:SHORT_CONTEXT_WORDS]))
    far = f'<span class="far"> {_e(far)}</span>' if far else ""
    return f'<span class="context"> {near}{far}…</span>'


def _play(play) -> str:
    """The listen button of a timed passage (coding/recording.html's partial: rare enough)."""
    if not play:
        return ""
    context = {"src": play[0], "times": play[1]}
    return render_to_string("coding/recording.html#play-passage", context) + "\n    "
