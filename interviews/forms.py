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
