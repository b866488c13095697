"""The codebook's tree as HTML, written here rather than by a recursive template include.

The tree comes beside every interview (the workspace loads it as soon as the page is shown), after
every change to a code, and on each pause while a filter is typed. Its 58 codes cost 22 ms in
Django's template engine at every size: about fifty template nodes a code, each URL reversed, each
label translated and each id localised again. The same markup from a few format strings costs about
a millisecond. Every value is escaped, as the template's autoescaping did; the markup is the one
the template wrote (but for blank lines), so the page, its script, its styles and its tests do not
change.
"""

from dataclasses import dataclass
from html import escape

from django.template.defaultfilters import linebreaksbr
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from coding.codebook import Node
from coding.models import Code
from verbatim import links

# A code: its fold button (or a spacer), its row, and its sub-codes.
NODE = """<li id="code-{pk}" class="code-item{context}">
  <div class="code" data-code-id="{pk}"{focusable}{described}>
    {fold}
    {name}
  {count}
  {actions}{tip}
  </div>
  {children}
</li>
"""
FOLD = """<button type="button" class="code-fold" data-disclosure aria-expanded="true" \
aria-controls="code-children-{pk}"
              aria-label="{label}"></button>"""
SPACER = '<span class="code-fold" aria-hidden="true"></span>'
# The coding workspace's script applies the code to the selected text on click. No title: the
# definition tooltip is the row's only popup.
APPLY = """<button type="button" class="code-apply" data-code-id="{pk}"{described}>
      <span class="swatch c-{pk}"></span><span class="code-name">{name}</span>
    </button>"""
NAME = '<span class="swatch c-{pk}"></span><span class="code-name">{name}</span>'
COUNT = '<span class="code-count" id="code-count-{pk}">{counts}</span>'
ACTIONS = """<span class="code-actions">
      <a class="code-action" href="{edit}" hx-get="{edit}" hx-target="#code-{pk}" \
hx-swap="innerHTML"
         title="{edit_title}" aria-label="{edit_label}">✎</a>
      <form class="inline" method="post" action="{reorder}" hx-post="{reorder}" \
hx-target="#codebook" hx-swap="outerHTML">
        {csrf}
        <button type="submit" class="code-action" name="direction" value="up"{first}
                title="{up_title}" aria-label="{up_label}">↑</button>
        <button type="submit" class="code-action" name="direction" value="down"{last}
                title="{down_title}" aria-label="{down_label}">↓</button>
      </form>
    </span>
  """
TIP = """<span class="code-tip" role="tooltip" id="code-tip-{pk}">{parts}</span>
"""


@dataclass(frozen=True)
class Page:
    """What every code of one tree shares: found once (a translation costs a few µs, a URL's
    reversal 50–70)."""

    interview: bool  # beside an interview: counts there too, and codes apply on click
    can_code: bool
    csrf_input: str  # the reorder forms' hidden field, the same for every form of the page
    edit: str  # the `str.format` patterns of the codes' links (verbatim.links)
    reorder: str
    project_id: int
    words: dict[str, str]

    @classmethod
    def of(cls, project_id: int, *, interview: bool, can_code: bool, csrf_input: str) -> "Page":
        words = {
            "edit": _("Edit, move, merge or delete"),
            "up": _("Move up"),
            "down": _("Move down"),
            "when": _("When to use"),
            "when_not": _("When not to use"),
            "sub_codes": _("Sub-codes of “%(name)s”"),
            "edit_name": _("Edit “%(name)s”"),
            "up_name": _("Move “%(name)s” up"),
            "down_name": _("Move “%(name)s” down"),
        }
        return cls(
            interview=interview,
            can_code=can_code,
            csrf_input=csrf_input,
            edit=links.pattern("coding:code-edit", 2),
            reorder=links.pattern("coding:code-reorder", 2),
            project_id=project_id,
            words=words,
        )

    def labelled(self, word: str, name: str) -> str:
        return escape(self.words[word] % {"name": name})


def tree_html(nodes: list[Node], page: Page) -> SafeString:
    """The `<li>` of each code of `nodes` (coding.codebook.code_tree's), sub-codes nested."""
    return mark_safe("".join(_siblings(nodes, page)))  # noqa: S308 -- every value escaped


def _siblings(nodes: list[Node], page: Page) -> list[str]:
    last = len(nodes) - 1
    return [_node(node, page, first=n == 0, last=n == last) for n, node in enumerate(nodes)]


def _node(node: Node, page: Page, *, first: bool, last: bool) -> str:
    code = node.code
    pk, name = code.pk, escape(code.name)
    has_tip = bool(code.description or code.inclusion or code.exclusion)
    described = f' aria-describedby="code-tip-{pk}"' if has_tip else ""
    applies = page.interview and page.can_code
    children = ""
    if node.children:
        inner = "".join(_siblings(node.children, page))
        children = f'<ul id="code-children-{pk}">\n{inner}</ul>'
    return NODE.format(
        pk=pk,
        context="" if node.match else " code-context",
        focusable=' tabindex="0"' if not node.children and not applies else "",
        described=described,
        fold=FOLD.format(pk=pk, label=page.labelled("sub_codes", code.name))
        if node.children
        else SPACER,
        name=APPLY.format(pk=pk, described=described, name=name)
        if applies
        else NAME.format(pk=pk, name=name),
        count=COUNT.format(pk=pk, counts=_counts(code, page)),
        actions=_actions(code, page, first=first, last=last) if page.can_code else "",
        tip=TIP.format(pk=pk, parts=_tip(code, page)) if has_tip else "",
        children=children,
    )


def _counts(code: Code, page: Page) -> str:
    if page.interview:
        return f"{int(code.interview_count)} / {int(code.project_count)}"
    return str(int(code.project_count))


def _actions(code: Code, page: Page, *, first: bool, last: bool) -> str:
    return ACTIONS.format(
        pk=code.pk,
        edit=page.edit.format(page.project_id, code.pk),
        reorder=page.reorder.format(page.project_id, code.pk),
        csrf=page.csrf_input,
        edit_title=escape(page.words["edit"]),
        edit_label=page.labelled("edit_name", code.name),
        first=" disabled" if first else "",
        last=" disabled" if last else "",
        up_title=escape(page.words["up"]),
        up_label=page.labelled("up_name", code.name),
        down_title=escape(page.words["down"]),
        down_label=page.labelled("down_name", code.name),
    )


def _tip(code: Code, page: Page) -> str:
    parts = []
    if code.description:
        parts.append(_tip_text(code.description))
    if code.inclusion:
        parts.append(f'<span class="code-tip-label">{escape(page.words["when"])}</span>')
        parts.append(_tip_text(code.inclusion))
    if code.exclusion:
        parts.append(f'<span class="code-tip-label">{escape(page.words["when_not"])}</span>')
        parts.append(_tip_text(code.exclusion))
    return "\n      " + "\n      ".join(parts) + "\n    "


def _tip_text(text: str) -> str:
    return f'<span class="code-tip-text">{linebreaksbr(text, autoescape=True)}</span>'
