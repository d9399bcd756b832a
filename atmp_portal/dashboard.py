"""What the dashboard shows, one function per role section; each runs a fixed number of queries.

Lists are read as values of the columns they show, limited before their joins, and handed to the templates as
rows with their links made: a line of a list is a few template variables, however many rows the centre has.
"""

import datetime
from dataclasses import dataclass

from django.db.models import Func, Subquery
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from atmp_portal.widgets import escaped
from facilities import permissions as facility_permissions
from facilities import reports
from facilities.models import (
    EXPIRY_WARNING_DAYS,
    Booking,
    BookingStatus,
    Closure,
    ClosureReason,
    Qualification,
    Resource,
    ResourceKind,
    status_badge,
)
from facilities.periods import local_days
from logbook.records import resources_in_rooms_on_hold, sporicide_overdue_rooms
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


_BOOKING_LINE_FIELDS = ("pk", "period", "status", "resource__name", "project__code", "project__group__name")


def sections_for(user) -> dict:
    """The sections ``user`` sees, by name: their own work, and the queues of their staff roles."""
    staff = facility_permissions.can_manage_facility(user)
    reviewer = project_permissions.can_review_project(user)
    held_resources = resources_in_rooms_on_hold()  # read once for the staff's list and one's own
    sections = {"researcher": researcher_section(user, has_staff_role=staff or reviewer, held_resources=held_resources)}
    if staff:
        sections["facility"] = facility_section(user, held_resources=held_resources)
    if reviewer:
        sections["reviewer"] = reviewer_section(user)
    return sections


def booking_lines(bookings, count: int, link: str = "facilities:booking_detail") -> list[BookingLine]:
    """The first ``count`` of ``bookings``, in their order, as lines linking to ``link``; one query."""
    return [_booking_line(row, link) for row in bookings.first_values(count, *_BOOKING_LINE_FIELDS)]


def _booking_line(row: dict, link: str = "facilities:booking_detail") -> BookingLine:
    return BookingLine(
        url=reverse(link, args=[row["pk"]]),
        start=row["period"].lower,
        end=row["period"].upper,
        resource=row["resource__name"],
        project=row["project__code"],
        group=row["project__group__name"],
        status_label=BookingStatus(row["status"]).label,
        status_badge=status_badge(row["status"]),
    )


def counted_booking_lines(bookings, count: int) -> tuple[int, list[BookingLine]]:
    """How many ``bookings`` there are, and the first ``count`` of them as lines; one query.

    The number is a subquery on each line: where there is no line, there are none.
    """
    number = Subquery(bookings.order_by().values(number=Func("pk", function="COUNT")))
    rows = list(bookings.first_values(count, *_BOOKING_LINE_FIELDS).annotate(number=number))
    return (rows[0]["number"] if rows else 0), [_booking_line(row) for row in rows]


def bookings_on_hold(bookings, held_resources: list[int]) -> list[BookingLine]:
    """The first live upcoming ``bookings`` of ``held_resources`` (rooms on hold and their equipment), linking to
    their check-in, which says why the room is held; no query when no room is on hold."""
    if not held_resources:
        return []
    in_held_rooms = bookings.active().filter(resource__in=held_resources).upcoming()
    return booking_lines(in_held_rooms, LONG_LIST, link="logbook:check_in")


def researcher_section(user, *, has_staff_role: bool, held_resources: list[int]) -> dict:
    """Everyone's own work: groups, projects and their status, next bookings, qualifications.

    Groups and projects show to members of a group, and to people with no other role (who read how to join one);
    bookings and qualifications show where there are some, or where the groups show.
    """
    groups = list(ResearchGroup.objects.with_member(user).select_related("pi"))
    shows_groups = bool(groups) or not has_staff_role
    qualifications = list(
        Qualification.objects.filter(user=user).select_related("resource").order_by("valid_until")[: LONG_LIST + 1]
    )
    # A person may see every booking they made or enter: visible_to() would only slow the queries down.
    next_bookings = booking_lines(Booking.objects.active().booked_or_entered_by(user).upcoming(), SHORT_LIST)
    return {
        "groups": groups,
        "shows_groups": shows_groups,
        "projects": _project_lines(AtmpProject.objects.of_member(user)) if shows_groups else [],
        "next_bookings": next_bookings,
        "on_hold": bookings_on_hold(Booking.objects.filter(booked_by=user), held_resources),
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
    return [
        {
            "url": reverse("projects:project_detail", args=[row["code"]]),
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


def facility_section(user, *, held_resources: list[int]) -> dict:
    """Facility staff: requests waiting, today's bookings, this week's room utilisation, what falls due."""
    today = timezone.localdate()
    visible = Booking.objects.visible_to(user)
    requests_waiting, first_requests = counted_booking_lines(visible.pending().upcoming(), SHORT_LIST)
    week = reports.ReportPeriod.week_of(today)
    return {
        "requests_waiting": requests_waiting,
        "first_requests": first_requests,
        "todays_bookings": booking_lines(visible.active().overlapping(local_days(today, today)), LONG_LIST),
        "week": week,
        # The busiest rooms only, so the section stays short however many rooms there are; the usage report has all.
        "week_utilisation": reports.busiest_usage(
            Resource.objects.active().filter(kind=ResourceKind.ROOM), week, SHORT_LIST, user=user
        ),
        "requalification_due": _requalification_lines(),
        "closures_ahead": _closure_lines(),
        "sporicide_overdue": _sporicide_lines(),
        "on_hold": bookings_on_hold(visible, held_resources),
    }


def _requalification_lines() -> list[dict]:
    due = Resource.objects.requalification_due_within(EXPIRY_WARNING_DAYS).order_by("requalification_due", "name")
    return [
        {
            "url": reverse("facilities:resource_detail", args=[row["slug"]]),
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
    return [
        mark_safe(  # every value escaped
            f'<li class="list-group-item"><a href="{escaped(reverse("logbook:room_logbook", args=[row["slug"]]))}">'
            f"{escaped(row['name'])}</a> · {escaped(_last_sporicide(row['last_sporicide']))} · "
            f'<a href="{escaped(reverse("logbook:status_board", args=[row["facility__slug"]]))}">{room_status}</a></li>'
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
