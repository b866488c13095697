"""Forms of the coding workspace. They re-check everything the browser sends: offsets, codes."""

from django import forms
from django.utils.translation import gettext_lazy as _

from coding.models import Code, validate_code_name
from interviews.models import Interview

BIGINT_MAX = 2**63 - 1  # ids are PostgreSQL bigints


def check_version(interview: Interview, version: int | None) -> None:
    """Offsets read on an older text of the interview (the page was open during a correction,
    corrections/) would code other words: refused. Without `version`, the page did not say."""
    if version is not None and version != interview.text_version:
        raise forms.ValidationError(
            _(
                "The transcript was corrected since this page was opened: nothing was changed. "
                "Reload the page to code its current text."
            )
        )


class SelectionForm(forms.Form):
    """A passage [start, end) of the interview's text, in code points, read on text `version`."""

    start = forms.IntegerField(min_value=0)
    end = forms.IntegerField(min_value=0)
    version = forms.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX)

    def __init__(self, *args, interview: Interview, **kwargs):
        super().__init__(*args, **kwargs)
        self.interview = interview

    def clean(self):
        data = super().clean()
        check_version(self.interview, data.get("version"))
        start, end = data.get("start"), data.get("end")
        if self.errors or start is None or end is None:
            raise forms.ValidationError(_("Select a passage of the transcript first."))
        check_passage(self.interview, start, end)
        return data


class ApplyCodeForm(SelectionForm):
    """An existing code (`code`, its id) or a new one (`new_code`, its name) for the selection.

    The code's id is checked where it is used, in the same SQL statement as the write
    (coding.actions.apply_code), which answers CODE_GONE when the project has no such code.
    """

    code = forms.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX)
    new_code = forms.CharField(required=False, max_length=200)

    def clean(self):
        if "code" in self.errors:  # no id could be this: answer as for a deleted code
            raise forms.ValidationError(CODE_GONE)
        data = super().clean()
        code_id, name = data.get("code"), " ".join((data.get("new_code") or "").split())
        if (code_id is None) == (not name):
            raise forms.ValidationError(_("Choose a code, or type the name of a new one."))
        if code_id is None:
            validate_code_name(name)  # its error becomes the status line's message
        data["new_code"] = name
        return data


class UpdateCodingForm(forms.Form):
    """Another code for a coding, or new boundaries, or both."""

    code = forms.IntegerField(required=False)
    start = forms.IntegerField(required=False, min_value=0)
    end = forms.IntegerField(required=False, min_value=0)
    version = forms.IntegerField(required=False, min_value=1, max_value=BIGINT_MAX)

    def __init__(self, *args, interview: Interview, **kwargs):
        super().__init__(*args, **kwargs)
        self.interview = interview

    def clean(self):
        data = super().clean()
        if self.errors:
            raise forms.ValidationError(_("That change could not be read. Reload the page."))
        check_version(self.interview, data.get("version"))
        if data.get("code") is not None:
            data["code"] = _project_code(self.interview, data["code"])
        start, end = data.get("start"), data.get("end")
        if (start is None) != (end is None):
            raise forms.ValidationError(_("A new passage needs both its start and its end."))
        if start is not None:
            check_passage(self.interview, start, end)
        if data.get("code") is None and start is None:
            raise forms.ValidationError(_("Nothing to change."))
        return data


def check_passage(interview: Interview, start: int, end: int) -> None:
    if start >= end:
        raise forms.ValidationError(_("The selection is empty or reversed: select it again."))
    if end > interview.text_length:
        raise forms.ValidationError(
            _("The selection lies outside this transcript. Reload the page and select it again.")
        )
    if not interview.text[start:end].strip():
        raise forms.ValidationError(_("Select some words, not only spaces."))


CODE_GONE = _("This code no longer exists: it may have been merged or deleted. Choose another.")


def _project_code(interview: Interview, code_id: int) -> Code:
    # A code of another project answers like a deleted one: nothing about it leaks.
    code = Code.objects.filter(project_id=interview.project_id, pk=code_id).first()
    if code is None:
        raise forms.ValidationError(CODE_GONE)
    return code
