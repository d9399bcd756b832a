"""Calendars of resources: a facility's schedule, a resource's week, a month's booked share.

The schedule and the week are built from intervals, not from cells: each resource's bookings, closures,
hold, changeover and closed hours are painted over its days, and what stays uncovered is free time,
asked of the booking service once per free stretch (``check_slot``), so a link to free time is a booking
the service accepts. Each calendar reads its bookings and closures with one query each, whatever their
number. Blocks are sized in columns of local time, so a day of a daylight-saving change has one hour
more or less.
"""

import calendar as stdlib_calendar
import datetime
import functools
import heapq
import html
import itertools
import math
from dataclasses import dataclass
from urllib.parse import quote_plus, urlencode

from django.conf import settings
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from atmp_portal import dates, sql
from atmp_portal.links import link_pattern
from atmp_portal.people import full_name_of
from projects.models import AtmpProject

from . import services
from .models import Booking, BookingStatus, Closure, Facility, Resource, Weekday
from .opening import OpeningDays, bookable_hours
from .periods import changeover_of, local_datetime, local_days, overlap, widened

SLOT = datetime.timedelta(minutes=30)


class CalendarParameterError(ValueError):
    """A ``week``, ``date``, ``month``, ``days`` or ``project`` parameter naming no such thing; the message is
    for the user."""


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


def parse_days(value: str | None) -> int:
    """How many days a schedule shows: 1 (without a value) or 7."""
    if not value:
        return 1
    if value not in ("1", "7"):
        raise CalendarParameterError(_("“%(value)s” is not a number of days; write 1 or 7.") % {"value": value})
    return int(value)


def _bounded(day: datetime.date) -> datetime.date:
    if not dates.in_range(day):
        raise CalendarParameterError(dates.OUT_OF_RANGE % {"first": dates.FIRST_YEAR, "last": dates.LAST_YEAR})
    return day


def iso_week(day: datetime.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


# The schedule's columns: five minutes in a day's view, fifteen in a seven-day one, so that seven whole days
# (with a 25-hour day of a daylight-saving change) stay within the widths static/css/schedule.css defines.
DAY_UNIT = datetime.timedelta(minutes=5)
WEEK_UNIT = datetime.timedelta(minutes=15)
MAX_UNITS = 700

# The schedule's resources per page: a day of 25 and a week of 10 resources keep a page's blocks to a few hundred.
RESOURCES_PER_PAGE = {1: 25, 7: 10}

# What a block is; its text says so too, the colour only helps the eye.
APPROVED, REQUESTED, CLOSED, HOLD, CHANGEOVER, FREE, UNAVAILABLE, OFF = (
    "approved",
    "requested",
    "closed",
    "hold",
    "changeover",
    "free",
    "unavailable",
    "off",
)
LEGEND = [
    (FREE, gettext_lazy("Free: follow the link, or drag across it, to book")),
    (APPROVED, gettext_lazy("Approved booking")),
    (REQUESTED, gettext_lazy("Requested booking, waiting for approval")),
    (CHANGEOVER, gettext_lazy("Changeover between projects")),
    (CLOSED, gettext_lazy("Closure")),
    (HOLD, gettext_lazy("Room on hold")),
    (UNAVAILABLE, gettext_lazy("Not bookable: past, too soon, too short or too far ahead")),
    (OFF, gettext_lazy("Facility closed")),
]


@functools.lru_cache(maxsize=8)
def _legend_in(language: str) -> str:
    with translation.override(language):
        swatch = '<li class="list-inline-item"><span class="schedule-swatch b-{}"></span>{}</li>'
        items = (swatch.format(kind, html.escape(str(meaning))) for kind, meaning in LEGEND)
        return mark_safe("".join(items))  # each meaning escaped


def legend_items() -> str:
    """The legend's items in the active language as one string, built once per language: every calendar shows it."""
    return _legend_in(translation.get_language() or settings.LANGUAGE_CODE)


# Where painted intervals overlap, the lowest rank shows.
_CLOSURE_RANK, _BOOKING_RANK, _OFF_RANK, _HOLD_RANK, _CHANGEOVER_RANK = range(5)


@dataclass(slots=True)
class Block:
    """A stretch of one resource's time: a booking, closure, hold, changeover, closed hours, or free time.

    ``start``/``end``: where it shows; ``period``: a booking's own, also where the calendar cuts it; ``url``:
    the booking, or for free time the booking form prefilled with a period the service accepts; ``note``:
    why it is not bookable.
    """

    kind: str
    label: str
    start: datetime.datetime | None = None
    end: datetime.datetime | None = None
    url: str = ""
    note: str = ""
    period: DateTimeTZRange | None = None

    def text(self, start: datetime.datetime, end: datetime.datetime) -> str:
        """What the block is, and when: a booking its own period, anything else from ``start`` to ``end``."""
        when = _period_text(self.period.lower, self.period.upper) if self.period else _period_text(start, end)
        if self.kind == FREE:
            return self.label % {"when": when}
        return f"{when} {self.label}"


@dataclass(slots=True)
class Piece:
    """The part of a block shown in one row: ``units`` columns from column ``offset`` of the row."""

    block: Block
    shown_start: datetime.datetime
    shown_end: datetime.datetime
    offset: int
    units: int
    first_of_day: bool = False

    @property
    def kind(self) -> str:
        return self.block.kind

    @property
    def text(self) -> str:
        return self.block.text(self.shown_start, self.shown_end)

    @property
    def html(self) -> str:
        """One element per piece, built here rather than by the template: a week of fifty rooms has thousands."""
        block = self.block
        text = html.escape(self.text)
        title = f"{text}: {html.escape(block.note)}" if block.note else text
        classes = f"b b-{block.kind} u{self.units}{' b-day' if self.first_of_day else ''}"
        if not block.url:
            return mark_safe(f'<span role="cell" class="{classes}" title="{title}">{text}</span>')
        drag = ""
        if block.kind == FREE:
            drag = f' data-from="{_local_value(self.shown_start)}" data-to="{_local_value(self.shown_end)}"'
        url = html.escape(block.url)
        return mark_safe(  # every value above is escaped
            f'<span role="cell" class="{classes}" title="{title}"{drag}><a href="{url}">{text}</a></span>'
        )

    @property
    def item_html(self) -> str:
        """The piece as an item of its day's list, the week's form on a narrow screen."""
        text = html.escape(self.text)
        if self.block.url:
            text = f'<a href="{html.escape(self.block.url)}">{text}</a>'
        return f'<li class="b-{self.block.kind}">{text}</li>'


def row_html(pieces: list[Piece]) -> str:
    """A row's pieces as one string, so that the template renders one node per row rather than one per piece."""
    return mark_safe("".join(piece.html for piece in pieces))  # each piece escapes its values


@dataclass(frozen=True)
class _Words:
    """The calendar's words in one language, translated once rather than for each of thousands of blocks."""

    closed: str
    closed_day: str
    closure: str
    changeover: str
    on_hold: str
    not_bookable: str
    free: str
    visible_booking: str
    hidden_booking: str
    statuses: dict[str, str]


@functools.lru_cache(maxsize=8)
def _words_in(language: str) -> _Words:
    with translation.override(language):
        return _Words(
            closed=_("Closed"),
            closed_day=pgettext("facility closed", "Closed: %(reason)s"),
            closure=_("Closed: %(reason)s"),
            changeover=_("Changeover"),
            on_hold=_("On hold"),
            not_bookable=_("Not bookable"),
            free=_("Free %(when)s"),
            visible_booking=_("%(project)s, %(status)s: %(purpose)s (%(booker)s)"),
            hidden_booking=_("%(status)s: %(group)s"),
            statuses={status: str(label) for status, label in BookingStatus.choices},
        )


def _local(moment: datetime.datetime) -> datetime.datetime:
    # The portal's zone, kept by Django, rather than the request's active one or the settings': calendars convert
    # thousands of times.
    return moment.astimezone(timezone.get_default_timezone())


def _local_value(moment: datetime.datetime) -> str:
    return f"{_local(moment):%Y-%m-%dT%H:%M}"


EN_DASH = "\N{EN DASH}"


def _period_text(start: datetime.datetime, end: datetime.datetime) -> str:
    start, end = _local(start), _local(end)
    if start.date() == end.date():
        return f"{start:%H:%M}{EN_DASH}{end:%H:%M}"
    if end.time() == datetime.time.min and end.date() == start.date() + datetime.timedelta(days=1):
        return f"{start:%H:%M}{EN_DASH}24:00"
    language = translation.get_language()
    return f"{_day_time(start, language)} {EN_DASH} {_day_time(end, language)}"


@functools.lru_cache(maxsize=1024)
def _day_time(moment: datetime.datetime, language: str | None) -> str:
    """``moment`` as DAY_TIME_FORMAT in the active ``language``, kept: a week's rows share their closing and
    opening times, and Django's date formatting is slow for thousands of them."""
    return formats.date_format(moment, "DAY_TIME_FORMAT")


@dataclass
class Viewer:
    """Who looks at the calendar, and for which project they would book (None: no project in particular).

    A booking shows in full to those who may see it (``Booking.objects.visible_to``); the calendar
    marks changeover where the booking service would refuse ``project`` for it.
    """

    user: object
    project: AtmpProject | None = None

    def label(self, booking: "ShownBooking") -> str:
        words = self.words
        if booking.visible:
            return words.visible_booking % {
                "project": booking.project.code,
                "status": words.statuses[booking.status].lower(),
                "purpose": booking.purpose,
                "booker": booking.booker_name,
            }
        return words.hidden_booking % {
            "status": words.statuses[booking.status],
            "group": booking.group_name,
        }

    @functools.cached_property
    def project_query(self) -> str:
        """Keeps the chosen project in the calendar's links to other weeks, days and the booking form."""
        return f"&{urlencode({'project': self.project.pk})}" if self.project else ""

    def booking_url(self, resource: Resource, period: DateTimeTZRange) -> str:
        """The booking form, prefilled with this resource, start, end and the viewer's project."""
        # Local times need no quoting ("2026-04-02T08:00"), the slug is quoted alone: a week has thousands of links.
        return (
            f"{self.booking_form}?resource={quote_plus(resource.slug)}&start={_local_value(period.lower)}"
            f"&end={_local_value(period.upper)}{self.project_query}"
        )

    def booking_page(self, booking: "ShownBooking") -> str:
        """``booking.get_absolute_url()``, from one ``reverse`` for all the calendar's bookings."""
        return self._booking_page.format(booking.pk)

    @functools.cached_property
    def _booking_page(self) -> str:
        return link_pattern("facilities:booking_detail")

    @functools.cached_property
    def booking_form(self) -> str:
        return reverse("facilities:booking_new")

    @functools.cached_property
    def words(self) -> _Words:
        return _words_in(translation.get_language() or settings.LANGUAGE_CODE)


def snap_minutes(resource: Resource) -> int:
    """The steps a dragged selection snaps to: half hours, or finer where the shortest booking needs it."""
    return math.gcd(int(SLOT.total_seconds() // 60), resource.min_duration_minutes or 60)


def _next_step(moment: datetime.datetime, minutes: int) -> datetime.datetime:
    # Stockholm's offsets from UTC are whole hours, so steps counted in UTC fall on local half hours too.
    step = minutes * 60
    return datetime.datetime.fromtimestamp(math.ceil(moment.timestamp() / step) * step, tz=datetime.UTC)


def _covers(resource, days, occupancy: services.Occupancy, opening: OpeningDays, hold, viewer: Viewer) -> list:
    """What takes up ``resource``'s time on ``days``, as (start, end, rank, block); the rest is free time."""
    covers = []
    words = viewer.words
    closed = Block(OFF, words.closed)
    changeover = Block(CHANGEOVER, words.changeover)
    for day in days:
        whole_day = local_days(day, day)
        hours = bookable_hours(resource, day, opening)
        if hours is None:
            reason = opening.closed_reason(day)
            label = words.closed_day % {"reason": reason} if reason else closed.label
            covers.append((whole_day.lower, whole_day.upper, _OFF_RANK, Block(OFF, label)))
            continue
        covers.append((whole_day.lower, hours.lower, _OFF_RANK, closed))
        covers.append((hours.upper, whole_day.upper, _OFF_RANK, closed))
    for closure in occupancy.closures:
        label = words.closure % {"reason": closure.get_reason_display()}
        covers.append((closure.period.lower, closure.period.upper, _CLOSURE_RANK, Block(CLOSED, label)))
    gap = changeover_of(resource)
    project_id = viewer.project.pk if viewer.project else None
    shown = local_days(days[0], days[-1])
    for booking in occupancy.bookings:
        start, end = booking.period.lower, booking.period.upper
        if overlap(booking.period, shown):  # the others only bring their changeover into the days shown
            url = viewer.booking_page(booking) if booking.visible else ""
            block = Block(booking.status, viewer.label(booking), url=url, period=booking.period)
            covers.append((start, end, _BOOKING_RANK, block))
        if gap and booking.project_id != project_id:
            covers.append((start - gap, start, _CHANGEOVER_RANK, changeover))
            covers.append((end, end + gap, _CHANGEOVER_RANK, changeover))
    if hold:
        until_released = datetime.datetime.max.replace(tzinfo=datetime.UTC)
        covers.append((hold.since, until_released, _HOLD_RANK, Block(HOLD, words.on_hold, note=hold.message)))
    return covers


def _painted(window: DateTimeTZRange, covers: list) -> list[list]:
    """``window`` cut into [start, end, block] where covers overlap the lowest rank shows; block None: free time.

    One sweep over the covers' edges with a heap of those under way: the work grows with the number of
    bookings and closures, not with the hours shown.
    """
    lower, upper = window.lower, window.upper
    clipped = sorted(
        (
            (max(start, lower), min(end, upper), rank, n, block)
            for n, (start, end, rank, block) in enumerate(covers)
            if start < upper and lower < end
        ),
        key=lambda cover: cover[0],
    )
    edges = sorted({lower, upper, *(cover[0] for cover in clipped), *(cover[1] for cover in clipped)})
    segments: list[list] = []
    under_way: list = []
    following = 0
    for start, end in itertools.pairwise(edges):
        while following < len(clipped) and clipped[following][0] <= start:
            _start, cover_end, rank, n, block = clipped[following]
            heapq.heappush(under_way, (rank, n, cover_end, block))
            following += 1
        while under_way and under_way[0][2] <= start:
            heapq.heappop(under_way)
        shown = under_way[0][3] if under_way else None
        if segments and segments[-1][2] is shown:
            segments[-1][1] = end
        else:
            segments.append([start, end, shown])
    return segments


def _free_blocks(
    resource: Resource,
    start: datetime.datetime,
    end: datetime.datetime,
    occupancy: services.Occupancy,
    opening: OpeningDays,
    viewer: Viewer,
    now: datetime.datetime,
) -> list[Block]:
    """Free time from ``start`` to ``end``, as the booking service answers it for the whole stretch at once.

    The part before the resource's lead time is not bookable; the rest links to the booking form with the
    longest period from its start the resource takes, if the service's rules for that period pass
    (``check_slot``: timing, duration, how far ahead, opening hours, closed days, overlap, changeover).
    """
    blocks = []
    earliest = max(start, _next_step(now + datetime.timedelta(hours=resource.lead_time_hours), snap_minutes(resource)))
    if start < earliest:
        too_soon = DateTimeTZRange(start, min(earliest, end))
        blocks.append(
            Block(
                UNAVAILABLE,
                viewer.words.not_bookable,
                too_soon.lower,
                too_soon.upper,
                note=_timing_refusal(resource, too_soon),
            )
        )
        if earliest >= end:
            return blocks
    longest = (
        datetime.timedelta(days=resource.max_days)
        if resource.round_the_clock
        else datetime.timedelta(minutes=resource.max_duration_minutes)
    )
    proposal = DateTimeTZRange(earliest, min(end, earliest + longest))
    try:
        services.check_slot(resource, viewer.project, proposal, occupancy, opening)
    except services.BookingError as refusal:
        blocks.append(Block(UNAVAILABLE, viewer.words.not_bookable, earliest, end, note=refusal.message))
    else:
        blocks.append(Block(FREE, viewer.words.free, earliest, end, url=viewer.booking_url(resource, proposal)))
    return blocks


def _timing_refusal(resource: Resource, period: DateTimeTZRange) -> str:
    try:
        services.check_not_past(period)
        services.check_lead_time(resource, period)
    except services.BookingError as refusal:
        return refusal.message
    return ""


def resource_blocks(
    resource: Resource,
    days: list[datetime.date],
    occupancy: services.Occupancy,
    opening: OpeningDays,
    hold: services.RoomHoldNotice | None,
    viewer: Viewer,
    now: datetime.datetime,
) -> list[Block]:
    """``resource``'s whole ``days`` as consecutive blocks, from its bookings, closures, hold and opening hours."""
    blocks = []
    covers = _covers(resource, days, occupancy, opening, hold, viewer)
    for start, end, shown in _painted(local_days(days[0], days[-1]), covers):
        if shown is None:
            blocks.extend(_free_blocks(resource, start, end, occupancy, opening, viewer, now))
        else:
            blocks.append(Block(shown.kind, shown.label, start, end, shown.url, shown.note, shown.period))
    return blocks


def shown_hours(days: list[datetime.date], opening: OpeningDays, round_the_clock: bool) -> list[DateTimeTZRange]:
    """The stretch of each of ``days`` a calendar shows: the whole day where a resource runs round the clock, else
    the same wall-clock hours every day, from the earliest opening to the latest closing of the days shown."""
    if round_the_clock:
        return [local_days(day, day) for day in days]
    facility = opening.facility
    opens, closes = facility.opens_at, facility.closes_at
    for day in days:
        exception = opening.exception_on(day)
        if exception is not None and not exception.closed:
            opens, closes = min(opens, exception.opens_at), max(closes, exception.closes_at)
    return [DateTimeTZRange(local_datetime(day, opens), local_datetime(day, closes)) for day in days]


def placed(blocks: list[Block], spans: list[DateTimeTZRange], unit: datetime.timedelta) -> list[list[Piece]]:
    """The pieces of ``blocks`` in each of ``spans``, sized in ``unit`` columns from the span's start.

    A block shorter than half a column where it falls shows in the text of no column; its neighbours close the gap.
    """
    rows = []
    first = 0
    for span in spans:
        while first < len(blocks) and blocks[first].end <= span.lower:
            first += 1
        row, position = [], 0
        for block in itertools.islice(blocks, first, None):
            if block.start >= span.upper:
                break
            shown_start, shown_end = max(block.start, span.lower), min(block.end, span.upper)
            end_column = round((shown_end - span.lower) / unit)
            if end_column > position:
                row.append(Piece(block, shown_start, shown_end, position, end_column - position, first_of_day=not row))
                position = end_column
        rows.append(row)
    return rows


def joined(rows: list[list[Piece]]) -> list[Piece]:
    """The rows of consecutive days as one, a block running on from one day into the next as one piece."""
    pieces: list[Piece] = []
    position = 0
    for row in rows:
        for piece in row:
            last = pieces[-1] if pieces else None
            if (
                last is not None
                and piece.first_of_day
                and last.block is piece.block
                and last.shown_end == piece.shown_start
            ):
                last.units += piece.units
                last.shown_end = piece.shown_end
            else:
                piece.offset = position
                pieces.append(piece)
            position += piece.units
    return pieces


@dataclass
class HourMark:
    """A column heading: an hour of a day, or a day of a schedule over several days."""

    label: str
    units: int
    first_of_day: bool

    @property
    def html(self) -> str:
        day = " b-day" if self.first_of_day else ""
        return f'<span role="columnheader" class="u{self.units}{day}">{html.escape(self.label)}</span>'


def headings_html(headings: list[HourMark]) -> str:
    """A row of column headings as one string: one template node, however many hours and days are shown."""
    return mark_safe("".join(heading.html for heading in headings))  # each heading escapes its label


def hour_marks(span: DateTimeTZRange, unit: datetime.timedelta) -> list[HourMark]:
    """Column headings of one day's stretch: every hour, or every third of a day shown round the clock."""
    every = 1 if span.upper - span.lower <= datetime.timedelta(hours=14) else 3
    edges = [span.lower]
    hour = _next_step(span.lower, 60)
    while hour < span.upper:
        if _local(hour).hour % every == 0 and hour > span.lower:
            edges.append(hour)
        hour += datetime.timedelta(hours=1)
    edges.append(span.upper)
    marks, position = [], 0
    for start, end in itertools.pairwise(edges):
        end_column = round((end - span.lower) / unit)
        if end_column > position:
            marks.append(HourMark(f"{_local(start):%H:%M}", end_column - position, not marks))
            position = end_column
    return marks


@dataclass(slots=True)
class ProjectCode:
    code: str


@dataclass(slots=True)
class ShownBooking:
    """What a calendar shows of a booking and what the booking rules (``services.Occupancy``) read of it: the
    project's code names a neighbour in a refusal. Read as values, not model instances: a week of a large
    facility has a thousand bookings."""

    pk: int
    period: DateTimeTZRange
    status: str
    purpose: str
    resource_id: int
    project_id: int
    project: ProjectCode
    visible: bool
    group_name: str
    booker_name: str


# What a calendar reads of each booking, built once per process: each calendar adds its resources, window and
# viewer (``visible``, read last).
_SHOWN_BOOKINGS = Booking.objects.order_by("period").values_list(
    "pk",
    "period",
    "status",
    "purpose",
    "resource_id",
    "project_id",
    "project__code",
    "project__group__name",
    "booked_by__first_name",
    "booked_by__last_name",
    "booked_by__username",
)


def _bookings_in(resources, window: DateTimeTZRange, user) -> list[ShownBooking]:
    """Live bookings of ``resources`` in ``window``, each marked ``visible`` to ``user`` or not, with its group's
    and booker's names; one query."""
    resource_ids = [resource.pk for resource in resources]
    rows = _SHOWN_BOOKINGS.of_resources_overlapping(resource_ids, window).with_visibility(user)
    return [
        ShownBooking(
            pk,
            period,
            status,
            purpose,
            resource_id,
            project_id,
            ProjectCode(code),
            visible,
            group_name,
            full_name_of(first_name, last_name, username),
        )
        for (
            pk, period, status, purpose, resource_id, project_id, code, group_name, first_name, last_name, username,
            visible,
        ) in rows
    ]  # fmt: skip


def shown_resource(slug: str) -> Resource | None:
    """The resource of ``slug`` with its facility and its room (None without one), as its week shows it; one query."""
    found = sql.instances(Resource, _resource_with_facility_and_room(), [slug], related=("facility", "room"))
    return found[0] if found else None


def facility_resources(facility: Facility) -> list[Resource]:
    """The facility's active resources by kind and name, each with its room, as its schedule shows them; one query."""
    resources = sql.instances(Resource, _active_resources_of_facility(), [facility.pk], related=("room",))
    for resource in resources:
        resource.facility = facility  # as ``facility.resources`` gives them
    return resources


# A calendar's resources and closures, read on every view: written out once per process (``atmp_portal.sql``).


@functools.cache
def _resource_with_facility_and_room() -> str:
    resources, facilities = Resource._meta.db_table, Facility._meta.db_table
    return (
        f"SELECT {sql.columns(Resource, 'r')}, {sql.columns(Facility, 'f')}, {sql.columns(Resource, 'room')} "
        f"FROM {resources} r JOIN {facilities} f ON f.id = r.facility_id "
        f"LEFT JOIN {resources} room ON room.id = r.room_id WHERE r.slug = %s"
    )


@functools.cache
def _active_resources_of_facility() -> str:
    resources = Resource._meta.db_table
    return (
        f"SELECT {sql.columns(Resource, 'r')}, {sql.columns(Resource, 'room')} FROM {resources} r "
        f"LEFT JOIN {resources} room ON room.id = r.room_id WHERE r.facility_id = %s AND r.active "
        "ORDER BY r.kind, r.name"
    )


def _closures_in(facility: Facility, window: DateTimeTZRange) -> list[Closure]:
    return sql.instances(Closure, _facility_closures_overlapping(), [facility.pk, window])


@functools.cache
def _facility_closures_overlapping() -> str:
    # ``Closure.objects.filter(facility=…).overlapping(…)`` written out, in its order.
    return (
        f"SELECT {sql.columns(Closure, 'c')} FROM {Closure._meta.db_table} c "
        "WHERE c.facility_id = %s AND c.period && %s ORDER BY c.period DESC"
    )


def _window(first_day: datetime.date, days: int, resources) -> DateTimeTZRange:
    """The shown days and the longest changeover of ``resources`` either side: a booking just outside the days
    shown may bring its changeover into them."""
    whole_days = local_days(first_day, first_day + datetime.timedelta(days=days - 1))
    return widened(whole_days, max((changeover_of(resource) for resource in resources), default=datetime.timedelta()))


@dataclass
class Lane:
    """One resource's row of the schedule."""

    resource: Resource
    pieces: list[Piece]
    snap: int

    @property
    def html(self) -> str:
        return row_html(self.pieces)


def facility_schedule(
    facility: Facility, resources: list[Resource], first_day: datetime.date, days: int, viewer: Viewer
) -> dict:
    """Each of ``resources`` (the facility's, their rooms loaded) as one row of blocks over ``days`` days.

    Four queries whatever the number of resources and bookings: exception days, bookings, closures, holds.
    """
    shown_days = [first_day + datetime.timedelta(days=n) for n in range(days)]
    opening = OpeningDays.load(facility, shown_days[0], shown_days[-1])
    window = _window(first_day, days, resources)
    bookings = _bookings_in(resources, window, viewer.user)
    closures = _closures_in(facility, window)
    rooms = {
        resource.containing_room.pk: resource.containing_room for resource in resources if resource.containing_room
    }
    holds = services.holds_of(list(rooms.values()))
    spans = shown_hours(shown_days, opening, any(resource.round_the_clock for resource in resources))
    unit = DAY_UNIT if days == 1 else WEEK_UNIT
    now = timezone.now()
    bookings_of: dict[int, list[ShownBooking]] = {}
    for booking in bookings:
        bookings_of.setdefault(booking.resource_id, []).append(booking)
    lanes = []
    for resource in resources:
        room = resource.containing_room
        occupancy = services.Occupancy(resource, closures, bookings_of.get(resource.pk, []))
        blocks = resource_blocks(
            resource, shown_days, occupancy, opening, holds.get(room.pk if room else None), viewer, now
        )
        lanes.append(Lane(resource, joined(placed(blocks, spans, unit)), snap_minutes(resource)))
    marks_of_days = [hour_marks(span, unit) for span in spans]
    day_headings = [
        HourMark(formats.date_format(day, "DAY_FORMAT"), sum(mark.units for mark in marks), first_of_day=True)
        for day, marks in zip(shown_days, marks_of_days, strict=True)
    ]
    step = datetime.timedelta(days=days)
    return {
        "day": first_day,
        "days": days,
        "last_day": shown_days[-1],
        "day_headings": headings_html(day_headings) if days > 1 else "",
        "hour_headings": headings_html([mark for marks in marks_of_days for mark in marks]),
        "lanes": lanes,
        "legend": legend_items(),
        "closed_reason": opening.closed_reason(first_day),
        "previous_day": first_day - step,
        "next_day": first_day + step,
        "today": timezone.localdate(),
        "project_query": viewer.project_query,
    }


@dataclass
class DayRow:
    """One day of a resource's week."""

    day: datetime.date
    pieces: list[Piece]

    @property
    def html(self) -> str:
        return row_html(self.pieces)

    @property
    def agenda_html(self) -> str:
        return mark_safe("".join(piece.item_html for piece in self.pieces))  # each piece escapes its values


def week_schedule(resource: Resource, monday: datetime.date, viewer: Viewer) -> dict:
    """The resource's week as one row of blocks per day; a booking running over midnight shows in each day's row."""
    facility = resource.facility
    days = [monday + datetime.timedelta(days=n) for n in range(7)]
    opening = OpeningDays.load(facility, days[0], days[-1])
    window = _window(monday, 7, [resource])
    occupancy = services.Occupancy(
        resource, _closures_in(facility, window), _bookings_in([resource], window, viewer.user)
    )
    room = resource.containing_room
    hold = services.holds_of([room]).get(room.pk) if room else None
    spans = shown_hours(days, opening, resource.round_the_clock)
    blocks = resource_blocks(resource, days, occupancy, opening, hold, viewer, timezone.now())
    rows = [DayRow(day, pieces) for day, pieces in zip(days, placed(blocks, spans, DAY_UNIT), strict=True)]
    # Column headings from the longest day: a day of a daylight-saving change has one hour more or less.
    longest = max(spans, key=lambda span: span.upper - span.lower)
    return {
        "rows": rows,
        "hour_headings": headings_html(hour_marks(longest, DAY_UNIT)),
        "legend": legend_items(),
        "snap": snap_minutes(resource),
        "week": iso_week(monday),
        "previous_week": iso_week(monday - datetime.timedelta(days=7)),
        "next_week": iso_week(monday + datetime.timedelta(days=7)),
        "this_week": iso_week(timezone.localdate()),
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
    bookings = list(
        Booking.objects.of_resources_overlapping([resource.pk], local_days(first, first.replace(day=last_day)))
    )
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
