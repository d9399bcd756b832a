"""Who may record, sign, release and read a room's logbook: one ``can_…`` function per question."""

from django.utils import timezone

from atmp_portal import roles
from facilities.models import Booking, Qualification, QualificationKind, Resource, grades_covering
from facilities.permissions import can_view_booking


def is_qualified_for(user, room: Resource) -> bool:
    """A valid gowning qualification for the room's grade (or a stricter one) today."""
    grades = grades_covering(room.grade)
    today = timezone.localdate()
    return (
        user.is_authenticated
        and bool(grades)
        and Qualification.objects.filter(
            user=user, kind=QualificationKind.GOWNING, grade__in=grades, valid_from__lte=today, valid_until__gte=today
        ).exists()
    )


def can_record_use(user, booking: Booking) -> bool:
    """Check-in and check-out: whoever may see the booking in full (booker, the project's group, staff)."""
    return can_view_booking(user, booking)


def can_record_in_room(user, room: Resource) -> bool:
    """Line clearance and cleaning: facility staff, and users gowned for the room who work in it."""
    return roles.is_facility_staff(user) or is_qualified_for(user, room)


def can_read_logbook(user, room: Resource) -> bool:
    """Facility staff, quality assurance and everyone gowned for the room."""
    return roles.is_quality_assurance(user) or can_record_in_room(user, room)


def can_record_monitoring(user) -> bool:
    """Environmental monitoring is sampled and recorded by facility staff."""
    return roles.is_facility_staff(user)


def can_place_hold(user) -> bool:
    """Facility staff and quality assurance put a room in quarantine."""
    return roles.is_facility_staff(user) or roles.is_quality_assurance(user)


def can_release_room(user) -> bool:
    """Only quality assurance releases a room from hold."""
    return roles.is_quality_assurance(user)


def can_report_deviation(user) -> bool:
    """Anyone who saw a problem reports it."""
    return user.is_authenticated


def can_see_all_deviations(user) -> bool:
    return roles.is_facility_staff(user) or roles.is_quality_assurance(user)


def can_investigate_deviation(user) -> bool:
    """Facility staff and quality assurance record the investigation and the CAPA."""
    return can_see_all_deviations(user)


def can_close_deviation(user) -> bool:
    """Closing a deviation is quality assurance's signed approval."""
    return roles.is_quality_assurance(user)


def can_correct_record(user, record) -> bool:
    """The signer corrects their own record; facility staff and QA correct any."""
    return record.signed_by_id == user.pk or can_see_all_deviations(user)
