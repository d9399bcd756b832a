"""Rooms and equipment, clean-room grades and the rules each resource sets for its bookings."""

import datetime
from decimal import Decimal

import pghistory
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from facilities.usage_totals import forgetting_all
from projects.models import BillingCategory

from .facility import Facility


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


# The grades' names inside a sentence, where Swedish writes them in lower case ("renrumsklass B").
GRADE_IN_SENTENCE = {
    CleanRoomGrade.A_IN_B: pgettext_lazy("in a sentence", "Grade A in B"),
    CleanRoomGrade.B: pgettext_lazy("in a sentence", "Grade B"),
    CleanRoomGrade.C: pgettext_lazy("in a sentence", "Grade C"),
    CleanRoomGrade.D: pgettext_lazy("in a sentence", "Grade D"),
    CleanRoomGrade.UNCLASSIFIED: pgettext_lazy("in a sentence", "Unclassified"),
}

# Strictest first: a gowning qualification for a grade covers every grade after it.
GRADE_ORDER = [CleanRoomGrade.A_IN_B, CleanRoomGrade.B, CleanRoomGrade.C, CleanRoomGrade.D]


def grades_covering(grade: str) -> list[str]:
    """The gowning grades that allow entering a room of ``grade`` (that grade or a stricter one)."""
    return GRADE_ORDER[: GRADE_ORDER.index(grade) + 1] if grade in GRADE_ORDER else []


class ProtectionLevel(models.IntegerChoices):
    """The containment a room is approved for (skyddsnivå, AFS 2011:2): level N houses contained use up to class N."""

    NONE = 0, _("Not approved for GMO work")
    LEVEL_1 = 1, _("Protection level 1")
    LEVEL_2 = 2, _("Protection level 2")
    LEVEL_3 = 3, _("Protection level 3")
    LEVEL_4 = 4, _("Protection level 4")


class QualificationState(models.TextChoices):
    """The state staff set for a room or piece of equipment; whether requalification is due follows from its date."""

    QUALIFIED = "qualified", _("Qualified (IQ/OQ/PQ complete)")
    IN_QUALIFICATION = "in_qualification", _("In qualification")
    OUT_OF_SERVICE = "out_of_service", _("Out of service")
    QUARANTINED = "quarantined", _("Quarantined")


# Qualifications and equipment due within this many days are flagged to their holders and to facility staff.
EXPIRY_WARNING_DAYS = 30


class ResourceQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def requalification_due_within(self, days: int):
        """Active rooms and equipment whose requalification date has passed or falls within ``days``."""
        due_by = timezone.localdate() + datetime.timedelta(days=days)
        return self.active().filter(requalification_due__lte=due_by)


@pghistory.track()
class Resource(models.Model):
    facility = models.ForeignKey(
        Facility, on_delete=models.PROTECT, related_name="resources", verbose_name=_("facility")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ResourceKind.choices)
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    grade = models.CharField(
        _("clean-room grade"),
        max_length=1,
        choices=CleanRoomGrade.choices,
        blank=True,
        help_text=_("Rooms, and grade A zones such as a safety cabinet."),
    )
    max_occupancy = models.PositiveSmallIntegerField(
        _("maximum occupancy"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    protection_level = models.PositiveSmallIntegerField(
        _("protection level"),
        choices=ProtectionLevel.choices,
        default=ProtectionLevel.NONE,
        help_text=_("Rooms: the containment approved for work with GMOs (1-4); a step of class N needs level N."),
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
        choices=QualificationState.choices,
        default=QualificationState.QUALIFIED,
        help_text=_(
            "Rooms: their classification; equipment: its IQ/OQ/PQ. Whether requalification is due follows from "
            "the date below."
        ),
    )
    requalification_due = models.DateField(
        _("next requalification"),
        null=True,
        blank=True,
        help_text=_(
            "Bookings may not end after this date. For graded rooms and zones at most the facility's interval ahead."
        ),
    )
    calibration_due = models.DateField(
        _("next calibration"),
        null=True,
        blank=True,
        help_text=_("Equipment: bookings may not end after this date; separate from qualification."),
    )
    training_required = models.BooleanField(
        _("training required"), default=False, help_text=_("Only users trained on this resource may book it.")
    )
    requires_approval = models.BooleanField(
        _("bookings need approval"), default=False, help_text=_("Requests wait for facility staff to approve them.")
    )
    min_duration_minutes = models.PositiveIntegerField(_("shortest booking (minutes)"), default=30)
    max_duration_minutes = models.PositiveIntegerField(_("longest booking (minutes)"), default=600)
    round_the_clock = models.BooleanField(
        _("bookable around the clock"),
        default=False,
        help_text=_(
            "Incubators, freezers, closed processors: bookings may run through nights, weekends and holidays, "
            "up to the longest round-the-clock booking. Opening hours and the longest booking in minutes apply "
            "only to other resources."
        ),
    )
    max_days = models.PositiveSmallIntegerField(
        _("longest round-the-clock booking (days)"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(366)],
    )
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
        triggers = [
            forgetting_all("usage_totals_rates", "internal_hourly_rate", "external_hourly_rate", "active", "facility")
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("facilities:resource_detail", args=[self.slug])

    def clean(self):
        super().clean()
        if self.is_room and self.grade == CleanRoomGrade.A_IN_B:
            raise ValidationError(
                {
                    "grade": _(
                        "Grade A is a zone, not a room: record the safety cabinet or isolator as equipment "
                        "in its grade B room."
                    )
                }
            )

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
    def requalification_overdue(self) -> bool:
        return self.requalification_due is not None and self.requalification_due < timezone.localdate()

    @property
    def qualification_status_label(self) -> str:
        """The state staff set, or "Requalification due" once a qualified resource's date has passed."""
        if self.qualification_status == QualificationState.QUALIFIED and self.requalification_overdue:
            return str(_("Requalification due"))
        return self.get_qualification_status_display()

    @property
    def occupancy_limit(self) -> int | None:
        room = self.containing_room
        return self.max_occupancy or (room.max_occupancy if room else None)
