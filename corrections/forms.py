"""Forms of the correction pages. The text a user typed is always given back to them on a refusal."""

from django import forms
from django.utils.translation import gettext_lazy as _

from interviews.models import Interview, Speaker, Turn

MAX_REASON = 500


class _Versioned(forms.Form):
    # The text version the page was read from: a save over a newer version is refused (services).
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    reason = forms.CharField(
        label=_("Why (optional)"),
        max_length=MAX_REASON,
        required=False,
        widget=forms.TextInput(
            attrs={"placeholder": _("e.g. misheard word, name to pseudonymise")}
        ),
    )


class PassageForm(_Versioned):
    """One turn's (or untagged block's) words, its speaker, and whether the next turn joins it."""

    words = forms.CharField(
        label=_("Words"), strip=False, required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    speaker = forms.ModelChoiceField(
        label=_("Speaker"), queryset=Speaker.objects.none(), required=False, empty_label=None
    )
    join_next = forms.BooleanField(label=_("Join the next turn to this one"), required=False)

    def __init__(self, *args, interview: Interview, start: int, end: int, **kwargs):
        self.turn = Turn.objects.filter(interview=interview, start=start).first()
        initial = {"words": interview.text[start:end], "version": interview.text_version}
        if self.turn is not None:
            initial["speaker"] = self.turn.speaker_id
        super().__init__(*args, initial=initial, **kwargs)
        if self.turn is None:
            del self.fields["speaker"]
            del self.fields["join_next"]
        else:
            self.fields["speaker"].queryset = interview.speakers.order_by("name")

    def clean(self):
        data = super().clean()
        data.setdefault("speaker", None)
        data.setdefault("join_next", False)
        return data


class TextForm(_Versioned):
    text = forms.CharField(label=_("Text"), strip=False, widget=forms.Textarea(attrs={"rows": 30}))


class UploadForm(forms.Form):
    file = forms.FileField(label=_("Corrected file"))
    encoding = forms.CharField(
        label=_("Encoding (optional, for text files)"), required=False, max_length=40
    )
