from crispy_forms.helper import FormHelper
from crispy_forms.layout import Submit
from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MembershipRole, ResearchGroup


def role_choices(may_assign_pi: bool):
    """Membership roles the current user may give; only the PI hands on the PI role."""
    return [c for c in MembershipRole.choices if may_assign_pi or c[0] != MembershipRole.PI]


class ResearchGroupForm(forms.ModelForm):
    class Meta:
        model = ResearchGroup
        fields = ["name", "organisation_unit", "department", "description", "cost_centre"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("save", _("Save")))


class AddMemberForm(forms.Form):
    user = forms.CharField(
        label=_("Username or e-mail address"),
        max_length=254,
        help_text=_("The person must already have an account in the portal."),
    )
    role = forms.ChoiceField(label=_("Role"), initial=MembershipRole.MEMBER)

    def __init__(self, *args, may_assign_pi: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(may_assign_pi)


class ChangeRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, may_assign_pi: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = role_choices(may_assign_pi)
