"""A facility's own closed days and days with other opening hours; public holidays come from ``holidays``."""

import pghistory
from django.db import models
from django.utils.translation import gettext_lazy as _

from .facility import Facility


class OpeningExceptionQuerySet(models.QuerySet):
    def touching(self, first_day, last_day):
        return self.filter(first_day__lte=last_day, last_day__gte=first_day)


@pghistory.track()
class OpeningException(models.Model):
    """Days a facility is closed (a summer shutdown, a maintenance week) or open at other hours (a public holiday)."""

    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="opening_exceptions", verbose_name=_("facility")
    )
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    closed = models.BooleanField(
        _("closed"),
        default=True,
        help_text=_("Untick to open these days at the hours below, e.g. on a public holiday."),
    )
    opens_at = models.TimeField(_("opens at"), null=True, blank=True)
    closes_at = models.TimeField(_("closes at"), null=True, blank=True)
    note = models.CharField(_("reason"), max_length=200, help_text=_("E.g. summer shutdown, maintenance week."))

    objects = OpeningExceptionQuerySet.as_manager()

    class Meta:
        ordering = ["first_day"]
        verbose_name = _("closed day or other opening hours")
        verbose_name_plural = _("closed days and other opening hours")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(last_day__gte=models.F("first_day")),
                name="opening_exception_day_order",
                violation_error_message=_("The last day cannot be before the first."),
            ),
            models.CheckConstraint(
                condition=models.Q(closed=True)
                | models.Q(opens_at__isnull=False, closes_at__isnull=False, closes_at__gt=models.F("opens_at")),
                name="opening_exception_open_hours",
                violation_error_message=_("Days the facility opens need an opening time before the closing time."),
            ),
        ]

    def __str__(self):
        return f"{self.facility}: {self.note} ({self.first_day:%Y-%m-%d} to {self.last_day:%Y-%m-%d})"
