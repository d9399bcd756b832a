import datetime
import secrets
from decimal import Decimal

import pghistory
from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, BigIntegerRangeField, DateTimeRangeField, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from projects.models import BillingCategory, GmoClass


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


def working_days():
    return [Weekday.MONDAY, Weekday.TUESDAY, Weekday.WEDNESDAY, Weekday.THURSDAY, Weekday.FRIDAY]


class Facility(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    address = models.TextField(_("address"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    opens_at = models.TimeField(_("opens at"), default=datetime.time(7, 0))
    closes_at = models.TimeField(_("closes at"), default=datetime.time(19, 0))
    open_weekdays = ArrayField(
        models.PositiveSmallIntegerField(choices=Weekday.choices),
        verbose_name=_("open weekdays"),
        default=working_days,
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")), name="facility_opens_before_closing"
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("facilities:facility_detail", args=[self.slug])

    @property
    def open_weekday_names(self) -> str:
        return ", ".join(str(Weekday(day).label) for day in sorted(self.open_weekdays))


class ResourceKind(models.TextChoices):
    ROOM = "room", _("Room")
    EQUIPMENT = "equipment", _("Equipment")


class CleanRoomGrade(models.TextChoices):
    """EU GMP Annex 1 grades, strictest first; grade A is a zone inside a grade B room."""

    A_IN_B = "A", _("Grade A in B")
    B = "B", _("Grade B")
    C = "C", _("Grade C")
    D = "D", _("Grade D")
    UNCLASSIFIED = "U", _("Unclassified")


# Strictest first: a gowning qualification for a grade covers every grade after it.
GRADE_ORDER = [CleanRoomGrade.A_IN_B, CleanRoomGrade.B, CleanRoomGrade.C, CleanRoomGrade.D]


def grades_covering(grade: str) -> list[str]:
    """The gowning grades that allow entering a room of ``grade`` (that grade or a stricter one)."""
    return GRADE_ORDER[: GRADE_ORDER.index(grade) + 1] if grade in GRADE_ORDER else []


class EquipmentQualificationStatus(models.TextChoices):
    QUALIFIED = "qualified", _("Qualified (IQ/OQ/PQ complete)")
    REQUALIFICATION_DUE = "requalification_due", _("Requalification due")
    OUT_OF_SERVICE = "out_of_service", _("Out of service")


# Qualifications and equipment due within this many days are flagged to their holders and to facility staff.
EXPIRY_WARNING_DAYS = 30


class ResourceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def requalification_due_within(self, days: int):
        """Active equipment whose requalification date has passed or falls within ``days``."""
        due_by = timezone.localdate() + datetime.timedelta(days=days)
        return self.active().filter(kind=ResourceKind.EQUIPMENT, requalification_due__lte=due_by)


@pghistory.track()
class Resource(models.Model):
    facility = models.ForeignKey(
        Facility, on_delete=models.PROTECT, related_name="resources", verbose_name=_("facility")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ResourceKind.choices)
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), blank=True)
    grade = models.CharField(
        _("clean-room grade"), max_length=1, choices=CleanRoomGrade.choices, blank=True, help_text=_("Rooms only.")
    )
    max_occupancy = models.PositiveSmallIntegerField(
        _("maximum occupancy"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    max_gmo_class = models.PositiveSmallIntegerField(
        _("highest GMO contained-use class approved"), choices=GmoClass.choices, default=GmoClass.NONE
    )
    equipment_type = models.CharField(_("equipment type"), max_length=100, blank=True)
    room = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="equipment",
        limit_choices_to={"kind": ResourceKind.ROOM},
        verbose_name=_("room"),
        help_text=_("For equipment: the room it stands in."),
    )
    qualification_status = models.CharField(
        _("qualification status"),
        max_length=20,
        choices=EquipmentQualificationStatus.choices,
        default=EquipmentQualificationStatus.QUALIFIED,
        help_text=_("Equipment only: the state of its IQ/OQ/PQ."),
    )
    requalification_due = models.DateField(
        _("next requalification"), null=True, blank=True, help_text=_("Equipment cannot be booked after this date.")
    )
    training_required = models.BooleanField(
        _("training required"), default=False, help_text=_("Only users trained on this resource may book it.")
    )
    requires_approval = models.BooleanField(
        _("bookings need approval"), default=False, help_text=_("Requests wait for facility staff to approve them.")
    )
    min_duration_minutes = models.PositiveIntegerField(_("shortest booking (minutes)"), default=30)
    max_duration_minutes = models.PositiveIntegerField(_("longest booking (minutes)"), default=600)
    lead_time_hours = models.PositiveIntegerField(
        _("lead time (hours)"), default=0, help_text=_("How long before its start a booking must be made.")
    )
    booking_horizon_days = models.PositiveIntegerField(
        _("bookable ahead (days)"), default=90, help_text=_("How far ahead bookings may start.")
    )
    changeover_minutes = models.PositiveIntegerField(
        _("changeover (minutes)"),
        default=0,
        help_text=_("Rooms: time for line clearance and cleaning between bookings of different projects."),
    )
    internal_hourly_rate = models.DecimalField(
        _("internal hourly rate (SEK)"), max_digits=9, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    external_hourly_rate = models.DecimalField(
        _("external hourly rate (SEK)"), max_digits=9, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    active = models.BooleanField(_("active"), default=True)

    objects = ResourceQuerySet.as_manager()

    class Meta:
        ordering = ["facility", "kind", "name"]
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_duration_minutes__gte=models.F("min_duration_minutes")),
                name="resource_min_duration_within_max",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("facilities:resource_detail", args=[self.slug])

    @property
    def is_room(self) -> bool:
        return self.kind == ResourceKind.ROOM

    @property
    def containing_room(self) -> "Resource | None":
        """The room whose grade, containment and closures apply: the room itself, or the equipment's room."""
        return self if self.is_room else self.room

    def hourly_rate(self, billing_category: str) -> Decimal:
        """The rate in SEK per hour billed to a group of ``billing_category``."""
        if billing_category == BillingCategory.EXTERNAL:
            return self.external_hourly_rate
        return self.internal_hourly_rate

    @property
    def occupancy_limit(self) -> int | None:
        room = self.containing_room
        return self.max_occupancy or (room.max_occupancy if room else None)


class QualificationKind(models.TextChoices):
    GOWNING = "gowning", _("Gowning qualification")
    TRAINING = "training", _("Equipment training")


class QualificationQuerySet(models.QuerySet):
    def valid_on(self, day: datetime.date):
        return self.filter(valid_from__lte=day, valid_until__gte=day)

    def expiring_within(self, days: int):
        today = timezone.localdate()
        return self.filter(valid_until__gte=today, valid_until__lte=today + datetime.timedelta(days=days))


@pghistory.track()
class Qualification(models.Model):
    """A user's gowning qualification for a grade, or training on one resource."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="qualifications", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=QualificationKind.choices)
    grade = models.CharField(
        _("gowning grade"),
        max_length=1,
        choices=[(g.value, g.label) for g in GRADE_ORDER],
        blank=True,
        help_text=_("Gowning only; covers this grade and every less strict one."),
    )
    resource = models.ForeignKey(
        Resource,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="qualifications",
        verbose_name=_("resource"),
        help_text=_("Training only."),
    )
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    valid_until = models.DateField(_("valid until"))
    certified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("certified by"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    expiry_warning_sent_at = models.DateTimeField(_("expiry warning sent"), null=True, blank=True, editable=False)

    objects = QualificationQuerySet.as_manager()

    class Meta:
        ordering = ["user__username", "kind", "grade", "resource__name"]
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind=QualificationKind.GOWNING, resource__isnull=True) & ~models.Q(grade="")
                | models.Q(kind=QualificationKind.TRAINING, resource__isnull=False, grade=""),
                name="qualification_gowning_grade_or_training_resource",
                violation_error_message=_(
                    "A gowning qualification names a grade and no resource; training names a resource and no grade."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("valid_from")),
                name="qualification_valid_period",
                violation_error_message=_("A qualification cannot end before it starts."),
            ),
        ]

    def __str__(self):
        what = self.get_grade_display() if self.kind == QualificationKind.GOWNING else self.resource
        return f"{self.user}: {self.get_kind_display()} {what}"


class ClosureReason(models.TextChoices):
    MAINTENANCE = "maintenance", _("Maintenance")
    CLEANING = "cleaning", _("Cleaning and disinfection")
    ENVIRONMENTAL_MONITORING = "environmental_monitoring", _("Environmental monitoring")
    QUALIFICATION = "qualification", _("Qualification (IQ/OQ/PQ)")


class ClosureQuerySet(models.QuerySet):
    def affecting(self, resource: Resource):
        """Closures of the resource, of the room it stands in, or of its whole facility."""
        room = resource.containing_room
        return self.filter(
            models.Q(resource=resource)
            | models.Q(resource=room)
            | models.Q(resource__isnull=True, facility_id=resource.facility_id)
        )

    def overlapping(self, period):
        return self.filter(period__overlap=period)

    def upcoming(self):
        return self.filter(period__endswith__gt=timezone.now()).order_by("period")


@pghistory.track()
class Closure(models.Model):
    """A period a resource, or a whole facility, cannot be booked."""

    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="closures", verbose_name=_("facility")
    )
    resource = models.ForeignKey(
        Resource,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="closures",
        verbose_name=_("resource"),
        help_text=_("Leave empty to close the whole facility. A closed room closes its equipment too."),
    )
    reason = models.CharField(_("reason"), max_length=30, choices=ClosureReason.choices)
    period = DateTimeRangeField(_("period"))
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = ClosureQuerySet.as_manager()

    class Meta:
        ordering = ["-period"]
        verbose_name = _("closure")
        verbose_name_plural = _("closures")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period__startswith__lt=Upper("period")), name="closure_period_order"
            ),
        ]

    def __str__(self):
        return f"{self.resource or self.facility}: {self.get_reason_display()}"


class BookingStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    CANCELLED = "cancelled", _("Cancelled")


# Bookings in these states hold their slot.
ACTIVE_STATUSES = (BookingStatus.REQUESTED, BookingStatus.APPROVED)


def resource_key(resource):
    """The exclusion constraint's key for a resource column or id: int8range stands in for btree_gist."""
    value = resource if hasattr(resource, "resolve_expression") else models.Value(resource)
    return models.Func(value, value, models.Value("[]"), function="int8range", output_field=BigIntegerRangeField())


class BookingQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)

    def of_resources_overlapping(self, resource_ids, period):
        """Live bookings of these resources that overlap ``period``.

        Asked by the exclusion constraint's key, so that its GiST index finds them by resource and period
        at once; ``resource_id = ...`` would make it read the period's bookings of every resource.
        """
        same_resource = models.Q(pk__in=[])
        for resource_id in resource_ids:
            same_resource |= models.Q(resource_key=resource_key(resource_id))
        return (
            self.active()
            .alias(resource_key=resource_key(models.F("resource")))
            .filter(same_resource, period__overlap=period)
        )

    def for_resource(self, resource: Resource):
        return self.filter(resource=resource)

    def overlapping(self, period):
        return self.filter(period__overlap=period)

    def upcoming(self):
        return self.filter(period__endswith__gt=timezone.now()).order_by("period")

    def past(self):
        return self.filter(period__endswith__lte=timezone.now()).order_by("-period")

    def pending(self):
        return self.filter(status=BookingStatus.REQUESTED).order_by("period")

    def with_details(self):
        return self.select_related("resource", "resource__facility", "project", "project__group", "booked_by")

    def first_with_details(self, count: int):
        """The first ``count`` of these bookings, in their order, with their details; one query.

        The limit is taken before the joins: joined first, PostgreSQL hashes every project and user to
        pick a few rows, which grows with the centre.
        """
        ordering = self.query.order_by or self.model._meta.ordering
        first = self.values("pk")[:count]
        return self.model.objects.filter(pk__in=first).with_details().order_by(*ordering)


@pghistory.track()
class Booking(models.Model):
    resource = models.ForeignKey(
        Resource, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("resource")
    )
    period = DateTimeRangeField(_("period"))
    project = models.ForeignKey(
        "projects.AtmpProject", on_delete=models.PROTECT, related_name="bookings", verbose_name=_("ATMP project")
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("booked by")
    )
    persons = models.PositiveSmallIntegerField(_("persons"), default=1)
    purpose = models.CharField(_("purpose"), max_length=500)
    status = models.CharField(
        _("status"), max_length=10, choices=BookingStatus.choices, default=BookingStatus.REQUESTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancellation_reason = models.TextField(_("cancellation reason"), blank=True)
    series = models.UUIDField(
        _("recurring series"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("Shared by the bookings of one series."),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="equipment_bookings",
        verbose_name=_("room booking"),
        help_text=_("For equipment booked together with its room."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True, editable=False)

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["period"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        constraints = [
            # The database refuses two live bookings of one resource that overlap. int8range on the key
            # stands in for btree_gist, which the embedded server lacks.
            ExclusionConstraint(
                name="booking_no_overlap",
                expressions=[
                    (
                        models.Func(
                            models.F("resource"),
                            models.F("resource"),
                            models.Value("[]"),
                            function="int8range",
                            output_field=models.TextField(),
                        ),
                        RangeOperators.EQUAL,
                    ),
                    ("period", RangeOperators.OVERLAPS),
                ],
                condition=models.Q(status__in=ACTIVE_STATUSES),
            ),
            models.CheckConstraint(
                condition=models.Q(period__startswith__lt=Upper("period")), name="booking_period_order"
            ),
            models.CheckConstraint(condition=models.Q(persons__gte=1), name="booking_at_least_one_person"),
        ]
        # Pages ask for what is still ahead; with years of history these find it without reading the past.
        indexes = [
            models.Index(
                "resource",
                Upper("period"),
                name="booking_resource_live_end",
                condition=models.Q(status__in=ACTIVE_STATUSES),
            ),
            models.Index(Upper("period"), name="booking_requested_end", condition=models.Q(status="requested")),
        ]

    def __str__(self):
        return f"{self.resource} {self.start:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("facilities:booking_detail", args=[self.pk])

    @property
    def start(self) -> datetime.datetime:
        return timezone.localtime(self.period.lower)

    @property
    def end(self) -> datetime.datetime:
        return timezone.localtime(self.period.upper)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def has_started(self) -> bool:
        return self.period.lower <= timezone.now()


def new_feed_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A user's secret iCalendar address; calendar programs send the token instead of logging in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed", verbose_name=_("user")
    )
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_feed_token)
    issued_at = models.DateTimeField(_("issued"), auto_now=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")

    def __str__(self):
        return str(self.user)

    def get_absolute_url(self):
        return reverse("facilities:calendar_feed", args=[self.token])


class NotificationPreferences(models.Model):
    """The e-mails a user may turn off; decisions and cancellations are always sent."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    booking_reminders = models.BooleanField(_("reminders the day before a booking"), default=True)
    qualification_expiry = models.BooleanField(_("warnings before a qualification expires"), default=True)
    new_requests = models.BooleanField(
        _("new booking requests (facility staff)"),
        default=True,
        help_text=_("The pending requests page lists them too."),
    )

    class Meta:
        verbose_name = _("notification preferences")
        verbose_name_plural = _("notification preferences")

    def __str__(self):
        return str(self.user)
