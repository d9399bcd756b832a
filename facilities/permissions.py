"""Who may do what with facilities, bookings, closures and qualifications: one function per question."""

from atmp_portal import roles
from projects.models import ResearchGroup

from .models import Booking


def can_manage_facility(user) -> bool:
    """Facility staff (and administrators) run closures and qualifications."""
    return roles.is_facility_staff(user)


def can_approve(user) -> bool:
    """Facility staff approve and reject booking requests."""
    return roles.is_facility_staff(user)


def can_view_booking(user, booking: Booking) -> bool:
    """The booker, members of the project's group, facility staff and administrators."""
    if booking.booked_by_id == user.pk or roles.is_facility_staff(user):
        return True
    return ResearchGroup.objects.with_member(user).filter(pk=booking.project.group_id).exists()


def can_cancel_booking(user, booking: Booking) -> bool:
    """The booker cancels their own booking; facility staff cancel any."""
    return booking.booked_by_id == user.pk or roles.is_facility_staff(user)


def shows_booking_details(user, booking: Booking, member_group_ids: frozenset[int]) -> bool:
    """In calendars: staff see every booking in full, researchers their own groups' bookings.

    Others' bookings show as "booked" with the group's name only. ``member_group_ids``: the user's
    groups, loaded once per page.
    """
    return (
        roles.is_facility_staff(user) or booking.booked_by_id == user.pk or booking.project.group_id in member_group_ids
    )


def can_read_resource_feed(user) -> bool:
    """A resource's iCalendar feed shows every booking in full: facility staff only."""
    return roles.is_facility_staff(user)


def can_read_reports(user) -> bool:
    """Facility staff (and administrators) read usage and billing reports."""
    return roles.is_facility_staff(user)
