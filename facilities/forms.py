from django import forms
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils.translation import gettext_lazy as _

from projects.models import AtmpProject

from .models import Closure, NotificationPreferences, Qualification, Resource, ResourceKind, Weekday
from .services import FREE_SEARCH_MAX_DAYS, Recurrence


def datetime_local(label):
    """A date-and-time field shown as the browser's datetime-local input, read in local time."""
    return forms.DateTimeField(
        label=label,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


def date_input(label, **kwargs):
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kwargs)


class PeriodFormMixin:
    """``start`` and ``end`` fields, and the period they make once valid."""

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end and end <= start:
            self.add_error("end", _("The end must be after the start."))
        return cleaned

    @property
    def period(self) -> DateTimeTZRange:
        return DateTimeTZRange(self.cleaned_data["start"], self.cleaned_data["end"])


class BookingForm(PeriodFormMixin, forms.Form):
    resource = forms.ModelChoiceField(
        label=_("Room or equipment"), queryset=Resource.objects.none(), to_field_name="slug"
    )
    project = forms.ModelChoiceField(label=_("ATMP project"), queryset=AtmpProject.objects.none())
    start = datetime_local(_("Start"))
    end = datetime_local(_("End"))
    persons = forms.IntegerField(label=_("Persons"), min_value=1, max_value=50, initial=1)
    purpose = forms.CharField(label=_("Purpose"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    equipment = forms.ModelMultipleChoiceField(
        label=_("Equipment in the room, booked with it"),
        queryset=Resource.objects.none(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Booked for the same time as the room, all or nothing."),
    )
    repeat_weekdays = forms.TypedMultipleChoiceField(
        label=_("Repeat on"),
        choices=Weekday.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for a single booking."),
    )
    repeat_until = date_input(_("Repeat until"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        resources = Resource.objects.active().select_related("facility", "room")
        self.fields["resource"].queryset = resources
        self.fields["equipment"].queryset = resources.filter(kind=ResourceKind.EQUIPMENT)
        self.fields["equipment"].label_from_instance = lambda item: (
            _("%(item)s, in %(room)s")
            % {
                "item": item,
                "room": item.room,
            }
        )
        self.fields["project"].queryset = AtmpProject.objects.admitted().of_member(user).order_by("code")

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("repeat_weekdays")) != bool(cleaned.get("repeat_until")):
            self.add_error("repeat_until", _("To repeat a booking, choose both the weekdays and the last date."))
        return cleaned

    @property
    def recurrence(self) -> Recurrence | None:
        if not self.cleaned_data.get("repeat_weekdays"):
            return None
        return Recurrence(frozenset(self.cleaned_data["repeat_weekdays"]), self.cleaned_data["repeat_until"])


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=500)


class RejectForm(forms.Form):
    comment = forms.CharField(label=_("Reason for rejecting"), max_length=1000)


class ClosureForm(PeriodFormMixin, forms.ModelForm):
    start = datetime_local(_("Start"))
    end = datetime_local(_("End"))

    class Meta:
        model = Closure
        fields = ["facility", "resource", "reason", "note"]

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            self.instance.period = self.period
        return cleaned


class QualificationForm(forms.ModelForm):
    valid_from = date_input(_("Valid from"))
    valid_until = date_input(_("Valid until"))

    class Meta:
        model = Qualification
        fields = ["user", "kind", "grade", "resource", "valid_from", "valid_until", "note"]


class RenewQualificationForm(forms.Form):
    valid_until = date_input(_("New end date"))


class FreeTimeForm(forms.Form):
    resources = forms.ModelMultipleChoiceField(
        label=_("Rooms or equipment"), queryset=Resource.objects.none(), to_field_name="slug"
    )
    project = forms.ModelChoiceField(label=_("ATMP project"), queryset=AtmpProject.objects.none())
    duration = forms.IntegerField(
        label=_("Duration (minutes)"), min_value=30, max_value=24 * 60, step_size=30, initial=120
    )
    first_day = date_input(_("From"))
    last_day = date_input(_("To"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resources"].queryset = Resource.objects.active().select_related("facility", "room")
        self.fields["last_day"].help_text = _("At most %(days)s days after the first day.") % {
            "days": FREE_SEARCH_MAX_DAYS
        }
        self.fields["project"].queryset = AtmpProject.objects.admitted().of_member(user).order_by("code")


class NotificationPreferencesForm(forms.ModelForm):
    class Meta:
        model = NotificationPreferences
        fields = ["booking_reminders", "qualification_expiry", "new_requests"]
