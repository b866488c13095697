"""Forms of the memo panel and the project memo list (coding/memo_views.py)."""

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from coding.models import Memo
from interviews.models import Project
from verbatim import people


class MemoForm(forms.ModelForm):
    """The text of a memo; what it is attached to comes from the request, checked by the view."""

    class Meta:
        model = Memo
        fields = ["body"]
        widgets = {
            "body": forms.Textarea(
                attrs={
                    "rows": 3,
                    "aria-label": _("Memo"),
                    "placeholder": _("Write a memo… (Ctrl+Enter saves)"),
                }
            )
        }


class MemoFilterForm(forms.Form):
    """The filters of the memo list, read from the query string; an invalid value filters nothing."""

    KINDS = {
        "project": {"interview": None, "code": None, "coding": None},
        "interview": {"interview__isnull": False},
        "code": {"code__isnull": False},
        "passage": {"coding__isnull": False},
    }

    kind = forms.ChoiceField(
        label=_("Attached to"),
        required=False,
        choices=[
            ("", _("Anything")),
            ("project", _("The project")),
            ("interview", _("An interview")),
            ("code", _("A code")),
            ("passage", _("A coded passage")),
        ],
    )
    author = forms.ModelChoiceField(
        label=_("Author"), required=False, queryset=None, empty_label=_("Everyone")
    )

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["author"].queryset = (
            get_user_model().objects.filter(memberships__project=project).order_by("username")
        )
        self.fields["author"].label_from_instance = people.name

    def filter(self, memos):
        """`memos` narrowed by the valid filters."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        if lookup := self.KINDS.get(data.get("kind")):
            memos = memos.filter(**lookup)
        if author := data.get("author"):
            memos = memos.filter(author=author)
        return memos
