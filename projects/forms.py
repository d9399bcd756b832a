from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from atmp_portal import dates
from atmp_portal.people import full_name

from . import services
from .models import (
    AtmpProject,
    DocumentKind,
    GroupApplication,
    InvitationRole,
    MembershipRole,
    MilestoneOutcome,
    ProcessStep,
    RegulatoryMilestone,
    ResearchGroup,
)


def role_choices(may_assign_pi: bool):
    """Membership roles the current user may give; only the PI hands on the PI role."""
    return [c for c in MembershipRole.choices if may_assign_pi or c[0] != MembershipRole.PI]


class ResearchGroupForm(forms.ModelForm):
    class Meta:
        model = ResearchGroup
        fields = ["name", "organisation_unit", "department", "description", "cost_centre", "billing_category"]

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


class CommentForm(forms.Form):
    """The comment on a workflow step or a decision; ``required`` where its reader needs to know why."""

    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args, required: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["comment"].required = required

    @classmethod
    def posted(cls, data) -> str:
        """The posted comment; a ProjectError with the form's message where it is too long."""
        form = cls(data, required=False)  # whether one is needed is the workflow's rule, with its own message
        if not form.is_valid():
            raise services.ProjectError(form.errors["comment"][0])
        return form.cleaned_data["comment"]


class DateInput(forms.DateInput):
    input_type = "date"


# The project form's fields, in the fieldsets the page shows them in.
PROJECT_FIELDSETS = (
    (_("The project"), ("title", "acronym", "group", "project_lead", "lay_summary", "description")),
    (_("The product"), ("atmp_class", "cell_origin", "starting_material", "genetic_modification", "indication",
                        "therapeutic_area")),
    (_("Development"), ("stage", "trl")),
    (_("Approvals"), ("gmo_class", "gmo_reference", "ethics_reference")),
    (_("Partners"), ("hospital_partners", "industry_partners", "academic_partners")),
    (_("What the project needs from the facility"), ("rooms_needed", "equipment_needed", "expected_start",
                                                     "expected_end", "campaign_days")),
)  # fmt: skip


class AtmpProjectForm(forms.ModelForm):
    """Register or edit an ATMP project; only the user's own groups, and their members as lead, are offered."""

    class Meta:
        model = AtmpProject
        fields = [name for _legend, names in PROJECT_FIELDSETS for name in names]
        widgets = {
            "lay_summary": forms.Textarea(attrs={"rows": 3}),
            "description": forms.Textarea(attrs={"rows": 5}),
            "rooms_needed": forms.Textarea(attrs={"rows": 2}),
            "equipment_needed": forms.Textarea(attrs={"rows": 2}),
            "expected_start": DateInput,
            "expected_end": DateInput,
        }
        field_classes = {"expected_start": dates.DateField, "expected_end": dates.DateField}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        groups = ResearchGroup.objects.with_member(user)
        if self.instance.group_id:
            groups = groups | ResearchGroup.objects.filter(pk=self.instance.group_id)
        self.fields["group"].queryset = groups.distinct()
        self.fields["project_lead"].queryset = (
            get_user_model().objects.filter(memberships__group__in=groups).distinct().order_by("last_name", "username")
        )
        self.fields["project_lead"].label_from_instance = lambda u: f"{full_name(u)} ({u.username})"
        if not self.instance.pk:
            self.initial.setdefault("project_lead", user.pk)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the page's form, around project and milestones, carries the token
        self.helper.layout = Layout(*(Fieldset(legend, *names) for legend, names in PROJECT_FIELDSETS))

    def clean(self):
        cleaned = super().clean()
        group, lead = cleaned.get("group"), cleaned.get("project_lead")
        if group and lead:
            try:
                services.check_project_lead(group, lead)
            except services.ProjectError as error:
                self.add_error("project_lead", error.message)
        return cleaned


class MilestoneForm(forms.ModelForm):
    class Meta:
        model = RegulatoryMilestone
        fields = ["kind", "date", "outcome", "outcome_date", "reference", "note"]
        widgets = {"date": DateInput, "outcome_date": DateInput}
        field_classes = {"date": dates.DateField, "outcome_date": dates.DateField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["outcome"].required = False  # left out: still pending

    def clean_outcome(self):
        return self.cleaned_data["outcome"] or MilestoneOutcome.PENDING


class ProcessStepForm(forms.ModelForm):
    class Meta:
        model = ProcessStep
        fields = ["name", "gmo_class"]


def project_formset(model, form, formset=forms.BaseInlineFormSet):
    """A list the project form edits with the project (milestones, steps): two blank rows, at most 30.

    absolute_max: a forged TOTAL_FORMS cannot make the server build a thousand forms.
    """
    return forms.inlineformset_factory(
        AtmpProject,
        model,
        form=form,
        formset=formset,
        extra=2,
        can_delete=True,
        max_num=30,
        validate_max=True,
        absolute_max=30,
    )


MilestoneFormSet = project_formset(RegulatoryMilestone, MilestoneForm)


class BaseProcessStepFormSet(forms.BaseInlineFormSet):
    """The project's steps, checked against the project's class as entered in the same form."""

    def clean(self):
        super().clean()
        for form in self.forms:
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and "gmo_class" in form.cleaned_data:
                try:
                    services.check_step_class(self.instance, form.cleaned_data["gmo_class"])
                except services.ProjectError as error:
                    form.add_error("gmo_class", error.message)


ProcessStepFormSet = project_formset(ProcessStep, ProcessStepForm, BaseProcessStepFormSet)


class DocumentUploadForm(forms.Form):
    """A new document, or a new version of one: the same type and title as before."""

    kind = forms.ChoiceField(label=_("Type"), choices=DocumentKind.choices)
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("Give an existing document's type and title to upload its next version."),
    )
    document_date = forms.DateField(label=_("Date of the document"), widget=DateInput)
    file = forms.FileField(label=_("File"), help_text=_("PDF, Word (DOCX), Excel (XLSX), PNG or JPEG."), max_length=255)


class GroupApplicationForm(forms.ModelForm):
    class Meta:
        model = GroupApplication
        fields = ["name", "organisation_unit", "department", "cost_centre", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 5})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.add_input(Submit("apply", _("Send the application")))


class InvitationForm(forms.Form):
    prefix = "invite"  # beside the add-member form on the group's page, whose role field it would repeat
    email = forms.EmailField(label=_("E-mail address"), max_length=254)
    role = forms.ChoiceField(label=_("Role"), choices=InvitationRole.choices, initial=InvitationRole.MEMBER)
