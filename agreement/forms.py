import random

from django import forms
from django.contrib.auth import get_user_model
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coding.codebook import code_paths
from coding.models import Code, CodingRound
from interviews.models import Interview, Project
from verbatim import people


class ManyOptions(forms.SelectMultiple):
    """A multiple select of many options, written without a template per option: a project's
    interviews, 2,000 at L, took Django's templates 160 ms of the new-round page's 209. The same
    markup as Django's select (its attributes, `multiple`, each chosen option `selected`)."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            (
                (option, " selected" if str(option) in chosen else "", label)
                for option, label in self.choices
            ),
        )
        attributes = flatatt({**self.build_attrs(self.attrs, attrs), "multiple": True})
        return format_html('<select name="{}"{}>{}</select>', name, attributes, options)


class RoundForm(forms.ModelForm):
    """A new blind coding round: its interviews and coders (two or more members), optionally the
    codes in scope and a reference coder among the coders.

    The interviews are chosen by hand, or drawn at random (`sample`): double-coding a random share
    of the material is how agreement is usually checked, and picking a tenth of 2,000 interviews
    by hand in a list is not a researcher's job. The draw is made once, when the round opens: the
    round then holds those interviews as if chosen."""

    sample = forms.IntegerField(
        label=gettext_lazy("Or draw this many interviews at random"),
        required=False,
        min_value=1,
    )

    class Meta:
        model = CodingRound
        fields = ["name", "interviews", "sample", "coders", "codes", "reference_coder"]
        labels = {
            "interviews": gettext_lazy("Interviews"),
            "coders": gettext_lazy("Coders"),
            "codes": gettext_lazy("Codes in scope (none: every code)"),
        }
        widgets = {
            "interviews": ManyOptions(attrs={"size": 8}),
            "coders": forms.SelectMultiple(attrs={"size": 5}),
            "codes": forms.SelectMultiple(attrs={"size": 8}),
        }

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project
        members = get_user_model().objects.filter(memberships__project=project).order_by("username")
        self.fields["interviews"].queryset = Interview.objects.filter(project=project).defer("text")
        self.fields["interviews"].required = False  # or drawn (`sample`)
        self.interview_count = project.interviews.count()
        self.fields["sample"].help_text = _(
            "Instead of choosing them, among all the project’s interviews (%(count)s)."
        ) % {"count": self.interview_count}
        self.fields["coders"].queryset = members
        self.fields["coders"].label_from_instance = people.name
        self.fields["reference_coder"].queryset = members
        self.fields["reference_coder"].label_from_instance = self.fields[
            "coders"
        ].label_from_instance
        self.fields["reference_coder"].help_text = _(
            "For training: each coder is compared with this one (who codes in the round too)."
        )
        paths = {code.pk: path for code, path in code_paths(project.pk)}
        self.fields["codes"].queryset = Code.objects.filter(project=project)
        self.fields["codes"].label_from_instance = lambda code: paths.get(code.pk, code.name)
        self.fields["codes"].required = False

    def clean(self):
        data = super().clean()
        chosen, sample = data.get("interviews"), data.get("sample")
        if sample and chosen:
            self.add_error("sample", _("Choose the interviews or draw them, not both."))
        elif sample and sample > self.interview_count:
            self.add_error(
                "sample",
                _("Draw at most %(count)s: the project has no more interviews.")
                % {"count": self.interview_count},
            )
        elif sample:
            ids = list(self.project.interviews.values_list("pk", flat=True))
            data["interviews"] = Interview.objects.filter(
                pk__in=random.SystemRandom().sample(ids, sample)
            )
        elif not chosen and "interviews" not in self.errors:
            self.add_error("interviews", _("Choose the round’s interviews, or draw some."))
        coders = data.get("coders") or []
        if len(coders) < 2:
            self.add_error("coders", _("Choose at least two coders: a round compares them."))
        reference = data.get("reference_coder")
        if reference is not None and reference not in coders:
            self.add_error("reference_coder", _("The reference coder must be one of the coders."))
        return data

    def save(self, commit=True):
        self.instance.project = self.project
        return super().save(commit)
