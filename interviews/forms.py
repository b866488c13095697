from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from interviews.models import Membership, Project


class ProjectForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class AddMemberForm(forms.Form):
    username = forms.CharField(label=_("Username or e-mail"), max_length=150)
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project

    def clean_username(self):
        name = self.cleaned_data["username"].strip()
        users = get_user_model().objects.filter(is_active=True)
        user = users.filter(username=name).first() or users.filter(email__iexact=name).first()
        if user is None:
            raise forms.ValidationError(_("No active user has this username or e-mail."))
        if self.project.memberships.filter(user=user).exists():
            raise forms.ValidationError(_("%(user)s is already a member.") % {"user": user})
        return user


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Membership.Role.choices)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented pattern)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        # Empty files reach the import, which names them in its report.
        kwargs.setdefault("allow_empty_file", True)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class UploadForm(forms.Form):
    files = MultipleFileField(
        label=_("Transcripts"),
        help_text=_(
            "Text (.txt, .md), Word (.docx), OpenDocument (.odt), PDF with text, WebVTT (.vtt), "
            "SubRip (.srt), or a .zip of them."
        ),
    )
    encoding = forms.ChoiceField(
        label=_("Encoding of text files"),
        required=False,
        choices=[("", _("Detect"))],
        help_text=_("Leave on “Detect” unless the preview shows garbled accents."),
    )

    def __init__(self, *args, **kwargs):
        from interviews.formats import ENCODINGS

        super().__init__(*args, **kwargs)
        self.fields["encoding"].choices += list(ENCODINGS.items())


class SheetForm(forms.Form):
    sheet = forms.FileField(
        label=_("Participant attributes (.csv or .xlsx)"),
        help_text=_(
            "One row per interview. A “Fichier” (file name) or “Pseudonyme” column says which; "
            "“Titre” and “Date” fill the interview's title and date; every other column is an "
            "attribute."
        ),
    )


class PseudonymsForm(forms.Form):
    rules = forms.CharField(
        label=_("Add replacements, one per line: Real name = Pseudonym"),
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "Martine Dupont = Claire"}),
    )

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        self.project = project

    def clean_rules(self):
        from interviews.pseudonyms import name_key, parse_rules

        try:
            rules = parse_rules(self.cleaned_data["rules"])
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        known = {
            name_key(name) for name in self.project.pseudonyms.values_list("real_name", flat=True)
        }
        for real, _pseudonym in rules:
            if name_key(real) in known:
                raise forms.ValidationError(
                    _("“%(name)s” is already in the list.") % {"name": real}
                )
            known.add(name_key(real))
        return rules
