"""The review queue's cards and a coding's review history, written as HTML here.

A card through the template engine cost about half a millisecond (two forms with their CSRF
fields, the history, a dozen translated sentences): 14 ms for the queue's 25, a third of the page.
One format string per card costs a tenth of that. Every value is escaped (`_e`), as the
templates' autoescaping did, and the markup is the one they wrote (review/queue.html keeps the
rest of the page; review/history.html shows the history through the `review_history` tag).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import tzinfo
from functools import lru_cache
from html import escape

from django.template.defaultfilters import linebreaksbr
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from coding.models import Coding, ReviewEvent
from verbatim import dates, links, people

CARD = """<li class="card review-card {status}" id="review-{pk}" tabindex="-1" \
aria-labelledby="review-{pk}-title"{autofocus}{oob}>
  <header class="review-card-head">
    {select}<span class="swatch c-{code}" aria-hidden="true"></span>
    <strong class="code-path" id="review-{pk}-title">{path}</strong>
    <span class="review-state {status}">{state}</span>
  </header>
  {quote}
  <p class="meta">
    {coder} ·
    <a href="{href}">{title}</a>
    {speaker}· <time datetime="{iso}">{when}</time>
    {memos}
  </p>
  {history}
  {message}{actions}
</li>
"""

APPROVE = """<form method="post" action="{url}" hx-post="{url}" hx-target="closest .review-card" \
hx-swap="outerHTML">
          {csrf}<input type="hidden" name="decision" value="approve">
          <button type="submit" class="primary">{label}</button>
        </form>
      """

SEND_BACK = """<details class="send-back"{open} data-focus-on-open>
          <summary>{summary}</summary>
          <form method="post" action="{url}" hx-post="{url}" hx-target="closest .review-card" \
hx-swap="outerHTML" data-ctrl-enter>
            {csrf}<input type="hidden" name="decision" value="send_back">
            <label for="send-back-{pk}">{question}</label>
            <textarea id="send-back-{pk}" name="comment" rows="3" required>{comment}</textarea>
            <button type="submit">{label}</button>
          </form>
        </details>
      """


def _e(value) -> str:
    return escape(str(value)) if value else ""


@dataclass(frozen=True)
class Labels:
    """What every card says the same way, translated and escaped once per language: a gettext
    costs 3 µs and a `get_status_display` 20 µs, about a tenth of a card ten times over."""

    states: dict[str, str]  # review state → its name
    more_context: str
    approve: str
    send_back_summary: str
    question: str
    send_back: str
    review_history: str
    own_coding: str
    select_excerpt: str  # a sentence to fill (%(code)s), not yet escaped
    coded_by: str  # the same (%(name)s)


@lru_cache(maxsize=16)
def _labels(language: str | None) -> Labels:
    return Labels(
        states={value: _e(label) for value, label in Coding.Status.choices},
        more_context=_e(_("More context")),
        approve=_e(_("Approve")),
        send_back_summary=_e(_("Send back…")),
        question=_e(_("What should change? The coder reads this.")),
        send_back=_e(_("Send back")),
        review_history=_e(_("Review history")),
        own_coding=_e(_("Your own coding: another reviewer decides on it.")),
        select_excerpt=_("Select the excerpt coded %(code)s"),
        coded_by=_("Coded by %(name)s"),
    )


def labels() -> Labels:
    """The labels in the active language (keyed by it: a page in French, the next in English)."""
    return _labels(get_language())


@dataclass(frozen=True)
class Shared:
    """What the cards of one response share, looked up once (`now()`): the labels and the short
    date format of the active language, the time zone, the links' patterns. Each is a lookup in
    asgiref's context-local storage (2–10 µs): per card there were eight, 200 a queue page."""

    said: Labels
    zone: tzinfo
    short_datetime: Callable[[object], str]
    workspace: str  # links.pattern: {0} the project, {1} the interview
    decide: str  # {0} the project, {1} the coding
    memo_panel: str  # {0} the project

    @classmethod
    def now(cls) -> "Shared":
        return cls(
            said=labels(),
            zone=timezone.get_current_timezone(),
            short_datetime=dates.formatter("SHORT_DATETIME_FORMAT"),
            workspace=links.pattern("coding:workspace", 2),
            decide=links.pattern("review:decide", 2),
            memo_panel=links.pattern("coding:memo-panel", 1),
        )

    def moment(self, value) -> tuple[str, str]:
        """(ISO, as the language writes a short date and time) in the site's time zone: the date
        filter's "c" and "SHORT_DATETIME_FORMAT"."""
        local = value.astimezone(self.zone)
        return local.isoformat(), _e(self.short_datetime(local))


def card_html(
    card: dict,
    *,
    project_id: int,
    user_id: int,
    csrf: str,
    oob: bool = False,
    shared: Shared | None = None,
) -> SafeString:
    """One excerpt under review (review/views.py `_cards`): its decisions answer with this card
    again, in its new state, focused, with a message; `oob` for a bulk approval's answer. A page
    of cards passes what they share (`Shared.now()`)."""
    coding = card["coding"]
    pk = coding.pk
    shared = shared or Shared.now()
    said = shared.said
    iso, when = moment = shared.moment(coding.created_at)
    select = ""
    if card.get("may_review") and card.get("approvable"):
        label = said.select_excerpt % {"code": card["path"]}
        select = (
            f'<input type="checkbox" name="coding" value="{pk}" form="review-bulk" '
            f'aria-label="{_e(label)}">\n    '
        )
    memos = ""
    if coding.memo_count:
        panel = shared.memo_panel.format(project_id)
        count = ngettext("%(counter)s memo", "%(counter)s memos", coding.memo_count) % {
            "counter": coding.memo_count
        }
        memos = f'· <a href="{_e(panel)}?coding={pk}">{_e(count)}</a>'
    message = ""
    if card.get("message"):
        error = card.get("error")
        message = (
            f'<p class="review-message{" error" if error else ""}" '
            f'role="{"alert" if error else "status"}">{_e(card["message"])}</p>\n  '
        )
    html = CARD.format(
        status=_e(coding.status),
        pk=pk,
        autofocus=" autofocus" if card.get("decided") else "",
        oob=' hx-swap-oob="true"' if oob else "",
        select=select,
        code=coding.code_id,
        path=_e(card["path"]),
        state=said.states.get(coding.status, _e(coding.status)),
        quote=_quote(coding, card["context"], said),
        coder=_e(people.name(coding.coder)),
        href=_e(
            f"{shared.workspace.format(project_id, coding.interview_id)}"
            f"?at={coding.start}-{coding.end}"
        ),
        title=_e(coding.interview.title),
        speaker=f"· {_e(coding.speaker_name)}\n    " if coding.speaker_name else "",
        iso=iso,
        when=when,
        memos=memos,
        history=history_html(coding, shared, created=moment),
        message=message,
        actions=_actions(card, project_id, user_id, csrf, shared),
    )
    return mark_safe(html)  # noqa: S308 -- every value above is escaped


def _quote(coding: Coding, near: dict, said: Labels) -> str:
    """The passage with the sentence before and after it; the rest of the context unfolds."""
    parts = [f'<blockquote class="excerpt-quote closed" id="quote-{coding.pk}">']
    for key, kind in (("before_far", "context far"), ("before_near", "context")):
        if near[key]:
            parts.append(f'<span class="{kind}">{_e(near[key])}</span>')
    parts.append(f'<mark class="c-{coding.code_id}">{_e(coding.text)}</mark>')
    for key, kind in (("after_near", "context"), ("after_far", "context far")):
        if near[key]:
            parts.append(f'<span class="{kind}">{_e(near[key])}</span>')
    parts.append("</blockquote>")
    if near["before_far"] or near["after_far"]:
        parts.append(
            '<button type="button" class="link small more-context" data-disclosure '
            f'aria-expanded="false" aria-controls="quote-{coding.pk}">{said.more_context}'
            "</button>"
        )
    return "".join(parts)


def _actions(card: dict, project_id: int, user_id: int, csrf: str, shared: Shared) -> str:
    coding = card["coding"]
    said = shared.said
    if not card.get("may_review"):
        if coding.coder_id == user_id:
            return f'<p class="muted small">{said.own_coding}</p>'
        return ""
    url = _e(shared.decide.format(project_id, coding.pk))
    forms = []
    if card.get("approvable"):
        forms.append(APPROVE.format(url=url, csrf=csrf, label=said.approve))
    if card.get("can_send_back"):
        forms.append(
            SEND_BACK.format(
                open=" open" if card.get("comment") else "",
                summary=said.send_back_summary,
                url=url,
                csrf=csrf,
                pk=coding.pk,
                question=said.question,
                comment=_e(card.get("comment")),
                label=said.send_back,
            )
        )
    return '<div class="review-actions">\n      ' + "".join(forms) + "</div>"


EVENT = """  <li class="review-event {status}">
      {text}
      <time datetime="{iso}">{when}</time>
      {comment}
    </li>
"""


def history_html(
    coding: Coding, shared: Shared | None = None, *, created: tuple[str, str] | None = None
) -> SafeString:
    """Who decided what on a coding, and when: its coding, then each review event (`history`,
    prefetched by review/views.py `_with_history`), oldest first. A card passes what it shares
    with the others and its coding's moment, already written."""
    shared = shared or Shared.now()
    iso, when = created or shared.moment(coding.created_at)
    name = people.name(coding.coder)
    said = shared.said
    parts = [
        f'<ol class="review-history" id="review-history-{coding.pk}" '
        f'aria-label="{said.review_history}">\n'
        '  <li class="review-event coded">\n'
        f"    {_e(said.coded_by % {'name': name})}\n"
        f'    <time datetime="{iso}">{when}</time>\n'
        "  </li>\n"
    ]
    for event in coding.history:
        iso, when = shared.moment(event.created_at)
        comment = (
            f'<div class="review-comment">{linebreaksbr(event.comment, autoescape=True)}</div>'
            if event.comment
            else ""
        )
        parts.append(
            EVENT.format(
                status=_e(event.status),
                text=_e(_event_text(event)),
                iso=iso,
                when=when,
                comment=comment,
            )
        )
    parts.append("</ol>")
    return mark_safe("".join(parts))  # noqa: S308 -- every value above is escaped


def _event_text(event: ReviewEvent) -> str:
    name = people.name(event.reviewer)
    if event.undo:
        return _("%(state)s again: %(name)s undid the change") % {
            "state": event.get_status_display(),
            "name": name,
        }
    sentence = {
        Coding.Status.APPROVED: _("Approved by %(name)s"),
        Coding.Status.NEEDS_CHANGE: _("Sent back by %(name)s"),
    }.get(event.status, _("Back to review by %(name)s"))
    return sentence % {"name": name}
