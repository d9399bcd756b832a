import datetime
import functools
from collections.abc import Callable, Iterable

from django import forms
from django.contrib.auth import get_user_model
from django.db import models
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from atmp_portal import dates, sql
from atmp_portal.people import full_name
from atmp_portal.widgets import OptionsSelect
from projects.models import ADMITTED_STATUSES, AtmpProject, Membership, ProcessStep

from .models import Closure, Facility, NotificationPreferences, Qualification, Resource, ResourceKind, Weekday
from .permissions import can_book_on_behalf, can_decide_booking
from .report_exports import TABLE_CHOICES
from .reports import ReportPeriod
from .services import (
    FREE_SEARCH_MAX_DAYS,
    BookingError,
    Recurrence,
    check_period_order,
    possible_entrants,
)


def datetime_local(label):
    """A date-and-time field shown as the browser's datetime-local input, read in local time."""
    return dates.DateTimeField(
        label=label,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


def date_input(label, **kwargs):
    return dates.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"), **kwargs)


class PeriodFormMixin:
    """``start`` and ``end`` fields, and the period they make once valid."""

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            try:
                check_period_order(DateTimeTZRange(start, end))
            except BookingError as error:
                self.add_error("end", error.message)
        return cleaned

    @property
    def period(self) -> DateTimeTZRange:
        return DateTimeTZRange(self.cleaned_data["start"], self.cleaned_data["end"])


def equipment_by_room(equipment: list[Resource]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Equipment choices grouped by the room it stands in, so the page shows which can be booked with a room."""
    groups: dict[str, list[tuple[str, str]]] = {}
    # As PostgreSQL orders them: by room name, equipment without a room last.
    for item in sorted(equipment, key=lambda item: (item.room is None, item.room.name if item.room else "", item.name)):
        groups.setdefault(item.room.name if item.room else str(_("No room")), []).append((item.slug, item.name))
    return list(groups.items())


class _FetchedChoices(forms.models.ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for item in self.field.fetched:
            yield self.choice(item)

    def __len__(self):
        return len(self.field.fetched) + (self.field.empty_label is not None)

    def __bool__(self):
        return self.field.empty_label is not None or bool(self.field.fetched)


class FetchedOnceMixin:
    """A model choice field whose objects are read once per form, when first needed (``fetch``), and then serve
    both its validation and its widget: showing a refused form again runs no second round of queries for its
    choices, and a form accepted with the field left empty reads none."""

    iterator = _FetchedChoices
    _read: Callable[[], Iterable] = tuple
    _by_key: dict[str, object] | None = None

    def fetch(self, read: Callable[[], Iterable]) -> None:
        """Offer the objects ``read()`` gives, called at their first use."""
        self._read, self._by_key = read, None

    def _keyed(self) -> dict[str, object]:
        if self._by_key is None:
            key = self.to_field_name or "pk"
            self._by_key = {str(getattr(item, key)): item for item in self._read()}
        return self._by_key

    @property
    def fetched(self) -> list:
        return list(self._keyed().values())

    def _lookup(self, value):
        if isinstance(value, models.Model):
            value = getattr(value, self.to_field_name or "pk")
        return self._keyed().get(str(value))


class FetchedOnceChoiceField(FetchedOnceMixin, forms.ModelChoiceField):
    def to_python(self, value):
        if value in self.empty_values:
            return None
        item = self._lookup(value)
        if item is None:
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return item


class FetchedOnceMultipleChoiceField(FetchedOnceMixin, forms.ModelMultipleChoiceField):
    def clean(self, value):
        value = self.prepare_value(value)
        if self.required and not value:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if not value:
            return []
        if not isinstance(value, (list, tuple)):
            raise forms.ValidationError(self.error_messages["invalid_list"], code="invalid_list")
        meta = self.queryset.model._meta
        key = meta.get_field(self.to_field_name) if self.to_field_name else meta.pk
        chosen = []
        for each in value:
            try:
                key.to_python(each)
            except forms.ValidationError:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": each}
                ) from None
            item = self._lookup(each)
            if item is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": each}
                )
            if item not in chosen:
                chosen.append(item)
        self.run_validators(value)
        return chosen


class RecurrenceForm(forms.Form):
    """``repeat_weekdays`` and ``repeat_until``, and the recurrence they make (None: once)."""

    repeat_weekdays = forms.TypedMultipleChoiceField(
        label=_("Repeat on"),
        choices=Weekday.choices,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for a single booking."),
    )
    repeat_until = date_input(_("Repeat until"), required=False)

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


class BookingForm(PeriodFormMixin, RecurrenceForm):
    field_order = ["resource", "project", "start", "end", "step", "entrants", "purpose", "equipment"]

    resource = FetchedOnceChoiceField(
        label=_("Room or equipment"), queryset=Resource.objects.none(), to_field_name="slug", widget=OptionsSelect
    )
    project = FetchedOnceChoiceField(label=_("ATMP project"), queryset=AtmpProject.objects.none(), widget=OptionsSelect)
    start = datetime_local(_("Start"))
    end = datetime_local(_("End"))
    step = FetchedOnceChoiceField(
        label=_("Process step"),
        queryset=ProcessStep.objects.none(),
        required=False,
        widget=OptionsSelect,
        help_text=_("For a GMO project: the step you do, whose contained-use class the room must be approved for."),
    )
    entrants = FetchedOnceMultipleChoiceField(
        label=_("Entrants"),
        queryset=get_user_model().objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "The people who will enter: members of the project's group or facility staff, each qualified for the "
            "room. None ticked: you alone."
        ),
    )
    purpose = forms.CharField(label=_("Purpose"), max_length=500, widget=forms.Textarea(attrs={"rows": 3}))
    equipment = FetchedOnceMultipleChoiceField(
        label=_("Equipment in the room, booked with it"),
        queryset=Resource.objects.none(),
        to_field_name="slug",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Booked for the same time as the room, all or nothing."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # At most four queries, however many resources, projects and people the centre has: the lists are those
        # of the chosen resource's facility and the chosen project.
        self.fields["resource"].fetch(lambda: resources_beside(self["resource"].value()))
        resources = self.fields["resource"].fetched
        chosen = self.fields["resource"]._lookup(self["resource"].value() or "")
        self.facility = chosen.facility if chosen else None
        # Equipment stands in a room of its own facility: once the resource is known, only that facility's
        # equipment is a choice.
        equipment = [
            item
            for item in resources
            if item.kind == ResourceKind.EQUIPMENT and (chosen is None or item.facility_id == chosen.facility_id)
        ]
        self.fields["equipment"].fetch(lambda: equipment)
        self.fields["equipment"].choices = equipment_by_room(equipment)
        # Facility staff book for any admitted project: they choose it first (ProjectSearchForm), and the form
        # offers that one, its steps and its group, not every project and person of the centre.
        self.books_on_behalf = can_book_on_behalf(user)
        chosen_project = _ids(self["project"].value()) if self.books_on_behalf else None
        self.fields["project"].fetch(lambda: offered_projects(user, chosen_project))
        # The steps and the people are read only to be shown or to check a choice: a booking for no step by the
        # booker alone reads neither, nor builds their queries.
        self.fields["step"].fetch(lambda: steps_of(self.fields["project"].fetched))
        self.fields["step"].label_from_instance = lambda step: f"{step.project.code}: {step}"
        self.fields["entrants"].fetch(
            lambda: possible_entrants({project.group_id for project in self.fields["project"].fetched})
        )
        self.fields["entrants"].label_from_instance = full_name

    @property
    def project_chosen(self) -> bool:
        """Whether the form has a project to offer: for facility staff, only once they chose one."""
        return bool(self.fields["project"].fetched)

    @property
    def resource_rooms(self) -> dict[str, str]:
        """Each resource's room, by slug, for the script that shows the chosen room's equipment only."""
        return {
            resource.slug: (resource if resource.is_room else resource.room or resource).name
            for resource in self.fields["resource"].fetched
        }


def offered_projects(user, chosen: list[int] | None) -> list[AtmpProject]:
    """The admitted projects the booking form offers, by code: those ``user`` may book for
    (``AtmpProject.objects.bookable_by``), or with ``chosen`` ids (facility staff) those; one query, written out
    (``atmp_portal.sql``): every booking form asks it."""
    if chosen is None:
        return sql.instances(AtmpProject, _offered_projects(of_member=True), [list(ADMITTED_STATUSES), user.pk])
    return sql.instances(AtmpProject, _offered_projects(of_member=False), [list(ADMITTED_STATUSES), chosen])


@functools.cache
def _offered_projects(of_member: bool) -> str:
    among = (
        f"p.group_id IN (SELECT m.group_id FROM {Membership._meta.db_table} m WHERE m.user_id = %s)"
        if of_member
        else "p.id = ANY(%s)"
    )
    return (
        f"SELECT {sql.columns(AtmpProject, 'p')} FROM {AtmpProject._meta.db_table} p "
        f"WHERE p.status = ANY(%s) AND {among} ORDER BY p.code"
    )


def steps_of(projects: list[AtmpProject]) -> list[ProcessStep]:
    """The process steps of ``projects``, each with its project, in the model's order (by project, newest first);
    one query, written out (``atmp_portal.sql``): every booking form shows them."""
    by_pk = {project.pk: project for project in projects}
    steps = sql.instances(ProcessStep, _STEPS_OF_PROJECTS, [list(by_pk)])
    for step in steps:
        step.project = by_pk[step.project_id]
    return steps


_STEPS_OF_PROJECTS = (
    f"SELECT {sql.columns(ProcessStep, 's')} FROM {ProcessStep._meta.db_table} s "
    f"JOIN {AtmpProject._meta.db_table} p ON p.id = s.project_id WHERE s.project_id = ANY(%s) "
    "ORDER BY p.created_at DESC, s.id"
)


def _ids(value) -> list[int]:
    """The id ``value`` names, as a list (empty for none or for text that is not an id)."""
    try:
        return [int(value)]
    except (TypeError, ValueError):
        return []


def resources_beside(slug: str | None) -> list[Resource]:
    """The active resources of the facility of the resource ``slug`` names; every facility's if it names none.
    Each with its facility and its room; one query, written out (``atmp_portal.sql``): every booking form asks it."""
    if slug:
        of_facility = sql.instances(Resource, _active_resources(beside=True), [slug], related=("facility", "room"))
        if of_facility:
            return of_facility
    return sql.instances(Resource, _active_resources(beside=False), [], related=("facility", "room"))


@functools.cache
def _active_resources(beside: bool) -> str:
    # ``Resource.objects.active().select_related("facility", "room")`` in the model's order (facility, kind, name).
    resources = Resource._meta.db_table
    facility = f"AND r.facility_id = (SELECT facility_id FROM {resources} WHERE slug = %s) " if beside else ""
    return (
        f"SELECT {sql.columns(Resource, 'r')}, {sql.columns(Facility, 'f')}, {sql.columns(Resource, 'room')} "
        f"FROM {resources} r JOIN {Facility._meta.db_table} f ON f.id = r.facility_id "
        f"LEFT JOIN {resources} room ON room.id = r.room_id WHERE r.active {facility}"
        "ORDER BY f.name, r.kind, r.name"
    )


class ProjectSearchForm(forms.Form):
    """Facility staff find the admitted project they book for by words of its code, acronym or title."""

    MAX_RESULTS = 20

    q = forms.CharField(
        label=_("Find the project"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"type": "search"}),
        help_text=_("Words of its reference code, acronym, title or lay summary."),
    )

    def results(self) -> tuple[list[AtmpProject], bool]:
        """Up to ``MAX_RESULTS`` matching admitted projects by code, and whether more match; none while no words."""
        if not self.is_valid() or not self.cleaned_data["q"].strip():
            return [], False
        found = list(
            AtmpProject.objects.admitted()
            .matching(self.cleaned_data["q"])
            .select_related("group")
            .only("code", "acronym", "title", "group__name")  # its name (str()) and its group's: no long texts
            .order_by("code")[: self.MAX_RESULTS + 1]
        )
        return found[: self.MAX_RESULTS], len(found) > self.MAX_RESULTS


class CalendarProjectForm(forms.Form):
    """The project a calendar shows changeover for: the booking service's rule for that project."""

    project = FetchedOnceChoiceField(
        label=_("Changeover for"),
        queryset=AtmpProject.objects.none(),
        required=False,
        empty_label=_("another project"),
        error_messages={"invalid_choice": _("Choose one of your group's accepted or active projects.")},
        widget=OptionsSelect,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # The fields of the project's name (str()) alone: a calendar asks for them on every view.
        self.fields["project"].fetch(
            lambda: AtmpProject.objects.admitted().of_member(user).order_by("code").only("code", "acronym", "title")
        )


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=500)


class SeriesCancelForm(CancelForm):
    from_day = date_input(
        _("From this day on"), required=False, help_text=_("Leave empty to cancel every date still ahead.")
    )


class RejectForm(forms.Form):
    comment = forms.CharField(label=_("Reason for rejecting"), max_length=1000)


class ClosureForm(PeriodFormMixin, forms.ModelForm):
    start = datetime_local(_("Start"))
    end = datetime_local(_("End"))

    class Meta:
        model = Closure
        fields = ["facility", "resource", "reason", "note"]
        # Every facility and resource of the centre is an option: written without a template node each.
        widgets = {"facility": OptionsSelect, "resource": OptionsSelect, "reason": OptionsSelect}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial |= {"start": self.instance.period.lower, "end": self.instance.period.upper}
        # The options read as keys and names (each one's str()), not as a model instance per facility and resource.
        # The admin shows fewer fields, and its own widgets (autocomplete, related-object links).
        for name in ("facility", "resource"):
            field = self.fields.get(name)
            if field is None or not isinstance(field.widget, OptionsSelect):
                continue
            empty = [("", field.empty_label)] if field.empty_label is not None else []
            field.widget.choices = [*empty, *field.queryset.values_list("pk", "name")]

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            self.instance.period = self.period
        return cleaned


class NewClosureForm(RecurrenceForm, ClosureForm):
    """A closure, once or recurring (e.g. cleaning every Friday 15:00-17:00)."""

    field_order = ["facility", "resource", "reason", "start", "end", "note", "repeat_weekdays", "repeat_until"]


class ClosureChangeForm(ClosureForm):
    change_reason = forms.CharField(
        label=_("Reason for the change"), max_length=500, help_text=_("Kept in the audit trail with the change.")
    )


class ClosureDeleteForm(forms.Form):
    reason = forms.CharField(label=_("Reason for lifting the closure"), max_length=500)


class QualificationForm(forms.ModelForm):
    valid_from = date_input(_("Valid from"))
    valid_until = date_input(_("Valid until"))

    class Meta:
        model = Qualification
        fields = ["user", "kind", "grade", "resource", "valid_from", "valid_until", "note"]


class RenewQualificationForm(forms.Form):
    valid_until = date_input(_("New end date"))


class UsageReportForm(forms.Form):
    """The period of a usage report: a month, a quarter, a year or a range of days; the current month if none.

    Optionally one facility, chosen by its slug; none: the whole centre.
    """

    MAX_DAYS = 366 * 5
    FIRST_YEAR, LAST_YEAR = dates.FIRST_YEAR, dates.LAST_YEAR

    month = forms.RegexField(
        label=_("Month"),
        regex=r"^\d{4}-\d{2}$",
        required=False,
        help_text=_("YYYY-MM, e.g. 2026-11"),
        error_messages={"invalid": _("Give the month as YYYY-MM, e.g. 2026-11.")},
    )
    quarter = forms.RegexField(
        label=_("Quarter"),
        regex=r"^\d{4}-Q[1-4]$",
        required=False,
        help_text=_("YYYY-Qn, e.g. 2026-Q4"),
        error_messages={"invalid": _("Give the quarter as YYYY-Qn, e.g. 2026-Q4.")},
    )
    year = forms.IntegerField(label=_("Year"), min_value=FIRST_YEAR, max_value=LAST_YEAR, required=False)
    start = date_input(_("From"), required=False)
    end = date_input(_("To (inclusive)"), required=False)
    # Chosen by slug from the facilities read once per form (``_facilities``); cleaned to the Facility or None.
    facility = forms.ChoiceField(
        label=_("Facility"),
        required=False,
        widget=OptionsSelect,
        error_messages={"invalid_choice": _("There is no such facility; choose one from the list.")},
    )
    format = forms.ChoiceField(
        label=_("Format"),
        choices=[("html", _("Web page")), ("csv", "CSV"), ("xlsx", _("Excel workbook (XLSX)"))],
        required=False,
        widget=OptionsSelect,
    )
    # A CSV file holds one table; the page links to each.
    table = forms.ChoiceField(
        label=_("Table"),
        choices=TABLE_CHOICES,
        required=False,
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("There is no such table in the report; choose resources or groups.")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            field.widget.attrs["class"] = "form-select" if name in ("facility", "format") else "form-control"
        # A callable: read only when the facility is checked or the list is shown (not for an API call without one).
        self.fields["facility"].choices = self._facility_choices

    @functools.cached_property
    def _facilities(self) -> dict[str, Facility]:
        return {facility.slug: facility for facility in Facility.objects.order_by("name").only("name", "slug")}

    def _facility_choices(self) -> list[tuple[str, str]]:
        return [("", _("All facilities")), *((slug, facility.name) for slug, facility in self._facilities.items())]

    def clean_facility(self) -> Facility | None:
        slug = self.cleaned_data["facility"]
        return self._facilities[slug] if slug else None

    def _check_year(self, text: str) -> None:
        if text and not self.FIRST_YEAR <= int(text[:4]) <= self.LAST_YEAR:
            raise forms.ValidationError(
                _("Give a year from %(first)s to %(last)s.") % {"first": self.FIRST_YEAR, "last": self.LAST_YEAR}
            )

    def clean_month(self):
        month = self.cleaned_data["month"]
        self._check_year(month)
        if month and not 1 <= int(month[5:]) <= 12:
            raise forms.ValidationError(_("Give the month as YYYY-MM with a month from 01 to 12, e.g. 2026-11."))
        return month

    def clean_quarter(self):
        quarter = self.cleaned_data["quarter"]
        self._check_year(quarter)
        return quarter

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        start, end = cleaned.get("start"), cleaned.get("end")
        chosen = [name for name in ("month", "quarter", "year") if cleaned.get(name)] + (
            ["range"] if start or end else []
        )
        if len(chosen) > 1:
            raise forms.ValidationError(_("Choose one period: a month, a quarter, a year or a range of days."))
        if (start or end) and not (start and end):
            raise forms.ValidationError(_("A range of days needs both its first and its last day."))
        if start and end and not start <= end <= start + datetime.timedelta(days=self.MAX_DAYS):
            raise forms.ValidationError(_("The last day must be on or after the first, and at most five years later."))
        return cleaned

    @property
    def period(self) -> ReportPeriod:
        """The chosen period; only once the form is valid."""
        data = self.cleaned_data
        if data.get("month"):
            return ReportPeriod.month(int(data["month"][:4]), int(data["month"][5:]))
        if data.get("quarter"):
            return ReportPeriod.quarter(int(data["quarter"][:4]), int(data["quarter"][-1]))
        if data.get("year"):
            return ReportPeriod.year(data["year"])
        if data.get("start"):
            return ReportPeriod.days(data["start"], data["end"])
        today = timezone.localdate()
        return ReportPeriod.month(today.year, today.month)

    @property
    def export_format(self) -> str:
        return self.cleaned_data.get("format") or "html"

    @property
    def export_table(self) -> str:
        return self.cleaned_data.get("table") or TABLE_CHOICES[0][0]


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
        self.fields["project"].queryset = AtmpProject.objects.bookable_by(user).order_by("code")


class NotificationPreferencesForm(forms.ModelForm):
    """The e-mails ``user`` may turn off, the request notices only to those who decide on them; and their language."""

    class Meta:
        model = NotificationPreferences
        fields = ["booking_reminders", "qualification_expiry", "new_requests", "language"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        if not can_decide_booking(user):
            del self.fields["new_requests"]
