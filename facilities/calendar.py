"""Calendar grids of resources: a week, a facility's day, a month's booked share.

Built from local wall-clock times in the portal's time zone, so that a day with a
daylight-saving change still shows 07:00, 07:30, … as on any other day. Each grid
reads its bookings and closures with one query each, whatever their number.
"""

import calendar as stdlib_calendar
import datetime
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from atmp_portal import dates
from projects.models import ResearchGroup

from . import permissions
from .models import Booking, Closure, Facility, Resource, Weekday
from .services import changeover_of, local_datetime

SLOT = datetime.timedelta(minutes=30)


class CalendarParameterError(ValueError):
    """A ``week``, ``date`` or ``month`` parameter that names no such period; the message is for the user."""


def parse_week(value: str | None) -> datetime.date:
    """The Monday of ISO week ``YYYY-Www`` (this week without a value)."""
    if not value:
        today = timezone.localdate()
        return today - datetime.timedelta(days=today.weekday())
    try:
        monday = datetime.datetime.strptime(value + "-1", "%G-W%V-%u").date()
    except ValueError:
        raise CalendarParameterError(_("“%(value)s” is not a week; write it as 2026-W14.") % {"value": value}) from None
    return _bounded(monday)


def parse_date(value: str | None) -> datetime.date:
    if not value:
        return timezone.localdate()
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        raise CalendarParameterError(
            _("“%(value)s” is not a date; write it as 2026-04-02.") % {"value": value}
        ) from None
    return _bounded(day)


def parse_month(value: str | None) -> datetime.date:
    """The first day of month ``YYYY-MM`` (this month without a value)."""
    if not value:
        return timezone.localdate().replace(day=1)
    try:
        first = datetime.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise CalendarParameterError(_("“%(value)s” is not a month; write it as 2026-04.") % {"value": value}) from None
    return _bounded(first)


def _bounded(day: datetime.date) -> datetime.date:
    if not dates.in_range(day):
        raise CalendarParameterError(dates.OUT_OF_RANGE % {"first": dates.FIRST_YEAR, "last": dates.LAST_YEAR})
    return day


def iso_week(day: datetime.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass
class Cell:
    """One table cell: free, booked, closed, changeover or past, spanning ``span`` slots.

    ``url``: the booking form prefilled with this start, or the booking for those who may see it.
    """

    kind: str
    label: str
    start: datetime.datetime
    booking: Booking | None = None
    span: int = 1
    url: str = ""


@dataclass
class Slot:
    start: datetime.datetime
    end: datetime.datetime


def day_slots(facility: Facility, day: datetime.date) -> list[Slot]:
    """The facility's opening hours of ``day`` in slots of local wall-clock time."""
    slots = []
    moment = datetime.datetime.combine(day, facility.opens_at)
    closing = datetime.datetime.combine(day, facility.closes_at)
    while moment < closing:
        following = min(moment + SLOT, closing)
        slots.append(Slot(local_datetime(day, moment.time()), local_datetime(day, following.time())))
        moment = following
    return slots


@dataclass
class Viewer:
    """Who looks at the calendar: decides what each booking shows (``permissions.shows_booking_details``)."""

    user: object
    group_ids: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def of(cls, user) -> "Viewer":
        return cls(user, frozenset(ResearchGroup.objects.with_member(user).values_list("pk", flat=True)))

    def sees_details(self, booking: Booking) -> bool:
        return permissions.shows_booking_details(self.user, booking, self.group_ids)

    def label(self, booking: Booking) -> str:
        if self.sees_details(booking):
            return _("%(project)s, %(status)s: %(purpose)s (%(booker)s)") % {
                "project": booking.project.code,
                "status": booking.get_status_display().lower(),
                "purpose": booking.purpose,
                "booker": booking.booked_by.get_full_name() or booking.booked_by.get_username(),
            }
        return _("Booked: %(group)s") % {"group": booking.project.group.name}


def _overlaps(period: DateTimeTZRange, start: datetime.datetime, end: datetime.datetime) -> bool:
    return period.lower < end and start < period.upper


def _cell(slot: Slot, resource: Resource, bookings, closures, viewer: Viewer, now) -> Cell:
    start = timezone.localtime(slot.start)
    for closure in closures:
        if _overlaps(closure.period, slot.start, slot.end):
            return Cell("closed", _("Closed: %(reason)s") % {"reason": closure.get_reason_display()}, start)
    for booking in bookings:
        if _overlaps(booking.period, slot.start, slot.end):
            url = booking.get_absolute_url() if viewer.sees_details(booking) else ""
            return Cell("booked", viewer.label(booking), start, booking=booking, url=url)
    gap = changeover_of(resource)
    for booking in bookings:
        if gap and booking.period.upper <= slot.start < booking.period.upper + gap:
            return Cell("changeover", _("Changeover"), start, booking=booking)
    if slot.start < now:
        return Cell("past", _("Past"), start)
    if not resource.active:
        return Cell("free", _("Free"), start)
    query = urlencode({"resource": resource.slug, "start": f"{start:%Y-%m-%dT%H:%M}"}, safe=":")
    return Cell("free", _("Free"), start, url=f"{reverse('facilities:booking_new')}?{query}")


def _merged(cells: list[Cell]) -> list[Cell | None]:
    """Consecutive cells of one booking, closure or changeover become one cell spanning them; None marks the rest."""
    merged: list[Cell | None] = []
    last = None
    for cell in cells:
        same = (
            last is not None
            and cell.kind == last.kind
            and cell.kind in ("booked", "closed", "changeover", "past")
            and cell.label == last.label
            and cell.booking is last.booking
        )
        if same:
            last.span += 1
            merged.append(None)
        else:
            merged.append(cell)
            last = cell
    return merged


def _lane(resource, slots, bookings, closures, viewer, now) -> list[Cell | None]:
    return _merged([_cell(slot, resource, bookings, closures, viewer, now) for slot in slots])


def _bookings_in(resources, window: DateTimeTZRange) -> list[Booking]:
    return list(
        Booking.objects.of_resources_overlapping([resource.pk for resource in resources], window)
        .select_related("project__group", "booked_by")
        .order_by("period")
    )


def _closures_in(facility: Facility, window: DateTimeTZRange) -> list[Closure]:
    return list(Closure.objects.filter(facility=facility).overlapping(window))


def _affects(closure: Closure, resource: Resource) -> bool:
    return closure.resource_id in (None, resource.pk, resource.room_id)


def _window(first_day: datetime.date, days: int) -> DateTimeTZRange:
    # The changeover after a booking of the previous evening may reach into the first day.
    start = local_datetime(first_day, datetime.time()) - datetime.timedelta(days=1)
    return DateTimeTZRange(start, local_datetime(first_day + datetime.timedelta(days=days), datetime.time()))


@dataclass
class WeekRow:
    time: datetime.time
    cells: list[Cell | None]


def week_grid(resource: Resource, monday: datetime.date, user) -> dict:
    """Columns: the facility's open days of the week; rows: its opening hours in slots."""
    facility = resource.facility
    days = [monday + datetime.timedelta(days=n) for n in range(7)]
    open_days = [day for day in days if day.weekday() in facility.open_weekdays]
    bookings = _bookings_in([resource], _window(monday, 7))
    closures = [c for c in _closures_in(facility, _window(monday, 7)) if _affects(c, resource)]
    viewer, now = Viewer.of(user), timezone.now()
    columns = [_lane(resource, day_slots(facility, day), bookings, closures, viewer, now) for day in open_days]
    times = [timezone.localtime(slot.start).time() for slot in day_slots(facility, monday)]
    rows = [WeekRow(time, [column[index] for column in columns]) for index, time in enumerate(times)]
    return {
        "days": open_days,
        "rows": rows,
        "week": iso_week(monday),
        "previous_week": iso_week(monday - datetime.timedelta(days=7)),
        "next_week": iso_week(monday + datetime.timedelta(days=7)),
        "this_week": iso_week(timezone.localdate()),
    }


@dataclass
class ResourceLane:
    resource: Resource
    cells: list[Cell | None]


def facility_day(facility: Facility, resources: list[Resource], day: datetime.date, user) -> dict:
    """Each of ``resources`` (the facility's) as one row of the day's slots."""
    slots = day_slots(facility, day) if day.weekday() in facility.open_weekdays else []
    window = _window(day, 1)
    bookings = _bookings_in(resources, window)
    closures = _closures_in(facility, window)
    viewer, now = Viewer.of(user), timezone.now()
    lanes = [
        ResourceLane(
            resource,
            _lane(
                resource,
                slots,
                [b for b in bookings if b.resource_id == resource.pk],
                [c for c in closures if _affects(c, resource)],
                viewer,
                now,
            ),
        )
        for resource in resources
    ]
    return {
        "day": day,
        "times": [timezone.localtime(slot.start).time() for slot in slots],
        "lanes": lanes,
        "previous_day": day - datetime.timedelta(days=1),
        "next_day": day + datetime.timedelta(days=1),
        "today": timezone.localdate(),
    }


@dataclass
class MonthDay:
    day: datetime.date
    is_open: bool
    booked_percent: int = 0


def month_overview(resource: Resource, first: datetime.date) -> dict:
    """The booked share of each day's opening hours, from one query of the month's bookings."""
    facility = resource.facility
    last_day = stdlib_calendar.monthrange(first.year, first.month)[1]
    bookings = _bookings_in([resource], _window(first, last_day))
    weeks = []
    for week in stdlib_calendar.Calendar().monthdatescalendar(first.year, first.month):
        weeks.append([_month_day(facility, day, bookings) if day.month == first.month else None for day in week])
    previous = (first - datetime.timedelta(days=1)).replace(day=1)
    following = first + datetime.timedelta(days=last_day)
    return {
        "month": first,
        "weeks": weeks,
        "weekday_names": [Weekday(number).label for number in range(7)],
        "previous_month": f"{previous:%Y-%m}",
        "next_month": f"{following:%Y-%m}",
        "this_month": f"{timezone.localdate():%Y-%m}",
    }


def _month_day(facility: Facility, day: datetime.date, bookings: list[Booking]) -> MonthDay:
    if day.weekday() not in facility.open_weekdays:
        return MonthDay(day, is_open=False)
    opens, closes = local_datetime(day, facility.opens_at), local_datetime(day, facility.closes_at)
    booked = sum(
        (
            min(b.period.upper, closes) - max(b.period.lower, opens)
            for b in bookings
            if _overlaps(b.period, opens, closes)
        ),
        datetime.timedelta(),
    )
    return MonthDay(day, is_open=True, booked_percent=round(100 * booked / (closes - opens)))
