"""Usage reports: open, closed and booked hours per resource, hours and cost per group and project.

Booked hours are summed in SQL: each approved booking's range is intersected with the report period
(``period * tstzrange(start, end)``), so a booking that crosses the period's edge counts only its part inside.
Every hour is elapsed time (computed in UTC), so a period with a daylight-saving change has its 23- or
25-hour day, while opening hours follow the local wall clock (07:00-19:00 is 12 h on every day).
"""

import datetime
import functools
import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connection, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import Case, Count, DecimalField, Exists, F, Func, OuterRef, Subquery, Sum, Value, When
from django.db.models.functions import Greatest, Least
from django.utils import formats
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from atmp_portal import roles, sql
from atmp_portal.charts import bar_chart
from logbook.models import UseKind, UseRecord
from projects.models import BillingCategory, ResearchGroup, billed_externally

from . import usage_totals
from .models import (
    Booking,
    BookingStatus,
    Closure,
    Facility,
    OpeningException,
    Resource,
    ResourceKind,
    UsageTotals,
)
from .opening import OpeningDays, bookable_hours
from .periods import closure_covers, local_days

HOUR = Decimal(3600)
HOURS = Decimal("0.01")
PERCENT = Decimal("0.1")
MONEY = Decimal("0.01")

Interval = tuple[datetime.datetime, datetime.datetime]


@dataclass(frozen=True)
class ReportPeriod:
    """Whole local days from ``first_day`` to ``last_day`` (inclusive)."""

    first_day: datetime.date
    last_day: datetime.date
    label: str

    @classmethod
    def month(cls, year: int, month: int) -> "ReportPeriod":
        first = datetime.date(year, month, 1)
        following = datetime.date(year + month // 12, month % 12 + 1, 1)
        return cls(first, following - datetime.timedelta(days=1), formats.date_format(first, "YEAR_MONTH_FORMAT"))

    @classmethod
    def quarter(cls, year: int, quarter: int) -> "ReportPeriod":
        first_month = 3 * quarter - 2
        return cls(
            datetime.date(year, first_month, 1),
            cls.month(year, first_month + 2).last_day,
            _("Q%(quarter)s %(year)s") % {"quarter": quarter, "year": year},
        )

    @classmethod
    def year(cls, year: int) -> "ReportPeriod":
        return cls(datetime.date(year, 1, 1), datetime.date(year, 12, 31), str(year))

    @classmethod
    def days(cls, first_day: datetime.date, last_day: datetime.date) -> "ReportPeriod":
        label = _("%(first)s to %(last)s") % {"first": f"{first_day:%Y-%m-%d}", "last": f"{last_day:%Y-%m-%d}"}
        return cls(first_day, last_day, label)

    @classmethod
    def week_of(cls, day: datetime.date) -> "ReportPeriod":
        monday = day - datetime.timedelta(days=day.weekday())
        sunday = monday + datetime.timedelta(days=6)
        return cls(monday, sunday, _("week %(week)s of %(year)s") % {"week": day.isocalendar().week, "year": day.year})

    @property
    def window(self) -> DateTimeTZRange:
        return local_days(self.first_day, self.last_day)

    @property
    def whole_months(self) -> bool:
        """From the first of a month to the last day of a month: a month, a quarter or a year."""
        return self.first_day.day == 1 and (self.last_day + datetime.timedelta(days=1)).day == 1

    @property
    def start(self) -> datetime.datetime:
        return self.window.lower

    @property
    def end(self) -> datetime.datetime:
        return self.window.upper

    @property
    def hours(self) -> Decimal:
        return elapsed_hours(self.start, self.end)

    def each_day(self) -> Iterable[datetime.date]:
        for offset in range((self.last_day - self.first_day).days + 1):
            yield self.first_day + datetime.timedelta(days=offset)


def elapsed_hours(start: datetime.datetime, end: datetime.datetime) -> Decimal:
    # Subtracting two datetimes of one zone gives wall-clock time; timestamps give the real elapsed time.
    return (Decimal(end.timestamp() - start.timestamp()) / HOUR).quantize(HOURS)


def opening_intervals(resource: Resource, period: ReportPeriod, opening: OpeningDays) -> list[Interval]:
    """The resource's bookable hours on each day of the period, from local wall-clock times: its facility's
    opening hours of the days it opens, or the whole day for a resource that runs around the clock."""
    return [
        (hours.lower, hours.upper)
        for hours in (bookable_hours(resource, day, opening) for day in period.each_day())
        if hours is not None
    ]


def _merged(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _overlap_hours(first: list[Interval], second: list[Interval]) -> Decimal:
    """Hours covered by both lists of intervals; each list sorted and without overlaps of its own."""
    seconds = 0.0
    for start, end in first:
        for other_start, other_end in second:
            overlap_start, overlap_end = max(start, other_start), min(end, other_end)
            if overlap_start < overlap_end:
                seconds += overlap_end.timestamp() - overlap_start.timestamp()
    return (Decimal(seconds) / HOUR).quantize(HOURS)


def _booked_seconds(period: ReportPeriod):
    """SQL: the seconds of an approved booking that lie inside the period, summed.

    The time inside is summed as an interval and turned into seconds once per row of the result: cheaper than
    a range intersection and a number per booking, which weighed most on the whole centre's month.
    """
    inside = Least(F("period__endswith"), Value(period.end)) - Greatest(F("period__startswith"), Value(period.start))
    return Func(Sum(inside), template="EXTRACT(EPOCH FROM %(expressions)s)", output_field=DecimalField())


def _approved_bookings_in(period: ReportPeriod, user, resource_ids: Iterable[int] | None = None):
    """Approved bookings ``user`` may see that overlap the period: of every resource, or only of ``resource_ids``.

    A few resources are looked up by resource and period at once on the GiST index; the whole centre
    reads the period's bookings, which is quicker than looking up each resource.
    """
    visible = Booking.objects.visible_to(user)
    if resource_ids is None:
        bookings = visible.filter(period__overlap=period.window)
    else:
        bookings = visible.of_resources_overlapping(resource_ids, period.window)
    return bookings.filter(status=BookingStatus.APPROVED).order_by()


def _hours(seconds) -> Decimal:
    # Rounded as PostgreSQL's round() does, so that the totals summed in SQL agree with the lines.
    return (Decimal(seconds or 0) / HOUR).quantize(HOURS, ROUND_HALF_UP)


def _at(kind: str) -> Subquery:
    return Subquery(UseRecord.objects.filter(booking=OuterRef("pk"), kind=kind).values("at")[:1])


def _used_seconds():
    """SQL: the seconds from each booking's check-in to its check-out, summed (the room logbook records them).

    A booking still checked in counts nothing yet.
    """
    elapsed = Func(
        _at(UseKind.CHECK_OUT),
        _at(UseKind.CHECK_IN),
        template="EXTRACT(EPOCH FROM (%(expressions)s))",
        arg_joiner=" - ",
    )
    return Sum(elapsed, output_field=DecimalField())


def _no_shows():
    """SQL: how many of the bookings were not checked in (marked no-shows)."""
    return Count("pk", filter=Exists(UseRecord.objects.filter(booking=OuterRef("pk"), kind=UseKind.NO_SHOW)))


@dataclass(frozen=True)
class ActualUse:
    """What the room logbook recorded: hours from check-in to check-out, and bookings not used."""

    used_hours: Decimal = Decimal(0)
    no_shows: int = 0

    @classmethod
    def of(cls, used_seconds, no_shows: int) -> "ActualUse":
        return cls(_hours(used_seconds), no_shows)

    def __add__(self, other: "ActualUse") -> "ActualUse":
        return ActualUse(self.used_hours + other.used_hours, self.no_shows + other.no_shows)


@dataclass
class ResourceUsage:
    resource: Resource
    open_hours: Decimal
    closed_hours: Decimal
    booked_hours: Decimal
    use: ActualUse = ActualUse()

    @property
    def available_hours(self) -> Decimal:
        return self.open_hours - self.closed_hours

    @property
    def utilisation(self) -> Decimal | None:
        """Booked share of the open hours not closed, in per cent; None when nothing was available."""
        if self.available_hours <= 0:
            return None
        return (100 * self.booked_hours / self.available_hours).quantize(PERCENT)

    @property
    def row_html(self) -> str:
        """The row of includes/resource_usage_table.html, written here: a page of rows would otherwise take the
        template a dozen nodes each."""
        number = numbers()
        resource = self.resource
        return format_html(
            '<tr><th scope="row"><a href="{}">{}</a> <span class="text-body-secondary small">· {}</span></th>'
            '<td class="text-end">{}</td><td class="text-end">{}</td><td class="text-end">{}</td>'
            '<td class="text-end">{}</td><td class="text-end">{}</td><td class="text-end">{}</td></tr>\n',
            resource.get_absolute_url(),
            resource.name,
            resource.facility.name,
            number(self.open_hours),
            number(self.closed_hours),
            number(self.booked_hours),
            _("no open hours") if self.utilisation is None else formats.localize(self.utilisation),
            number(self.use.used_hours),
            formats.localize(self.use.no_shows),
        )


def busiest_rooms_usage(period: ReportPeriod, count: int, *, user) -> list[ResourceUsage]:
    """The usage of the ``count`` active rooms with the most approved hours booked in the period, filled up by
    name, in the report's order; as facility staff see it (every booking counts); four queries.

    The rooms are ranked and read in one query, written out once per process (``atmp_portal.sql``): it runs on
    every dashboard of facility staff, and through the ORM its ranking costs more to build than to answer.
    """
    window = period.window
    params = {
        "start": window.lower,
        "end": window.upper,
        "window": window,
        "approved": BookingStatus.APPROVED,
        "room": ResourceKind.ROOM,
        "count": count,
    }
    rooms = sql.instances(Resource, _busiest_rooms_sql(), params, related=("facility",))
    return _usage_of(rooms, period, user=user, chosen=True)


@functools.cache
def _busiest_rooms_sql() -> str:
    booking, resources, facilities = Booking._meta.db_table, Resource._meta.db_table, Facility._meta.db_table
    return (
        # The period's approved bookings summed once per resource, as _booked_seconds sums them; the rooms among
        # them are picked below, which costs less than joining each booking to its resource to leave out the
        # equipment first.
        "WITH booked AS ("
        "SELECT b.resource_id, SUM(LEAST(upper(b.period), %(end)s) - GREATEST(lower(b.period), %(start)s)) AS time "
        f"FROM {booking} b WHERE b.period && %(window)s AND b.status = %(approved)s GROUP BY b.resource_id), "
        # The busiest first, filled up by name with rooms booked for nothing.
        f"chosen AS (SELECT room.id FROM {resources} room LEFT JOIN booked ON booked.resource_id = room.id "
        "WHERE room.active AND room.kind = %(room)s ORDER BY booked.time DESC NULLS LAST, room.name LIMIT %(count)s) "
        f"SELECT {sql.columns(Resource, 'r')}, {sql.columns(Facility, 'f')} "
        f"FROM {resources} r JOIN {facilities} f ON f.id = r.facility_id WHERE r.id IN (SELECT id FROM chosen) "
        "ORDER BY f.name, r.kind, r.name"
    )


def _in_report_order(resources) -> list[Resource]:
    return list(resources.select_related("facility").order_by("facility__name", "kind", "name"))


def resource_usage(period: ReportPeriod, resources=None, *, user) -> list[ResourceUsage]:
    """Per resource: open hours, closure hours within them, approved booked hours and actual use; four queries.

    ``resources`` None: every active resource of the centre.

    Closure hours count only inside opening hours (a weekend closure takes nothing away from bookable
    time); overlapping closures count once, and a closed room closes the equipment standing in it.
    """
    chosen = resources is not None
    return _usage_of(
        _in_report_order(resources if chosen else Resource.objects.active()), period, user=user, chosen=chosen
    )


def _usage_of(resources: list[Resource], period: ReportPeriod, *, user, chosen: bool) -> list[ResourceUsage]:
    """The usage of ``resources`` (with their facilities); three queries. ``chosen`` False: they are every active
    resource, whose bookings are read by period alone."""
    booked = {
        resource_id: (seconds, ActualUse.of(used, no_shows))
        for resource_id, seconds, used, no_shows in _approved_bookings_in(
            period, user, [resource.pk for resource in resources] if chosen else None
        )
        .values_list("resource_id")
        .annotate(seconds=_booked_seconds(period), used=_used_seconds(), no_shows=_no_shows())
    }
    # Only the closures of the resources' facilities: a report on one facility need not read the centre's.
    closures = list(
        Closure.objects.overlapping(period.window)
        .filter(facility_id__in={resource.facility_id for resource in resources})
        .only("facility_id", "resource_id", "period")
    )
    facilities = {resource.facility_id: resource.facility for resource in resources}
    exceptions = list(
        OpeningException.objects.filter(facility_id__in=facilities).touching(period.first_day, period.last_day)
    )
    openings = {
        pk: OpeningDays(facility, [e for e in exceptions if e.facility_id == pk]) for pk, facility in facilities.items()
    }
    # Bookable hours follow from the facility and whether the resource runs around the clock: the resources
    # sharing both share them, reckoned once.
    opening_by_kind: dict[tuple[int, bool], tuple[list[Interval], Decimal]] = {}
    usage = []
    for resource in resources:
        seconds, use = booked.get(resource.pk, (0, ActualUse()))
        kind = (resource.facility_id, resource.round_the_clock)
        if kind not in opening_by_kind:
            opening = opening_intervals(resource, period, openings[resource.facility_id])
            opening_by_kind[kind] = opening, sum((elapsed_hours(start, end) for start, end in opening), Decimal(0))
        opening, open_hours = opening_by_kind[kind]
        closed = _merged(
            # An unbounded closure end (none today, but the column allows it) is cut at the period's edge.
            (closure.period.lower or period.start, closure.period.upper or period.end)
            for closure in closures
            if closure_covers(closure, resource)
        )
        usage.append(
            ResourceUsage(
                resource=resource,
                open_hours=open_hours,
                closed_hours=_overlap_hours(opening, closed),
                booked_hours=_hours(seconds),
                use=use,
            )
        )
    return usage


class ProjectName(NamedTuple):
    """A project as a line of the report names it."""

    code: str
    title: str


@dataclass
class BillingLine:
    """The hours one project used one resource, and their cost at the group's rate."""

    group: ResearchGroup
    project: ProjectName
    resource: Resource
    hours: Decimal

    # Read by the line's row, its group's totals and the files: reckoned once.
    @functools.cached_property
    def rate(self) -> Decimal:
        return self.resource.hourly_rate(self.group.billed_as)

    @functools.cached_property
    def cost(self) -> Decimal:
        return (self.hours * self.rate).quantize(MONEY, ROUND_HALF_UP)


@dataclass
class GroupUsage:
    group: ResearchGroup
    lines: list[BillingLine] = field(default_factory=list)
    use: ActualUse = ActualUse()

    @property
    def billing_category_label(self) -> str:
        return BillingCategory(self.group.billed_as).label

    # Read by the group's row, its chart bar and the files, once its lines are all in: reckoned once.
    @functools.cached_property
    def hours(self) -> Decimal:
        return sum((line.hours for line in self.lines), Decimal(0))

    @functools.cached_property
    def cost(self) -> Decimal:
        return sum((line.cost for line in self.lines), Decimal(0))

    @property
    def rows_html(self) -> str:
        """The group's row and the rows of its lines below it, written here: a template would render a dozen nodes
        per line, and a page of groups at a large centre holds hundreds of lines (so the texts are escaped directly
        by the standard library, as Django's escape does, without format_html's wrapping of each value)."""
        number = numbers()
        group = self.group
        use = _("used %(hours)s h, %(no_shows)s no-shows") % {
            "hours": number(self.use.used_hours),
            "no_shows": formats.localize(self.use.no_shows),
        }
        cost_centre = f"{_('cost centre')} {group.cost_centre or _('none given')}"
        header = (
            '<tr class="table-light"><th scope="rowgroup" colspan="2">'
            f'<a href="{html.escape(group.get_absolute_url())}">{html.escape(group.name)}</a> · '
            f"{html.escape(cost_centre)} · {html.escape(self.billing_category_label)} · {html.escape(use)}</th>"
            f'<td class="text-end fw-bold">{number(self.hours)}</td><td></td>'
            f'<td class="text-end fw-bold">{number(self.cost)}</td></tr>\n'
        )
        # A project has a line per resource it used, and a resource a line per project: each named once.
        projects = {
            project: f"{html.escape(project.code)} · {html.escape(project.title)}"
            for project in {line.project for line in self.lines}
        }
        resources = {resource.pk: html.escape(resource.name) for resource in {line.resource for line in self.lines}}
        lines = (
            f'<tr><th scope="row" class="fw-normal">{projects[line.project]}</th>'
            f"<td>{resources[line.resource.pk]}</td>"
            f'<td class="text-end">{number(line.hours)}</td>'
            f'<td class="text-end">{number(line.rate)}</td><td class="text-end">{number(line.cost)}</td></tr>\n'
            for line in self.lines
        )
        # The texts are escaped; the numbers are digits and the language's separators.
        return mark_safe(header + "".join(lines))


def numbers() -> Callable[[Decimal], str]:
    """A function writing a number as the templates' floatformat:"2g" does in the active language (two decimals,
    grouped) for the report's values, which have two decimals at most. Django's general number_format costs
    more than the rest of a page of lines; this looks the language's separators up once."""
    if formats.get_format("NUMBER_GROUPING") != 3:
        return lambda value: formats.number_format(value, 2, force_grouping=True)
    separators = str.maketrans(
        {",": formats.get_format("THOUSAND_SEPARATOR"), ".": formats.get_format("DECIMAL_SEPARATOR")}
    )
    return lambda value: f"{value:,.2f}".translate(separators)


def _facility_resources(facility: Facility | None) -> dict[int, Resource] | None:
    """The resources of the facility by id, with the facility, billed whether still active or not; None for the
    whole centre. A facility's resources are few: read at once, they serve both its resources and its lines."""
    if facility is None:
        return None
    return {
        resource.pk: resource for resource in facility.resources.select_related("facility").order_by("kind", "name")
    }


def _group_usage_of(bookings, period: ReportPeriod, resources: dict[int, Resource] | None = None) -> list[GroupUsage]:
    """Approved hours of ``bookings`` per group, project and resource with their cost; three queries, two when
    ``resources`` holds every resource booked."""
    # The lines name a project by its code and title, read with them (the lines join the projects for their
    # group): the project's long texts would only weigh on a large report.
    rows = list(
        bookings.values_list(
            "project__group_id", "project_id", "project__code", "project__title", "resource_id"
        ).annotate(seconds=_booked_seconds(period), used=_used_seconds(), no_shows=_no_shows())
    )
    groups = ResearchGroup.objects.in_bulk({row[0] for row in rows})
    if resources is None:  # as the lines name and bill them: a page of groups bills most of a centre's resources
        billed = Resource.objects.only("name", "slug", "internal_hourly_rate", "external_hourly_rate")
        resources = billed.in_bulk({row[4] for row in rows})
    usage = {group_id: GroupUsage(group) for group_id, group in groups.items()}
    # The use of each line rounded, then summed per group: added up as numbers, a page holds hundreds of lines.
    used_hours, no_show_count = dict.fromkeys(groups, Decimal(0)), dict.fromkeys(groups, 0)
    for group_id, _project_id, code, title, resource_id, seconds, used, no_shows in rows:
        usage[group_id].lines.append(
            BillingLine(groups[group_id], ProjectName(code, title), resources[resource_id], _hours(seconds))
        )
        used_hours[group_id] += _hours(used)
        no_show_count[group_id] += no_shows
    for group_id, group_row in usage.items():
        group_row.lines.sort(key=lambda line: (line.project.code, line.resource.name))
        group_row.use = ActualUse(used_hours[group_id], no_show_count[group_id])
    return sorted(usage.values(), key=lambda group_row: group_row.group.name)


@dataclass
class UsageReport:
    period: ReportPeriod
    resources: list[ResourceUsage]
    groups: list[GroupUsage]
    facility: Facility | None = None  # None: the whole centre

    @property
    def booked_hours(self) -> Decimal:
        return sum((row.booked_hours for row in self.resources), Decimal(0))

    @property
    def cost(self) -> Decimal:
        return sum((row.cost for row in self.groups), Decimal(0))


def usage_report(period: ReportPeriod, facility: Facility | None = None, *, user) -> UsageReport:
    """The report on the whole centre, or on the resources of one facility, from the bookings ``user`` may see."""
    facility_resources = _facility_resources(facility)
    if facility_resources is None:
        resources = resource_usage(period, user=user)
    else:
        active = [resource for resource in facility_resources.values() if resource.active]
        resources = _usage_of(active, period, user=user, chosen=True)
    bookings = _approved_bookings_in(period, user, facility_resources)
    return UsageReport(period, resources, _group_usage_of(bookings, period, facility_resources), facility)


@dataclass
class UsageReportPage:
    """The usage report as the page shows it: a page of resources and a page of groups, built alone, with the
    report's totals summed in SQL; the files (``usage_report``) hold every line."""

    period: ReportPeriod
    resources: Page
    groups: Page
    booked_hours: Decimal
    cost: Decimal
    facility: Facility | None = None


def usage_report_page(
    period: ReportPeriod, facility: Facility | None = None, *, user, per_page: int, resource_page, group_page
) -> UsageReportPage:
    """One page of the report's resources and one of its groups (by name), with the report's totals.

    A fixed number of queries at any size of centre. Only the totals read every booking of the period, once and
    in SQL; the lines and the actual use are built for the page's resources and groups alone.
    """
    facility_resources = _facility_resources(facility)
    if facility_resources is None:
        resources = Resource.objects.active().select_related("facility").order_by("facility__name", "kind", "name")
    else:
        resources = [resource for resource in facility_resources.values() if resource.active]
    resource_rows = Paginator(resources, per_page).get_page(resource_page)
    resource_rows.object_list = _usage_of(list(resource_rows.object_list), period, user=user, chosen=True)
    bookings = _approved_bookings_in(period, user, facility_resources)
    # Facility staff see every booking, so their totals are everyone's: kept for periods of whole months, which
    # are few and asked for again and again (other periods would fill the table with one-off totals).
    if roles.is_facility_staff(user) and period.whole_months:
        group_ids, booked_hours, cost = _kept_totals(bookings, period, facility)
    else:
        group_ids, booked_hours, cost = _totals(bookings, period)
    group_rows = Paginator(group_ids, per_page).get_page(group_page)
    group_rows.object_list = _group_usage_of(
        bookings.filter(project__group_id__in=list(group_rows.object_list)), period, facility_resources
    )
    return UsageReportPage(period, resource_rows, group_rows, booked_hours, cost, facility)


# The totals of the lines (group, project, resource) of ``_totals``, reckoned as ``ResourceUsage`` and
# ``BillingLine`` do: booked hours per active resource rounded, then summed; each line's hours rounded, times
# the group's rate, rounded, then summed. With the groups' ids by name, for the page of groups.
TOTALS_SQL = """
WITH line (group_id, project_id, resource_id, seconds, rate, active) AS MATERIALIZED ({lines})
SELECT
    (SELECT COALESCE(array_agg(id ORDER BY name, id), '{{}}') FROM {groups} WHERE id IN (SELECT group_id FROM line)),
    (SELECT COALESCE(SUM(hours), 0)
     FROM (SELECT ROUND(SUM(seconds) / 3600, 2) AS hours FROM line WHERE active GROUP BY resource_id) AS per_resource),
    (SELECT COALESCE(SUM(ROUND(ROUND(seconds / 3600, 2) * rate, 2)), 0) FROM line)
"""


def _kept_totals(bookings, period: ReportPeriod, facility: Facility | None) -> tuple[list[int], Decimal, Decimal]:
    """``_totals`` of every approved booking of the period (``bookings``) at the centre or at ``facility``, as kept
    in ``UsageTotals``; one query, or three when they are summed again and kept.

    The totals are kept only while no change that could delete them is under way (its trigger holds the lock
    shared), and summed after the lock is held: they include every change committed before, and a change
    made after waits for them to be kept and then deletes them.
    """
    key = {"first_day": period.first_day, "last_day": period.last_day, "facility": facility}
    totals = UsageTotals.objects.filter(**key).values_list("group_ids", "booked_hours", "cost").first()
    if totals is not None:
        return totals
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT pg_try_advisory_xact_lock({usage_totals.LOCK})")
        (locked,) = cursor.fetchone()
        group_ids, booked_hours, cost = _totals(bookings, period)
        if locked:  # another report may have kept them since
            kept = UsageTotals(**key, window=period.window, group_ids=group_ids, booked_hours=booked_hours, cost=cost)
            UsageTotals.objects.bulk_create([kept], ignore_conflicts=True)
    return group_ids, booked_hours, cost


def _totals(bookings, period: ReportPeriod) -> tuple[list[int], Decimal, Decimal]:
    """The groups of ``bookings`` by name, their booked hours on active resources and their cost; one query."""
    rate = Case(
        When(billed_externally("project__group__"), then=F("resource__external_hourly_rate")),
        default=F("resource__internal_hourly_rate"),
    )
    lines = bookings.values_list("project__group_id", "project_id", "resource_id").annotate(
        seconds=_booked_seconds(period), rate=rate, active=F("resource__active")
    )
    try:
        sql, params = lines.query.sql_with_params()
    except EmptyResultSet:  # no resources to read bookings of: a facility without any
        return [], Decimal(0), Decimal(0)
    with connection.cursor() as cursor:
        cursor.execute(TOTALS_SQL.format(lines=sql, groups=ResearchGroup._meta.db_table), params)
        group_ids, booked_hours, cost = cursor.fetchone()
    return group_ids, booked_hours, cost


def usage_charts(report: UsageReport | UsageReportPage, groups: Iterable[GroupUsage]) -> dict:
    """Utilisation per resource (on a 0-100 % scale) and booked hours of ``groups``, for includes/bar_chart.html."""
    utilisation = bar_chart(
        "utilisation-chart",
        _("Utilisation per resource, %(period)s") % {"period": report.period.label},
        (
            (
                row.resource.name,
                row.utilisation or 0,
                f"{formats.number_format(row.utilisation, 1)} %" if row.utilisation is not None else _("no open hours"),
            )
            for row in report.resources
        ),
        scale_max=100,
    )
    number = numbers()
    hours = bar_chart(
        "group-hours-chart",
        _("Booked hours per research group, %(period)s") % {"period": report.period.label},
        ((row.group.name, row.hours, f"{number(row.hours)} h") for row in groups),
    )
    return {"utilisation": utilisation, "group_hours": hours}
