"""What the dashboard shows, one function per role section; each runs a fixed number of queries.

Lists are read as values of the columns they show, limited before their joins, and handed to the templates as
rows with their links made: a line of a list is a few template variables, however many rows the centre has.
"""

import datetime
import functools
from dataclasses import dataclass

from django.db import connection
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from atmp_portal.links import link_pattern
from atmp_portal.widgets import escaped
from facilities import permissions as facility_permissions
from facilities import reports
from facilities.models import (
    ACTIVE_STATUSES,
    EXPIRY_WARNING_DAYS,
    Booking,
    BookingStatus,
    Closure,
    ClosureReason,
    Qualification,
    Resource,
    status_badge,
)
from facilities.periods import local_days
from logbook.records import sporicide_overdue_rooms
from logbook.services import resources_in_rooms_on_hold
from projects import permissions as project_permissions
from projects.models import AtmpProject, ProjectStatus, ResearchGroup

SHORT_LIST = 5
LONG_LIST = 20


@dataclass(frozen=True)
class BookingLine:
    """A booking as one line of a dashboard list, with the page it links to."""

    url: str
    start: datetime.datetime
    end: datetime.datetime
    resource: str
    project: str
    group: str
    status_label: str
    status_badge: str

    @property
    def today_html(self) -> str:
        """The line of today's list, written here: the template would take eight nodes a line of a long list."""
        start = formats.time_format(timezone.localtime(self.start), "TIME_FORMAT")
        end = formats.time_format(timezone.localtime(self.end), "TIME_FORMAT")
        return mark_safe(  # every value escaped
            f'<li class="list-group-item"><a href="{escaped(self.url)}">{escaped(start)}\u2013{escaped(end)} · '
            f"{escaped(self.resource)}</a> · {escaped(self.project)} "
            f'<span class="badge {escaped(self.status_badge)}">{escaped(self.status_label)}</span></li>'
        )


def sections_for(user) -> dict:
    """The sections ``user`` sees, by name: their own work, and the queues of their staff roles."""
    staff = facility_permissions.can_manage_facility(user)
    reviewer = project_permissions.can_review_project(user)
    bookings = booking_lists(user, staff=staff)
    sections = {"researcher": researcher_section(user, has_staff_role=staff or reviewer, bookings=bookings)}
    if staff:
        sections["facility"] = facility_section(user, bookings)
    if reviewer:
        sections["reviewer"] = reviewer_section(user)
    return sections


@dataclass(frozen=True)
class BookingLists:
    """Every list of bookings the dashboard shows, read together; the staff's lists are empty for others."""

    next_bookings: list[BookingLine]
    my_on_hold: list[BookingLine]
    requests_waiting: int
    first_requests: list[BookingLine]
    todays_bookings: list[BookingLine]
    on_hold: list[BookingLine]


_LISTS = ("next_bookings", "my_on_hold", "first_requests", "todays_bookings", "on_hold")
_HELD_LISTS = ("my_on_hold", "on_hold")


def booking_lists(user, *, staff: bool) -> BookingLists:
    """The user's next bookings and those they made in rooms on hold; for facility staff, who see every booking,
    also the requests waiting with their number, today's bookings and every booking in a room on hold; one query.

    A booking in a room on hold (or of the equipment in it) links to its check-in, which says why the room is held;
    the others to their page.
    """
    today = timezone.localdate()
    params = {
        "user": user.pk,
        "staff": staff,
        "now": timezone.now(),
        "today": local_days(today, today),
        "live": list(ACTIVE_STATUSES),
        "requested": BookingStatus.REQUESTED,
        "short": SHORT_LIST,
        "long": LONG_LIST,
    }
    with connection.cursor() as cursor:
        cursor.execute(_booking_lists_sql(), params)
        rows = cursor.fetchall()
    booking_page, check_in = link_pattern("facilities:booking_detail"), link_pattern("logbook:check_in")
    lists: dict[str, list[BookingLine]] = {name: [] for name in _LISTS}
    requests_waiting = 0
    for name, pk, period, status, resource, project, group, number in rows:
        url = (check_in if name in _HELD_LISTS else booking_page).format(pk)
        status_label = BookingStatus(status).label
        lists[name].append(
            BookingLine(url, period.lower, period.upper, resource, project, group, status_label, status_badge(status))
        )
        requests_waiting = number or requests_waiting
    return BookingLists(requests_waiting=requests_waiting, **lists)


@functools.cache
def _booking_lists_sql() -> str:
    """The query of ``booking_lists``, written out once per process (``atmp_portal.sql``): it runs on every
    dashboard, and through the ORM its five lists cost several times what PostgreSQL takes to answer them.

    Each list takes its first bookings by period (then id, so that bookings starting together keep their order)
    before the joins, as ``BookingQuerySet.first_with_details`` does; the staff's lists are left out by the planner for
    others. The number of requests is a subquery on their lines: where there is no line, there are none.
    """
    booking, entrants = Booking._meta.db_table, Booking.entrants.through._meta.db_table
    live, upcoming = "b.status = ANY(%(live)s)", "upper(b.period) > %(now)s"
    held = f"b.resource_id = ANY({resources_in_rooms_on_hold()})"
    # The user's own, as BookingQuerySet.booked_or_entered_by reads them: a union, not an OR.
    own = (
        f"b.id IN (SELECT id FROM {booking} WHERE booked_by_id = %(user)s "
        f"UNION ALL SELECT booking_id FROM {entrants} WHERE user_id = %(user)s)"
    )
    conditions = {
        "next_bookings": (f"{live} AND {upcoming} AND {own}", "short"),
        "my_on_hold": (f"b.booked_by_id = %(user)s AND {live} AND {held} AND {upcoming}", "long"),
        "first_requests": (f"%(staff)s AND b.status = %(requested)s AND {upcoming}", "short"),
        "todays_bookings": (f"%(staff)s AND {live} AND b.period && %(today)s", "long"),
        "on_hold": (f"%(staff)s AND {live} AND {held} AND {upcoming}", "long"),
    }
    first = " UNION ALL ".join(
        f"(SELECT '{name}' AS list, b.id FROM {booking} b WHERE {condition} ORDER BY b.period, b.id LIMIT %({count})s)"
        for name, (condition, count) in conditions.items()
    )
    waiting = f"SELECT COUNT(*) FROM {booking} b WHERE b.status = %(requested)s AND {upcoming}"
    return (
        f"WITH first AS ({first}) "
        f"SELECT f.list, b.id, b.period, b.status, r.name, p.code, g.name, "
        f"CASE WHEN f.list = 'first_requests' THEN ({waiting}) END "
        f"FROM first f JOIN {booking} b ON b.id = f.id "
        f"JOIN {Resource._meta.db_table} r ON r.id = b.resource_id "
        f"JOIN {AtmpProject._meta.db_table} p ON p.id = b.project_id "
        f"JOIN {ResearchGroup._meta.db_table} g ON g.id = p.group_id "
        "ORDER BY f.list, b.period, b.id"
    )


def researcher_section(user, *, has_staff_role: bool, bookings: BookingLists) -> dict:
    """Everyone's own work: groups, projects and their status, next bookings, qualifications.

    Groups and projects show to members of a group, and to people with no other role (who read how to join one);
    bookings and qualifications show where there are some, or where the groups show.
    """
    groups = list(ResearchGroup.objects.with_member(user).select_related("pi"))
    shows_groups = bool(groups) or not has_staff_role
    qualifications = list(
        Qualification.objects.filter(user=user).select_related("resource").order_by("valid_until")[: LONG_LIST + 1]
    )
    next_bookings = bookings.next_bookings
    return {
        "groups": groups,
        "shows_groups": shows_groups,
        "projects": _project_lines(AtmpProject.objects.of_member(user)) if shows_groups else [],
        "next_bookings": next_bookings,
        "on_hold": bookings.my_on_hold,
        "qualifications": qualifications[:LONG_LIST],
        "expiring": _expiring(user, qualifications),
        "shows_bookings": shows_groups or bool(next_bookings),
        "shows_qualifications": shows_groups or bool(qualifications),
    }


def _expiring(user, qualifications: list[Qualification]) -> list[Qualification]:
    """The user's qualifications that expire within the warning days; from ``qualifications`` (ordered by expiry,
    one more than the list shows) when they are all of them, else one query."""
    if len(qualifications) > LONG_LIST:
        qualifications = Qualification.objects.filter(user=user).expiring_within(EXPIRY_WARNING_DAYS)
        return list(qualifications.select_related("resource").order_by("valid_until"))
    return [qualification for qualification in qualifications if qualification.expires_within(EXPIRY_WARNING_DAYS)]


def _project_lines(projects) -> list[dict]:
    project_page = link_pattern("projects:project_detail")
    return [
        {
            "url": project_page.format(row["code"]),
            "code": row["code"],
            "title": row["title"],
            "group": row["group__name"],
            "status_label": ProjectStatus(row["status"]).label,
            "since": row["updated_at"],
        }
        for row in projects.values("code", "title", "group__name", "status", "updated_at")[:LONG_LIST]
    ]


def _review_lines(projects) -> list[str]:
    """The first of ``projects`` waiting for review, each line written here as one string: the template would take
    eight nodes a line."""
    return [
        mark_safe(  # every value escaped
            f'<li class="list-group-item"><a href="{escaped(line["url"])}">{escaped(line["code"])}</a> · '
            f"{escaped(line['title'])} · {escaped(line['group'])} "
            f'<span class="badge text-bg-secondary">{escaped(line["status_label"])}</span> '
            f'<span class="text-body-secondary small">{escaped(_since(line["since"]))}</span></li>'
        )
        for line in _project_lines(projects)
    ]


def _since(moment: datetime.datetime) -> str:
    return _("since %(date)s") % {"date": formats.date_format(timezone.localtime(moment), "SHORT_DATE_FORMAT")}


def facility_section(user, bookings: BookingLists) -> dict:
    """Facility staff: requests waiting, today's bookings, this week's room utilisation, what falls due."""
    week = reports.ReportPeriod.week_of(timezone.localdate())
    return {
        "requests_waiting": bookings.requests_waiting,
        "first_requests": bookings.first_requests,
        "todays_bookings": bookings.todays_bookings,
        "week": week,
        # The busiest rooms only, so the section stays short however many rooms there are; the usage report has all.
        "week_utilisation": reports.busiest_rooms_usage(week, SHORT_LIST, user=user),
        "requalification_due": _requalification_lines(),
        "closures_ahead": _closure_lines(),
        "sporicide_overdue": _sporicide_lines(),
        "on_hold": bookings.on_hold,
    }


def _requalification_lines() -> list[dict]:
    due = Resource.objects.requalification_due_within(EXPIRY_WARNING_DAYS).order_by("requalification_due", "name")
    resource_page = link_pattern("facilities:resource_detail")
    return [
        {
            "url": resource_page.format(row["slug"]),
            "name": row["name"],
            "room": row["room__name"],
            "due": row["requalification_due"],
        }
        for row in due.values("slug", "name", "room__name", "requalification_due")[:LONG_LIST]
    ]


def _closure_lines() -> list[dict]:
    closures = Closure.objects.upcoming().values("resource__name", "facility__name", "reason", "period")
    return [
        {
            "closed": row["resource__name"] or row["facility__name"],
            "reason_label": ClosureReason(row["reason"]).label,
            "start": row["period"].lower,
            "end": row["period"].upper,
        }
        for row in closures[:SHORT_LIST]
    ]


def _sporicide_lines() -> list[str]:
    """The rooms overdue, each line written here as one string: the template would take eight nodes a line."""
    overdue = sporicide_overdue_rooms().values("name", "slug", "facility__slug", "last_sporicide")
    room_status = escaped(_("Room status"))
    room_logbook, status_board = link_pattern("logbook:room_logbook"), link_pattern("logbook:status_board")
    return [
        mark_safe(  # every value escaped
            f'<li class="list-group-item"><a href="{escaped(room_logbook.format(row["slug"]))}">'
            f"{escaped(row['name'])}</a> · {escaped(_last_sporicide(row['last_sporicide']))} · "
            f'<a href="{escaped(status_board.format(row["facility__slug"]))}">{room_status}</a></li>'
        )
        for row in overdue[:LONG_LIST]
    ]


def _last_sporicide(moment: datetime.datetime | None) -> str:
    if moment is None:
        return _("never recorded")
    return _("last %(date)s") % {"date": formats.date_format(timezone.localtime(moment), "MEDIUM_DATE_FORMAT")}


def reviewer_section(user) -> dict:
    """Centre reviewers: submissions waiting.

    The portfolio by class and stage is a link away: it counts every project of the centre, which a page
    shown at each sign-in should not do.
    """
    visible = AtmpProject.objects.visible_to(user)
    return {"review_queue": _review_lines(visible.awaiting_review().order_by("updated_at"))}
