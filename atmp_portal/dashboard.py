"""What the dashboard shows, one function per role section; each runs a fixed number of queries."""

from django.utils import timezone

from facilities import reports
from facilities.models import EXPIRY_WARNING_DAYS, Booking, Closure, Qualification, Resource, ResourceKind
from facilities.periods import local_days
from logbook.records import bookings_in_rooms_on_hold, sporicide_overdue_rooms
from projects.models import AtmpProject, ResearchGroup
from projects.reports import class_stage_matrix

SHORT_LIST = 5
LONG_LIST = 20


def researcher_section(user, *, has_staff_role: bool) -> dict:
    """Everyone's own work: groups, projects and their status, next bookings, qualifications.

    Groups and projects show to members of a group, and to people with no other role (who read how to join one);
    bookings and qualifications show where there are some, or where the groups show.
    """
    groups = list(ResearchGroup.objects.with_member(user).select_related("pi"))
    shows_groups = bool(groups) or not has_staff_role
    qualifications = Qualification.objects.filter(user=user).select_related("resource")
    section = {
        "groups": groups,
        "shows_groups": shows_groups,
        "projects": AtmpProject.objects.of_member(user).select_related("group")[:LONG_LIST],
        # A person may see every booking they made or enter: visible_to() would only slow the query down.
        "next_bookings": list(
            Booking.objects.active().booked_or_entered_by(user).upcoming().first_with_details(SHORT_LIST)
        ),
        "on_hold": bookings_in_rooms_on_hold(Booking.objects.visible_to(user).filter(booked_by=user), LONG_LIST),
        "qualifications": list(qualifications.order_by("valid_until")[:LONG_LIST]),
        "expiring": qualifications.expiring_within(EXPIRY_WARNING_DAYS).order_by("valid_until"),
    }
    section["shows_bookings"] = shows_groups or bool(section["next_bookings"])
    section["shows_qualifications"] = shows_groups or bool(section["qualifications"])
    return section


def facility_section(user) -> dict:
    """Facility staff: requests waiting, today's bookings, this week's room utilisation, what falls due."""
    today = timezone.localdate()
    visible = Booking.objects.visible_to(user)
    waiting = visible.pending().upcoming()
    week = reports.ReportPeriod.week_of(today)
    return {
        "requests_waiting": waiting.count(),
        "first_requests": waiting.first_with_details(SHORT_LIST),
        "todays_bookings": visible.active().overlapping(local_days(today, today)).first_with_details(LONG_LIST),
        "week": week,
        # The busiest rooms only, so the section stays short however many rooms there are; the usage report has all.
        "week_utilisation": reports.resource_usage(
            week,
            reports.busiest(Resource.objects.active().filter(kind=ResourceKind.ROOM), week, SHORT_LIST, user=user),
            user=user,
        ),
        "requalification_due": Resource.objects.requalification_due_within(EXPIRY_WARNING_DAYS)
        .select_related("room")
        .order_by("requalification_due", "name")[:LONG_LIST],
        "closures_ahead": Closure.objects.upcoming().select_related("facility", "resource")[:SHORT_LIST],
        "sporicide_overdue": sporicide_overdue_rooms()[:LONG_LIST],
        "on_hold": bookings_in_rooms_on_hold(visible, LONG_LIST),
    }


def reviewer_section(user) -> dict:
    """Centre reviewers: submissions waiting and the portfolio by class and stage."""
    visible = AtmpProject.objects.visible_to(user)
    return {
        "review_queue": visible.awaiting_review().select_related("group").order_by("updated_at")[:LONG_LIST],
        "matrix": class_stage_matrix(visible),
    }
