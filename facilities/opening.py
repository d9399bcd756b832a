"""Which days a facility opens, and when: its weekdays and hours, Swedish public holidays and its own exceptions.

Public holidays come from the ``holidays`` package (country SE). A facility's own exception days
(``OpeningException``) win over both: a summer shutdown closes open weekdays, an exception with
hours opens a holiday. One ``OpeningDays`` answers for a window of days from one query.
"""

import datetime
import functools

import holidays
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from atmp_portal import sql

from .models import Facility, OpeningException, Resource
from .periods import local_datetime, local_days, opening_hours

HOLIDAY_COUNTRY = "SE"


@functools.lru_cache(maxsize=64)
def _public_holidays(year: int, language: str) -> dict[datetime.date, str]:
    return dict(holidays.country_holidays(HOLIDAY_COUNTRY, years=year, language=language))


def public_holiday(day: datetime.date) -> str | None:
    """The name of the public holiday on ``day``, in the active language; None on other days."""
    language = "sv" if (get_language() or "").startswith("sv") else "en_US"
    return _public_holidays(day.year, language).get(day)


class OpeningDays:
    """When one facility opens on each day, given its exceptions (those touching the days asked about)."""

    def __init__(self, facility: Facility, exceptions):
        self.facility = facility
        self.exceptions = sorted(exceptions, key=lambda exception: exception.pk or 0)
        self._hours: dict[datetime.date, DateTimeTZRange | None] = {}  # a report asks for each day per resource

    @classmethod
    def load(cls, facility: Facility, first_day: datetime.date, last_day: datetime.date) -> "OpeningDays":
        """One query: the facility's exceptions touching the days from ``first_day`` to ``last_day``."""
        return cls(
            facility, sql.instances(OpeningException, _exceptions_touching(), [facility.pk, last_day, first_day])
        )

    def exception_on(self, day: datetime.date) -> OpeningException | None:
        # The latest made wins where two overlap.
        return next((e for e in reversed(self.exceptions) if e.first_day <= day <= e.last_day), None)

    def closed_reason(self, day: datetime.date) -> str | None:
        """Why the facility is closed on ``day`` (a holiday, an exception day); None if open or the weekday is shut."""
        exception = self.exception_on(day)
        if exception is not None:
            return exception.note if exception.closed else None
        if day.weekday() not in self.facility.open_weekdays:
            return None
        if self.facility.closed_on_public_holidays:
            return public_holiday(day)
        return None

    def hours(self, day: datetime.date) -> DateTimeTZRange | None:
        """The opening hours of ``day``; None on a day the facility is closed."""
        if day not in self._hours:
            self._hours[day] = self._hours_of(day)
        return self._hours[day]

    def _hours_of(self, day: datetime.date) -> DateTimeTZRange | None:
        exception = self.exception_on(day)
        if exception is not None:
            if exception.closed:
                return None
            return DateTimeTZRange(local_datetime(day, exception.opens_at), local_datetime(day, exception.closes_at))
        if day.weekday() not in self.facility.open_weekdays or self.closed_reason(day):
            return None
        return opening_hours(self.facility, day)

    def describe(self, day: datetime.date) -> str:
        """The opening hours of ``day`` in words, for a refusal."""
        hours = self.hours(day)
        if hours is None:
            return _("closed")
        return _("from %(opens)s to %(closes)s") % {"opens": f"{hours.lower:%H:%M}", "closes": f"{hours.upper:%H:%M}"}


@functools.cache
def _exceptions_touching() -> str:
    # Every calendar and booking asks it: ``OpeningException.objects.filter(facility=…).touching(…)`` written out.
    return (
        f"SELECT {sql.columns(OpeningException, 'e')} FROM {OpeningException._meta.db_table} e "
        "WHERE e.facility_id = %s AND e.first_day <= %s AND e.last_day >= %s"
    )


def bookable_hours(resource: Resource, day: datetime.date, opening: OpeningDays) -> DateTimeTZRange | None:
    """When ``resource`` may be booked on ``day``: the whole day if it runs around the clock, else its
    facility's opening hours of that day; None on a day the facility is closed."""
    if resource.round_the_clock:
        return local_days(day, day)
    return opening.hours(day)
