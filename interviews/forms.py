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


class EncodingInput(forms.TextInput):
    """A text box with a `<datalist>` of every encoding Python knows: the browser filters it as the
    admin types a name, a language or an alias (formats.all_encodings())."""

    def render(self, name, value, attrs=None, renderer=None):
        from django.utils.html import format_html, format_html_join

        from interviews.formats import all_encodings

        attrs = {**(attrs or {}), "list": f"{name}-encodings"}
        options = format_html_join(
            "\n",
            '<option value="{}">{}</option>',
            (
                (codec, f"{label} · {', '.join(aliases)}" if aliases else label)
                for codec, label, aliases in all_encodings()
            ),
        )
        datalist = format_html('<datalist id="{}">{}</datalist>', attrs["list"], options)
        return super().render(name, value, attrs, renderer) + datalist


class UploadForm(forms.Form):
    files = MultipleFileField(
        label=_("Transcripts"),
        help_text=_(
            "Text (.txt, .md), Word (.docx), OpenDocument (.odt), PDF with text, WebVTT (.vtt), "
            "SubRip (.srt), or a .zip of them."
        ),
    )
    encoding = forms.CharField(
        label=_("Encoding of text files"),
        required=False,
        widget=EncodingInput(attrs={"placeholder": _("Detect"), "autocomplete": "off"}),
        help_text=_(
            "Leave empty to detect it. If the preview shows garbled accents, type the encoding's "
            "name or its language (gbk, cp1252, Japanese…) and pick it in the list."
        ),
    )

    def clean_files(self):
        from django.conf import settings

        files = self.cleaned_data["files"]
        if len(files) > settings.VERBATIM_MAX_FILES:
            raise forms.ValidationError(
                _("At most %(limit)d files at once: upload the others next, or in a .zip.")
                % {"limit": settings.VERBATIM_MAX_FILES}
            )
        return files

    def clean_encoding(self):
        from interviews.formats import codec_name

        name = self.cleaned_data["encoding"].strip()
        if name and codec_name(name) is None:
            raise forms.ValidationError(
                _("Unknown encoding “%(encoding)s”: choose one in the list.") % {"encoding": name}
            )
        return name


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
