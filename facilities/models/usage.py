"""The usage report's totals of a period, kept so that a report on a busy month need not sum every line again."""

from django.contrib.postgres.fields import ArrayField, DateTimeRangeField
from django.db import models

from .facility import Facility


class UsageTotals(models.Model):
    """The totals of a usage report on the whole centre (no facility) or on one facility, as facility staff read it.

    Exact, never stale: the triggers of ``facilities.usage_totals`` delete the totals a change could alter, in the
    change's own transaction; the next report sums them again (``facilities.reports``).
    """

    first_day = models.DateField()
    last_day = models.DateField()
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, null=True, related_name="+")
    window = DateTimeRangeField()  # the period's local days, as bookings overlap them
    group_ids = ArrayField(models.BigIntegerField())  # the groups with lines, by name
    booked_hours = models.DecimalField(max_digits=14, decimal_places=2)
    cost = models.DecimalField(max_digits=16, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["first_day", "last_day", "facility"], name="usage_totals_once", nulls_distinct=False
            )
        ]

    def __str__(self):
        return f"{self.first_day} to {self.last_day} {self.facility or 'centre'}"
