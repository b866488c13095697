"""A methods paragraph with the figures filled in, in French and in English, to paste into a paper.

Each language's sentences are gettext messages (English msgids, French in agreement/locale),
rendered under `translation.override` with that language's number format: 0,78 and 41 200 in
French, 0.78 and 41,200 in English.
"""

from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from agreement.figures import TENTATIVE, Figures
from verbatim import people

LANGUAGES = ("fr", "en")


def paragraphs(computed: Figures, decisions: int = 0) -> dict[str, str]:
    """{"fr": …, "en": …}: the same paragraph in each language."""
    found = {}
    for language in LANGUAGES:
        with translation.override(language):
            found[language] = paragraph(computed, decisions)
    return found


def _number(value, decimals: int = 2) -> str:
    return formats.number_format(value, decimals, use_l10n=True, force_grouping=True)


def _count(value: int) -> str:
    return formats.number_format(value, 0, use_l10n=True, force_grouping=True)


def _percent(value: float) -> str:
    """A whole percentage, half rounded up as people do (84.5 % is 85 %): "85 %" in French (a
    no-break space before the sign), "85%" in English."""
    whole = Decimal(str(value * 100)).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return _("%(number)s%%") % {"number": _count(whole)}


def _coders(n: int) -> str:
    words = {2: _("Two"), 3: _("Three"), 4: _("Four"), 5: _("Five")}
    return words.get(n, _count(n))


def paragraph(computed: Figures, decisions: int = 0) -> str:
    s = computed.selection
    o = computed.overall
    sentences = []
    codes = ngettext("%(count)s code", "%(count)s codes", len(s.codes)) % {
        "count": _count(len(s.codes))
    }
    values = {
        "coders": _coders(len(s.coders)),
        "interviews": _count(len(s.interviews)),
        "total": _count(s.project_interviews),
        "share": _percent(len(s.interviews) / s.project_interviews) if s.project_interviews else "",
        "characters": _count(s.length),
        "codes": codes,
    }
    if s.round is not None:
        sentences.append(
            ngettext(
                "%(coders)s coders independently coded %(interviews)s of the %(total)s interview "
                "(%(share)s, %(characters)s characters) with %(codes)s.",
                "%(coders)s coders independently coded %(interviews)s of the %(total)s interviews "
                "(%(share)s, %(characters)s characters) with %(codes)s.",
                s.project_interviews,
            )
            % values
        )
    else:
        sentences.append(
            ngettext(
                "%(coders)s coders coded %(interviews)s of the %(total)s interview "
                "(%(share)s, %(characters)s characters) with %(codes)s.",
                "%(coders)s coders coded %(interviews)s of the %(total)s interviews "
                "(%(share)s, %(characters)s characters) with %(codes)s.",
                s.project_interviews,
            )
            % values
        )
    if s.reference is not None:
        sentences.append(
            _("Each coder was compared with a reference coding by %(name)s.")
            % {"name": people.name(s.reference)}
        )
    per_code = [c.alpha_u.value for c in computed.codes if c.alpha_u.value is not None]
    if o.alpha_u.value is not None:
        detail = ""
        if len(per_code) > 1:
            below = sum(value < TENTATIVE for value in per_code)
            detail = ngettext(
                " (from %(low)s to %(high)s across codes; %(below)s code below %(threshold)s)",
                " (from %(low)s to %(high)s across codes; %(below)s codes below %(threshold)s)",
                below,
            ) % {
                "low": _number(min(per_code)),
                "high": _number(max(per_code)),
                "below": _count(below),
                "threshold": _number(TENTATIVE, 3),
            }
        sentences.append(
            _("Krippendorff’s unitized alpha (uα) on characters was %(value)s overall%(detail)s.")
            % {"value": _number(o.alpha_u.value), "detail": detail}
        )
    if o.kappa.value is not None and o.percent.value is not None:
        sentences.append(
            _("Cohen’s kappa on characters was %(kappa)s (percent agreement %(percent)s).")
            % {"kappa": _number(o.kappa.value), "percent": _percent(o.percent.value)}
        )
    if o.alpha_nominal.value is not None:
        unit = _("paragraphs") if s.unit == "paragraph" else _("speaker turns")
        sentences.append(
            _("Krippendorff’s alpha on the presence of each code in %(unit)s was %(value)s.")
            % {"unit": unit, "value": _number(o.alpha_nominal.value)}
        )
    if o.segment.value is not None:
        kappa = ""
        if o.segment_kappa.value is not None:
            kappa = _(" (Brennan and Prediger’s kappa %(value)s)") % {
                "value": _number(o.segment_kappa.value)
            }
        sentences.append(
            _(
                "%(share)s of the coded segments were matched by the other coder with an overlap "
                "of at least %(overlap)s%(kappa)s."
            )
            % {
                "share": _percent(o.segment.value),
                "overlap": _percent(float(s.min_overlap)),
                "kappa": kappa,
            }
        )
    if decisions:
        sentences.append(
            ngettext(
                "Disagreements were discussed and settled into a consensus coding "
                "(%(count)s decision).",
                "Disagreements were discussed and settled into a consensus coding "
                "(%(count)s decisions).",
                decisions,
            )
            % {"count": _count(decisions)}
        )
    return " ".join(sentences)
