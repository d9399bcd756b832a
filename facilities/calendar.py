"""Calendar grids of resources: a week, a facility's day, a month's booked share.

Built from local wall-clock times in the portal's time zone, so that a day with a
daylight-saving change still shows 07:00, 07:30, … as on any other day. Each grid
reads its bookings and closures with one query each, whatever their number. A cell
shows what the booking service's ``Occupancy`` answers for it, so a cell marked
changeover is one the service refuses for the viewer's project.
"""

import calendar as stdlib_calendar
import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from atmp_portal import dates
from atmp_portal.people import full_name
from projects.models import AtmpProject

from . import services
from .models import Booking, Closure, Facility, Resource, Weekday
from .opening import OpeningDays, bookable_hours
from .periods import local_datetime, local_days, overlap, widened

SLOT = datetime.timedelta(minutes=30)


class CalendarParameterError(ValueError):
    """A ``week``, ``date``, ``month`` or ``project`` parameter naming no such thing; the message is for the user."""


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


def slots_in(hours: DateTimeTZRange | None) -> list[Slot]:
    """``hours`` (None: none) in slots of local wall-clock time."""
    if hours is None:
        return []
    slots = []
    moment = timezone.localtime(hours.lower).replace(tzinfo=None)
    closing = timezone.localtime(hours.upper).replace(tzinfo=None)
    while moment < closing:
        following = min(moment + SLOT, closing)
        slots.append(
            Slot(local_datetime(moment.date(), moment.time()), local_datetime(following.date(), following.time()))
        )
        moment = following
    return slots


@dataclass
class Viewer:
    """Who looks at the calendar, and for which project they would book (None: no project in particular).

    A booking shows in full to those who may see it (``Booking.objects.visible_to``); the calendar
    marks changeover where the booking service would refuse ``project`` for it.
    """

    user: object
    project: AtmpProject | None = None

    def label(self, booking: Booking) -> str:
        if booking.visible:
            return _("%(project)s, %(status)s: %(purpose)s (%(booker)s)") % {
                "project": booking.project.code,
                "status": booking.get_status_display().lower(),
                "purpose": booking.purpose,
                "booker": full_name(booking.booked_by),
            }
        return _("Booked: %(group)s") % {"group": booking.project.group.name}

    @property
    def project_query(self) -> str:
        """Keeps the chosen project in the calendar's links to other weeks and days."""
        return f"&{urlencode({'project': self.project.pk})}" if self.project else ""

    def proposal(self, resource: Resource, start: datetime.datetime) -> DateTimeTZRange:
        """The period a click on a free cell proposes: the resource's shortest booking, or one hour."""
        return DateTimeTZRange(start, start + datetime.timedelta(minutes=resource.min_duration_minutes or 60))

    def booking_url(self, resource: Resource, period: DateTimeTZRange) -> str:
        """The booking form, prefilled with this resource, start, end and the viewer's project."""
        start, end = timezone.localtime(period.lower), timezone.localtime(period.upper)
        fields = {"resource": resource.slug, "start": f"{start:%Y-%m-%dT%H:%M}", "end": f"{end:%Y-%m-%dT%H:%M}"}
        if self.project:
            fields["project"] = self.project.pk
        return f"{reverse('facilities:booking_new')}?{urlencode(fields, safe=':')}"


def _cell(slot: Slot, occupancy: services.Occupancy, opening: OpeningDays, viewer: Viewer, now) -> Cell:
    """What the booking service would say about ``slot``: closed, booked, changeover, past, unavailable or free.

    A free cell links to the booking form with the period ``viewer.proposal`` makes, and only if the service's
    rules for it pass (``check_slot``): lead time, how far ahead, opening hours, closed days, changeover.
    """
    start = timezone.localtime(slot.start)
    period = DateTimeTZRange(slot.start, slot.end)
    closure = occupancy.closure_in_the_way(period)
    if closure:
        return Cell("closed", _("Closed: %(reason)s") % {"reason": closure.get_reason_display()}, start)
    booking = occupancy.booking_in_the_way(period)
    if booking:
        url = booking.get_absolute_url() if booking.visible else ""
        return Cell("booked", viewer.label(booking), start, booking=booking, url=url)
    neighbour = occupancy.changeover_neighbour(viewer.project, period)
    if neighbour:
        return Cell("changeover", _("Changeover"), start, booking=neighbour)
    if slot.start < now:
        return Cell("past", _("Past"), start)
    resource = occupancy.resource
    if not resource.active:
        return Cell("free", _("Free"), start)
    proposal = viewer.proposal(resource, start)
    try:
        services.check_slot(resource, viewer.project, proposal, occupancy, opening)
    except services.BookingError:
        return Cell("unavailable", _("Not bookable"), start)
    return Cell("free", _("Free"), start, url=viewer.booking_url(resource, proposal))


def _merged(cells: list[Cell]) -> list[Cell | None]:
    """Consecutive cells of one booking, closure or changeover become one cell spanning them; None marks the rest."""
    merged: list[Cell | None] = []
    last = None
    for cell in cells:
        same = (
            last is not None
            and cell.kind == last.kind
            and cell.kind in ("booked", "closed", "changeover", "past", "unavailable")
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


def _lane(
    slots: list[Slot], occupancy: services.Occupancy, opening: OpeningDays, viewer: Viewer, now
) -> list[Cell | None]:
    return _merged([_cell(slot, occupancy, opening, viewer, now) for slot in slots])


def _bookings_in(resources, window: DateTimeTZRange, user) -> list[Booking]:
    """Live bookings of ``resources`` in ``window``, each marked ``visible`` to ``user`` or not; one query."""
    visible = Booking.objects.visible_to(user).filter(pk=OuterRef("pk"))
    return list(
        Booking.objects.of_resources_overlapping([resource.pk for resource in resources], window)
        .annotate(visible=Exists(visible))
        .select_related("project__group", "booked_by")
        .order_by("period")
    )


def _closures_in(facility: Facility, window: DateTimeTZRange) -> list[Closure]:
    return list(Closure.objects.filter(facility=facility).overlapping(window))


def _window(first_day: datetime.date, days: int) -> DateTimeTZRange:
    # A changeover around a booking of the day before or after may reach into the shown days.
    whole_days = local_days(first_day, first_day + datetime.timedelta(days=days - 1))
    return widened(whole_days, datetime.timedelta(days=1))


@dataclass
class WeekRow:
    time: datetime.time
    cells: list[Cell | None]


def week_grid(resource: Resource, monday: datetime.date, viewer: Viewer) -> dict:
    """Columns: the days of the week the resource may be booked; rows: its bookable hours in slots.

    A resource that runs around the clock shows every day from 00:00, so a multi-day booking runs
    down one column and on into the next.
    """
    facility = resource.facility
    days = [monday + datetime.timedelta(days=n) for n in range(7)]
    opening = OpeningDays.load(facility, days[0], days[-1])
    hours = {day: bookable_hours(resource, day, opening) for day in days}
    open_days = [day for day, day_hours in hours.items() if day_hours is not None]
    window = _window(monday, 7)
    occupancy = services.Occupancy(
        resource, _closures_in(facility, window), _bookings_in([resource], window, viewer.user)
    )
    now = timezone.now()
    columns = [_lane(slots_in(hours[day]), occupancy, opening, viewer, now) for day in open_days]
    # Row labels from the longest column: a day of a daylight-saving change has one hour more or less.
    longest = max(open_days, key=lambda day: len(slots_in(hours[day])), default=monday)
    times = [timezone.localtime(slot.start).time() for slot in slots_in(hours[longest])]
    rows = [
        WeekRow(time, [column[index] if index < len(column) else None for column in columns])
        for index, time in enumerate(times)
    ]
    return {
        "days": open_days,
        "closed_days": [
            (day, opening.closed_reason(day)) for day in days if day not in open_days and opening.closed_reason(day)
        ],
        "rows": rows,
        "week": iso_week(monday),
        "previous_week": iso_week(monday - datetime.timedelta(days=7)),
        "next_week": iso_week(monday + datetime.timedelta(days=7)),
        "this_week": iso_week(timezone.localdate()),
        "project_query": viewer.project_query,
    }


@dataclass
class ResourceLane:
    resource: Resource
    cells: list[Cell | None]


def facility_day(facility: Facility, resources: list[Resource], day: datetime.date, viewer: Viewer) -> dict:
    """Each of ``resources`` (the facility's) as one row of the day's slots."""
    opening = OpeningDays.load(facility, day, day)
    slots = slots_in(opening.hours(day))
    window = _window(day, 1)
    bookings = _bookings_in(resources, window, viewer.user)
    closures = _closures_in(facility, window)
    now = timezone.now()
    lanes = [
        ResourceLane(resource, _lane(slots, services.Occupancy(resource, closures, bookings), opening, viewer, now))
        for resource in resources
    ]
    return {
        "day": day,
        "closed_reason": opening.closed_reason(day),
        "times": [timezone.localtime(slot.start).time() for slot in slots],
        "lanes": lanes,
        "previous_day": day - datetime.timedelta(days=1),
        "next_day": day + datetime.timedelta(days=1),
        "today": timezone.localdate(),
        "project_query": viewer.project_query,
    }


@dataclass
class MonthDay:
    day: datetime.date
    is_open: bool
    booked_percent: int = 0


def month_overview(resource: Resource, first: datetime.date) -> dict:
    """The booked share of each day's bookable hours, from one query of the month's bookings."""
    last_day = stdlib_calendar.monthrange(first.year, first.month)[1]
    bookings = list(Booking.objects.of_resources_overlapping([resource.pk], _window(first, last_day)))
    opening = OpeningDays.load(resource.facility, first, first.replace(day=last_day))
    weeks = []
    for week in stdlib_calendar.Calendar().monthdatescalendar(first.year, first.month):
        weeks.append(
            [_month_day(resource, day, bookings, opening) if day.month == first.month else None for day in week]
        )
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


def _month_day(resource: Resource, day: datetime.date, bookings: list[Booking], opening: OpeningDays) -> MonthDay:
    hours = bookable_hours(resource, day, opening)
    if hours is None:
        return MonthDay(day, is_open=False)
    booked = sum(
        (
            min(b.period.upper, hours.upper) - max(b.period.lower, hours.lower)
            for b in bookings
            if overlap(b.period, hours)
        ),
        datetime.timedelta(),
    )
    return MonthDay(day, is_open=True, booked_percent=round(100 * booked / (hours.upper - hours.lower)))
