"""Forms of the codebook sidebar: a code's fields and place, and the code to merge one into."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from coding.codebook import (
    MIN_CONTRAST,
    check_merge,
    code_tree,
    contrast,
    flatten,
    readable,
    subtree_ids,
)
from coding.models import Code
from interviews.models import Project

INDENT = "\u2003"  # an em space per level in the parent and target lists


def _tree_choices(project: Project, excluded: set[int]) -> tuple[list, dict[int, Code]]:
    """Choices listing the project's codes in tree order, indented, without `excluded` ids."""
    codes = {
        code.pk: (depth, code)
        for depth, code in flatten(code_tree(project.pk))
        if code.pk not in excluded
    }
    choices = [(pk, INDENT * depth + code.name) for pk, (depth, code) in codes.items()]
    return choices, {pk: code for pk, (_depth, code) in codes.items()}


class CodeForm(forms.ModelForm):
    """Creates or changes a code: name, colour, definition and its place in the tree.

    The parent list leaves out the code itself and its sub-codes (the database would refuse the cycle),
    and a name already used at the chosen level, whatever its case, is a form error.
    """

    parent = forms.TypedChoiceField(label=_("Parent"), required=False, coerce=int, empty_value=None)

    class Meta:
        model = Code
        fields = ["name", "parent", "color", "description", "inclusion", "exclusion"]
        widgets = {
            "color": forms.TextInput(attrs={"type": "color"}),
            "description": forms.Textarea(attrs={"rows": 3}),
            "inclusion": forms.Textarea(attrs={"rows": 2}),
            "exclusion": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.project = project
        excluded = subtree_ids(self.instance) if self.instance.pk else set()
        choices, self.parents = _tree_choices(project, excluded)
        self.fields["parent"].choices = [("", _("(top level)")), *choices]
        self.fields["name"].widget.attrs["autofocus"] = True

    def clean_parent(self) -> Code | None:
        parent_id = self.cleaned_data["parent"]
        return None if parent_id is None else self.parents[parent_id]

    def clean_color(self) -> str:
        color = self.cleaned_data["color"].lower()
        unchanged = self.instance.pk and color == self.instance.color.lower()
        # A malformed colour is the model validator's to refuse.
        if (
            re.fullmatch(r"#[0-9a-f]{6}", color)
            and not unchanged
            and contrast(color) < MIN_CONTRAST
        ):
            raise forms.ValidationError(
                _(
                    "This colour is too pale to be seen on the page (%(ratio).1f:1, at least 3:1 is"
                    " needed). Try %(suggestion)s, a darker shade of it."
                ),
                params={"ratio": contrast(color), "suggestion": readable(color)},
            )
        return color

    def clean(self):
        cleaned = super().clean()
        name = cleaned.get("name")
        if name and "parent" not in self.errors:
            siblings = Code.objects.filter(
                project=self.instance.project, parent=cleaned.get("parent"), name__iexact=name
            )
            if siblings.exclude(pk=self.instance.pk).exists():
                self.add_error("name", _("A code with this name already exists at this level."))
        return cleaned


class MergeForm(forms.Form):
    """The code to fold another one into; refuses itself, its sub-codes and clashing sub-code names."""

    target = forms.TypedChoiceField(label=_("Merge into"), coerce=int)

    def __init__(self, *args, source: Code, **kwargs):
        super().__init__(*args, **kwargs)
        self.source = source
        choices, self.targets = _tree_choices(source.project, subtree_ids(source))
        self.fields["target"].choices = [("", "—"), *choices]

    def clean_target(self) -> Code:
        target = self.targets[self.cleaned_data["target"]]
        check_merge(self.source, target)
        return target
