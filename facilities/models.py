import datetime

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from projects.models import GmoClass


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
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["facility", "kind", "name"]
        verbose_name = _("resource")
        verbose_name_plural = _("resources")

    def __str__(self):
        return self.name
