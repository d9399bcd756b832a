from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from audit.admin import AuditHistoryAdminMixin

from . import services
from .forms import ClosureForm, PeriodFormMixin, QualificationForm, datetime_local
from .models import (
    Booking,
    BookingStatus,
    CalendarFeed,
    Closure,
    Facility,
    NotificationPreferences,
    OpeningException,
    Qualification,
    Resource,
)
from .periods import period_label


class LocalPeriodMixin:
    """Shows a model's ``period`` as people read it, in local time, instead of the stored UTC range."""

    @admin.display(description=_("period"), ordering="period")
    def local_period(self, obj) -> str:
        return period_label(obj.period) if obj.period else "—"


class RuleCheckedForm:
    """An admin form whose ``clean()`` asks the services' rule checks; a refusal becomes a form error.

    The object's fields are set only after ``clean()``, so ``check_rules`` reads the cleaned data.
    """

    def clean(self):
        cleaned = super().clean()
        if not self.errors:
            try:
                self.check_rules(cleaned)
            except services.BookingError as error:
                raise forms.ValidationError(self.refusal(error)) from error
        return cleaned

    def check_rules(self, cleaned: dict) -> None:
        raise NotImplementedError

    def refusal(self, error: services.BookingError) -> str:
        return error.message


class ResourceAdminForm(RuleCheckedForm, forms.ModelForm):
    class Meta:
        model = Resource
        fields = ["facility", "grade", "requalification_due"]  # the admin's fieldsets add the rest

    def check_rules(self, cleaned):
        services.check_requalification_interval(
            Resource(
                facility=cleaned["facility"],
                grade=cleaned.get("grade", ""),
                requalification_due=cleaned.get("requalification_due"),
            )
        )


class OpeningExceptionInline(admin.TabularInline):
    model = OpeningException
    extra = 0
    fields = ["first_day", "last_day", "closed", "opens_at", "closes_at", "note"]


@admin.register(Facility)
class FacilityAdmin(admin.ModelAdmin):
    inlines = [OpeningExceptionInline]
    list_display = ["name", "contact_email", "opens_at", "closes_at"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Resource)
class ResourceAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    form = ResourceAdminForm
    list_display = ["name", "kind", "facility", "grade", "room", "qualification_status", "requires_approval", "active"]
    list_filter = ["kind", "grade", "facility", "qualification_status", "requires_approval", "active"]
    search_fields = ["name", "equipment_type"]
    prepopulated_fields = {"slug": ["name"]}
    list_select_related = ["facility", "room"]
    autocomplete_fields = ["room"]
    fieldsets = [
        (None, {"fields": ["facility", "kind", "name", "slug", "description", "active"]}),
        (_("Qualification"), {"fields": ["grade", "qualification_status", "requalification_due"]}),
        (_("Room"), {"fields": ["max_occupancy", "protection_level", "changeover_minutes"]}),
        (_("Equipment"), {"fields": ["equipment_type", "room", "calibration_due"]}),
        (_("Billing"), {"fields": ["internal_hourly_rate", "external_hourly_rate"]}),
        (
            _("Booking rules"),
            {
                "fields": [
                    "requires_approval",
                    "training_required",
                    "min_duration_minutes",
                    "max_duration_minutes",
                    "round_the_clock",
                    "max_days",
                    "lead_time_hours",
                    "booking_horizon_days",
                ]
            },
        ),
    ]


class ServiceDeletesMixin:
    """Deletions, one or many, through the service that demands the permission and records the reason."""

    delete_service = None  # staticmethod(services.delete_…), called with the object and the acting user

    def delete_model(self, request, obj):
        self.delete_service(obj, request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_service(obj, request.user)


class QualificationAdminForm(RuleCheckedForm, QualificationForm):
    def check_rules(self, cleaned):
        services.check_qualification(
            Qualification(valid_from=cleaned["valid_from"], valid_until=cleaned["valid_until"])
        )


@admin.register(Qualification)
class QualificationAdmin(AuditHistoryAdminMixin, ServiceDeletesMixin, admin.ModelAdmin):
    form = QualificationAdminForm
    delete_service = staticmethod(services.delete_qualification)
    list_display = ["user", "kind", "grade", "resource", "valid_from", "valid_until", "certified_by"]
    list_filter = ["kind", "grade"]
    search_fields = ["user__username", "user__last_name", "resource__name"]
    autocomplete_fields = ["user", "resource"]
    list_select_related = ["user", "resource", "certified_by"]

    def save_model(self, request, obj, form, change):
        services.record_qualification(obj, request.user)


class ClosureAdminForm(RuleCheckedForm, ClosureForm):
    def check_rules(self, cleaned):
        services.check_closure(
            Closure(facility=cleaned["facility"], resource=cleaned.get("resource"), period=self.period)
        )

    def refusal(self, error):
        return _("%(error)s Use the Closures page, which lists them and cancels them once you confirm.") % {
            "error": error.message
        }


@admin.register(Closure)
class ClosureAdmin(LocalPeriodMixin, AuditHistoryAdminMixin, ServiceDeletesMixin, admin.ModelAdmin):
    form = ClosureAdminForm
    delete_service = staticmethod(services.delete_closure)
    list_display = ["__str__", "facility", "resource", "reason", "local_period", "created_by"]
    list_filter = ["reason", "facility"]
    list_select_related = ["facility", "resource", "created_by"]
    autocomplete_fields = ["resource"]

    def has_change_permission(self, request, obj=None):
        # A closure changes bookings: the Closures page corrects one, listing the bookings it would cancel.
        return False

    def get_fields(self, request, obj=None):
        if obj is None:
            return super().get_fields(request, obj)
        return ["facility", "resource", "reason", "local_period", "note", "created_by"]

    def get_readonly_fields(self, request, obj=None):
        return ["local_period"] if obj else []

    def save_model(self, request, obj, form, change):
        services.create_closure(obj, request.user)


class BookingAdminForm(RuleCheckedForm, PeriodFormMixin, forms.ModelForm):
    """A booking made at the front desk, for ``booked_by``, under the same rules as the booking page."""

    start = datetime_local(_("Start"))
    end = datetime_local(_("End"))

    class Meta:
        model = Booking
        fields = ["resource", "project", "booked_by", "entrants", "purpose"]

    def check_rules(self, cleaned):
        services.check_booking(
            cleaned["booked_by"], cleaned["resource"], cleaned["project"], self.period, cleaned["entrants"]
        )


class BookingChangeForm(forms.ModelForm):
    """A booking's purpose may be corrected in the admin; the reason goes to the audit trail."""

    change_reason = forms.CharField(
        label=_("Reason for the change"), max_length=500, help_text=_("Kept in the audit trail with the change.")
    )

    class Meta:
        model = Booking
        fields = ["purpose"]


@admin.register(Booking)
class BookingAdmin(LocalPeriodMixin, AuditHistoryAdminMixin, admin.ModelAdmin):
    list_display = ["__str__", "local_period", "project", "booked_by", "status", "created_at"]
    list_filter = ["status", "resource__facility", "resource"]
    search_fields = ["project__code", "project__acronym", "booked_by__username", "purpose"]
    list_select_related = ["resource", "project", "booked_by"]
    autocomplete_fields = ["project", "booked_by", "entrants"]
    actions = ["approve", "cancel"]
    readonly_fields = [
        "resource",
        "local_period",
        "project",
        "booked_by",
        "entrants",
        "status",
        "decided_by",
        "decided_at",
        "decision_comment",
        "cancelled_by",
        "cancelled_at",
        "cancellation_reason",
        "series",
        "parent",
        "created_at",
        "updated_at",
        "uid",
        "sequence",
    ]

    def get_form(self, request, obj=None, **kwargs):
        kwargs["form"] = BookingChangeForm if obj else BookingAdminForm
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            services.correct_booking_purpose(
                obj, by=request.user, purpose=obj.purpose, reason=form.cleaned_data["change_reason"]
            )
            return
        [created] = services.create_booking(
            by=obj.booked_by,
            resource=obj.resource,
            project=obj.project,
            period=form.period,
            purpose=obj.purpose,
            entrants=form.cleaned_data["entrants"],
        )
        obj.pk = created.pk
        obj.refresh_from_db()

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["resource", "project", "booked_by", "start", "end", "entrants", "purpose"]
        return ["purpose", "change_reason", *self.readonly_fields]

    def _each(self, request, queryset, action, done_message):
        done = 0
        for booking in queryset:
            try:
                action(booking)
            except services.BookingError as error:
                self.message_user(request, f"{booking}: {error.message}", messages.ERROR)
            else:
                done += 1
        self.message_user(request, done_message(done), messages.SUCCESS)

    @admin.action(description=_("Approve the selected requests"))
    def approve(self, request, queryset):
        self._each(
            request,
            queryset.filter(status=BookingStatus.REQUESTED),
            lambda booking: services.approve_booking(booking, request.user),
            lambda n: ngettext("%d booking approved.", "%d bookings approved.", n) % n,
        )

    @admin.action(description=_("Cancel the selected bookings"))
    def cancel(self, request, queryset):
        reason = _("Cancelled by facility staff in the administration.")
        self._each(
            request,
            queryset,
            lambda booking: services.cancel_booking(booking, request.user, str(reason)),
            lambda n: ngettext("%d booking cancelled.", "%d bookings cancelled.", n) % n,
        )


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """The token stays secret here too; deleting a feed revokes its address."""

    list_display = ["user", "issued_at"]
    search_fields = ["user__username"]
    fields = ["user", "issued_at"]
    readonly_fields = ["user", "issued_at"]

    def has_add_permission(self, request):
        return False


@admin.register(NotificationPreferences)
class NotificationPreferencesAdmin(admin.ModelAdmin):
    list_display = ["user", "booking_reminders", "qualification_expiry", "new_requests", "language"]
    search_fields = ["user__username"]
    autocomplete_fields = ["user"]
