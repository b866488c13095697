from pathlib import PurePosixPath

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from exchange import placeholders, plans

NEW_ACCOUNT = "new"
EXTENSIONS = {plans.PROJECT: (".qdpx", ".zip"), plans.CODEBOOK: (".qdc", ".xml")}


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File"))

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.fields["file"].label = (
            _("REFI-QDA project (.qdpx)") if kind == plans.PROJECT else _("Codebook (.qdc)")
        )
        self.fields["file"].widget.attrs["accept"] = ",".join(EXTENSIONS[kind])

    def clean_file(self):
        upload = self.cleaned_data["file"]
        suffix = PurePosixPath(upload.name).suffix.lower()
        if suffix not in EXTENSIONS[self.kind]:
            if self.kind == plans.PROJECT:
                raise forms.ValidationError(_("Choose a REFI-QDA project export (.qdpx)."))
            raise forms.ValidationError(_("Choose a REFI-QDA codebook (.qdc)."))
        limit = settings.VERBATIM_MAX_QDPX_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than this server accepts (%(mb)d MB).")
                % {"mb": limit // (1024 * 1024)}
            )
        return upload


class ConfirmProjectForm(forms.Form):
    """The new project's name, and the account each user of the file becomes."""

    name = forms.CharField(label=_("Name of the new project"), max_length=200)

    def __init__(self, *args, plan: plans.Plan, candidates, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan = plan
        self.candidates = {str(user.pk): user for user in candidates}
        self.fields["name"].initial = plan.name
        choices = [(NEW_ACCOUNT, _("A new placeholder account (assign it later)"))] + [
            (pk, _label(user)) for pk, user in self.candidates.items()
        ]
        for index, user in enumerate(plan.project.users):
            match = placeholders.suggest(user.name, self.candidates.values())
            self.fields[f"user-{index}"] = forms.ChoiceField(
                label=user.name or user.guid,
                choices=choices,
                initial=str(match.pk) if match else NEW_ACCOUNT,
            )

    def user_fields(self):
        return [self[f"user-{index}"] for index in range(len(self.plan.project.users))]

    def accounts(self) -> dict:
        """Each REFI user's GUID → the chosen account, or None for a new placeholder."""
        return {
            user.guid: self.candidates.get(self.cleaned_data[f"user-{index}"])
            for index, user in enumerate(self.plan.project.users)
        }


def _label(user) -> str:
    full = user.get_full_name()
    return f"{full} ({user.get_username()})" if full else user.get_username()


class HandOverForm(forms.Form):
    """Who receives a placeholder account's work: any active account, by username or e-mail."""

    placeholder = forms.IntegerField(widget=forms.HiddenInput)
    username = forms.CharField(label=_("Username or e-mail"), max_length=150)

    def clean_username(self):
        name = self.cleaned_data["username"].strip()
        users = get_user_model().objects.filter(is_active=True)
        user = users.filter(username=name).first() or users.filter(email__iexact=name).first()
        if user is None:
            raise forms.ValidationError(_("No active user has this username or e-mail."))
        return user
