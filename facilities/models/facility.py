"""Facilities: their opening hours and open weekdays."""

import datetime

from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


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
    address = models.TextField(_("address"), max_length=500, blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)
    opens_at = models.TimeField(_("opens at"), default=datetime.time(7, 0))
    closes_at = models.TimeField(_("closes at"), default=datetime.time(19, 0))
    open_weekdays = ArrayField(
        models.PositiveSmallIntegerField(choices=Weekday.choices),
        verbose_name=_("open weekdays"),
        default=working_days,
    )

    closed_on_public_holidays = models.BooleanField(
        _("closed on public holidays"),
        default=True,
        help_text=_("Swedish public holidays; add exception days to open on one or to close on others."),
    )
    requalification_months_ab = models.PositiveSmallIntegerField(
        _("requalification interval, grades A and B (months)"),
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(6)],
        help_text=_("EU GMP Annex 1: at most every 6 months."),
    )
    requalification_months_cd = models.PositiveSmallIntegerField(
        _("requalification interval, grades C and D (months)"),
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("EU GMP Annex 1: at most every 12 months."),
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

    def requalification_months(self, grade: str) -> int | None:
        """How often rooms and zones of ``grade`` are requalified; None for unclassified ones."""
        if grade in ("A", "B"):
            return self.requalification_months_ab
        if grade in ("C", "D"):
            return self.requalification_months_cd
        return None

    @property
    def open_weekday_names(self) -> str:
        return ", ".join(str(Weekday(day).label) for day in sorted(self.open_weekdays))
