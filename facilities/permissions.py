"""Who may do what with facilities, bookings, closures and qualifications: one ``can_…`` function per question."""

from atmp_portal import roles

from .models import Booking


def can_manage_facility(user) -> bool:
    """Facility staff (and administrators) run closures and qualifications."""
    return roles.is_facility_staff(user)


def can_book_on_behalf(user) -> bool:
    """Facility staff book for any admitted project, naming its entrants; the booking records them as booker."""
    return roles.is_facility_staff(user)


def can_decide_booking(user) -> bool:
    """Facility staff approve and reject booking requests."""
    return roles.is_facility_staff(user)


def can_view_booking(user, booking: Booking) -> bool:
    """The booker, members of the project's group, facility staff and administrators: ``visible_to``."""
    return Booking.objects.visible_to(user).filter(pk=booking.pk).exists()


def can_cancel_booking(user, booking: Booking) -> bool:
    """The booker cancels their own booking; facility staff cancel any."""
    return booking.booked_by_id == user.pk or roles.is_facility_staff(user)


def can_cancel_started_booking(user) -> bool:
    """Once a booking has started, only facility staff cancel it."""
    return roles.is_facility_staff(user)


def can_read_resource_feed(user) -> bool:
    """A resource's iCalendar feed shows every booking in full: facility staff only."""
    return roles.is_facility_staff(user)


def can_read_reports(user) -> bool:
    """Facility staff (and administrators) read usage and billing reports."""
    return roles.is_facility_staff(user)
