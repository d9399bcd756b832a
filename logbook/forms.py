import datetime

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from atmp_portal.widgets import OptionsSelect
from facilities.forms import datetime_local
from facilities.models import Booking, CleanRoomGrade, Resource, ResourceKind
from facilities.periods import local_days
from projects.models import AtmpProject

from .models import Cleaning, CleaningAgent, Deviation, EmMethod, EmResult, LineClearance, OccupancyState, RoomRelease


class SignatureForm(forms.Form):
    """A signed record asks for the signer's password again, in the same form."""

    password = forms.CharField(
        label=_("Your password, to sign"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CheckInForm(forms.Form):
    entrants = forms.ModelMultipleChoiceField(
        label=_("Who enters the room"), queryset=get_user_model().objects.none(), widget=forms.CheckboxSelectMultiple
    )
    batch = forms.CharField(label=_("Batch"), max_length=100, required=False)

    def __init__(self, *args, booking: Booking, **kwargs):
        super().__init__(*args, **kwargs)
        # The booking's named entrants, each checked for the room when it was booked, may enter under it.
        self.fields["entrants"].queryset = booking.entrants.filter(is_active=True).order_by(
            "first_name", "last_name", "username"
        )


class LineClearanceForm(SignatureForm):
    items = forms.MultipleChoiceField(label=_("Checklist"), widget=forms.CheckboxSelectMultiple)
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    field_order = ["items", "note", "password"]

    def __init__(self, *args, checklist: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["items"].choices = [(item, item) for item in checklist]


class CleaningForm(SignatureForm):
    performed_at = datetime_local(_("Performed at"))
    agent = forms.ModelChoiceField(label=_("Agent"), queryset=CleaningAgent.objects.filter(active=True))
    areas = forms.CharField(label=_("Areas"), max_length=300)
    field_order = ["performed_at", "agent", "areas", "password"]


class EmResultForm(SignatureForm):
    sampling_point = forms.CharField(label=_("Sampling point"), max_length=100)
    grade = forms.ChoiceField(label=_("Grade at the sampling point"), choices=CleanRoomGrade.choices)
    method = forms.ChoiceField(label=_("Method"), choices=EmMethod.choices)
    state = forms.ChoiceField(label=_("Occupancy state"), choices=OccupancyState.choices)
    sampled_at = datetime_local(_("Sampled at"))
    value = forms.DecimalField(label=_("Result"), min_value=0, max_digits=12, decimal_places=1)
    field_order = ["sampling_point", "grade", "method", "state", "sampled_at", "value", "password"]


class NoteSignatureForm(SignatureForm):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    field_order = ["note", "password"]


class QuarantineForm(forms.Form):
    note = forms.CharField(label=_("Why the room is quarantined"), max_length=1000)


class DeviationForm(forms.ModelForm):
    class Meta:
        model = Deviation
        fields = ["room", "equipment", "booking", "project", "category", "severity", "description", "immediate_action"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 4}),
            "immediate_action": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = Resource.objects.active().filter(kind=ResourceKind.ROOM)
        self.fields["equipment"].queryset = Resource.objects.active().filter(kind=ResourceKind.EQUIPMENT)
        self.fields["project"].queryset = AtmpProject.objects.of_member(user)
        # The bookings around today that the reporter may see: a short list, not the whole calendar.
        today = timezone.localdate()
        window = local_days(today - datetime.timedelta(days=7), today + datetime.timedelta(days=1))
        self.fields["booking"].queryset = (
            Booking.objects.visible_to(user).active().overlapping(window).select_related("resource").order_by("period")
        )


class InvestigationForm(forms.ModelForm):
    class Meta:
        model = Deviation
        fields = ["investigation", "capa"]
        widgets = {"investigation": forms.Textarea(attrs={"rows": 4}), "capa": forms.Textarea(attrs={"rows": 3})}


class LogbookFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False, widget=OptionsSelect)
    first_day = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    last_day = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, kinds, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [("", _("All entries")), *kinds]


class CorrectionForm(SignatureForm):
    reason = forms.CharField(label=_("Reason for the correction"), max_length=1000)
    field_order = ["reason", "password"]


# What a correction may change, per kind of signed record (the rest is copied from the original).
CORRECTABLE_FIELDS = {
    "clearance": (LineClearance, ["note"]),
    "cleaning": (Cleaning, ["performed_at", "agent", "areas"]),
    "em": (EmResult, ["sampling_point", "grade", "method", "state", "sampled_at", "value"]),
    "release": (RoomRelease, ["note"]),
}


def correction_form(kind: str, data, original):
    """The form of the corrected values, filled with the original's."""
    model, fields = CORRECTABLE_FIELDS[kind]
    widgets = {name: forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
               for name in ("performed_at", "sampled_at")}  # fmt: skip
    form_class = forms.modelform_factory(model, fields=fields, widgets=widgets)
    return form_class(data, instance=original)
