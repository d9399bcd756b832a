"""Periods a resource, or a whole facility, cannot be booked."""

import pghistory
from django.conf import settings
from django.contrib.postgres.fields import DateTimeRangeField
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..periods import closures_covering
from .facility import Facility
from .resources import Resource


class ClosureReason(models.TextChoices):
    """Why a room closes. Routine environmental monitoring during work is no reason: only monitoring at rest."""

    MAINTENANCE = "maintenance", _("Maintenance")
    CLEANING = "cleaning", _("Cleaning and disinfection")
    DECONTAMINATION = "decontamination", _("Decontamination (e.g. hydrogen peroxide vapour)")
    ENVIRONMENTAL_MONITORING = "environmental_monitoring", _("Environmental monitoring at rest")
    QUALIFICATION = "qualification", _("Qualification (IQ/OQ/PQ)")
    CALIBRATION = "calibration", _("Calibration")
    INVESTIGATION_HOLD = "investigation_hold", _("Investigation hold")
    UTILITY_SHUTDOWN = "utility_shutdown", _("Utility or HVAC shutdown")


class ClosureQuerySet(models.QuerySet):
    def affecting(self, resource: Resource):
        """Closures of the resource, of the room it stands in, or of its whole facility."""
        return self.filter(closures_covering(resource))

    def overlapping(self, period):
        return self.filter(period__overlap=period)

    def upcoming(self):
        return self.filter(period__endswith__gt=timezone.now()).order_by("period")

    def past(self):
        return self.filter(period__endswith__lte=timezone.now()).order_by("-period")


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
    series = models.UUIDField(
        _("recurring series"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("Shared by the closures of one series."),
    )
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
