"""Time and periods: local date-times, the days a period covers, overlap, changeover, what a closure covers.

A period is a half-open ``DateTimeTZRange`` ``[lower, upper)``, as PostgreSQL's ``tstzrange`` stores it.
Wall-clock times are read in the portal's time zone, so a day with a daylight-saving change still opens
at 07:00.
"""

import calendar
import datetime
from typing import TYPE_CHECKING

from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

if TYPE_CHECKING:  # the models import this module
    from .models import Closure, Facility, Resource


def local_datetime(day: datetime.date, time: datetime.time) -> datetime.datetime:
    """``day`` at wall-clock ``time`` in the portal's time zone, with that day's UTC offset."""
    return datetime.datetime.combine(day, time, tzinfo=timezone.get_current_timezone())


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later; the month's last day where it is shorter (31 Aug + 6 months: 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def local_days(first_day: datetime.date, last_day: datetime.date) -> DateTimeTZRange:
    """Whole local days from the start of ``first_day`` to the end of ``last_day``."""
    return DateTimeTZRange(
        local_datetime(first_day, datetime.time.min),
        local_datetime(last_day + datetime.timedelta(days=1), datetime.time.min),
    )


def opening_hours(facility: "Facility", day: datetime.date) -> DateTimeTZRange:
    """The facility's opening hours of ``day``, whether or not it opens that weekday."""
    return DateTimeTZRange(local_datetime(day, facility.opens_at), local_datetime(day, facility.closes_at))


def describe_period(period: DateTimeTZRange) -> str:
    """E.g. “on Mon 2 Dec 2026 from 09:00 to 13:00”, in local time."""
    start, end = timezone.localtime(period.lower), timezone.localtime(period.upper)
    if start.date() != end.date():
        return _("from %(start)s to %(end)s") % {
            "start": formats.date_format(start, "DATETIME_FORMAT"),
            "end": formats.date_format(end, "DATETIME_FORMAT"),
        }
    return _("on %(day)s from %(start)s to %(end)s") % {
        "day": formats.date_format(start, "WEEKDAY_DATE_FORMAT"),
        "start": f"{start:%H:%M}",
        "end": f"{end:%H:%M}",
    }


def period_label(period: DateTimeTZRange) -> str:
    """E.g. “Mon 7 Dec 2026 07:00-09:00”, in local time; the end's date too when it falls on another day."""
    start, end = timezone.localtime(period.lower), timezone.localtime(period.upper)
    end_format = "TIME_FORMAT" if start.date() == end.date() else "DATETIME_FORMAT"
    return f"{formats.date_format(start, 'DATETIME_FORMAT')}\u2013{formats.date_format(end, end_format)}"


def days_of(period: DateTimeTZRange) -> list[datetime.date]:
    """The local days ``period`` touches; a period ending at midnight does not touch the next day."""
    first = timezone.localtime(period.lower).date()
    last = timezone.localtime(period.upper - datetime.timedelta(microseconds=1)).date()
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


def overlap(a: DateTimeTZRange, b: DateTimeTZRange) -> bool:
    """Whether two half-open periods share a moment, as PostgreSQL's ``&&`` answers it."""
    return a.lower < b.upper and b.lower < a.upper


def widened(period: DateTimeTZRange, margin: datetime.timedelta) -> DateTimeTZRange:
    return DateTimeTZRange(period.lower - margin, period.upper + margin)


def changeover_of(resource: "Resource") -> datetime.timedelta:
    """Line clearance between two projects applies to rooms only."""
    return datetime.timedelta(minutes=resource.changeover_minutes if resource.is_room else 0)


# Which resources a closure covers: its resource, the equipment standing in a closed room, and without a
# resource its whole facility. Asked in memory (calendar, report) and in SQL (``Closure.objects.affecting``);
# tests/test_booking_rules.py checks that both forms agree.


def closure_covers(closure: "Closure", resource: "Resource") -> bool:
    if closure.resource_id is None:
        return closure.facility_id == resource.facility_id
    return closure.resource_id in (resource.pk, resource.room_id)


def closures_covering(resource: "Resource") -> Q:
    """``closure_covers`` as a condition on closures."""
    return Q(resource__isnull=True, facility_id=resource.facility_id) | Q(
        resource_id__in=[pk for pk in (resource.pk, resource.room_id) if pk is not None]
    )
