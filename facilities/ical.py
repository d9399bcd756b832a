"""iCalendar (RFC 5545) for bookings: the feeds and the e-mail attachments use the same builder."""

from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event

from .models import Booking, BookingStatus

STATUS = {
    BookingStatus.REQUESTED: "TENTATIVE",
    BookingStatus.APPROVED: "CONFIRMED",
    BookingStatus.REJECTED: "CANCELLED",
    BookingStatus.CANCELLED: "CANCELLED",
}


def booking_uid(booking: Booking) -> str:
    """Stable across feeds and e-mails, so that calendar programs update the event instead of adding one."""
    return f"booking-{booking.pk}@{urlsplit(settings.SITE_URL).hostname}"


def booking_event(booking: Booking) -> Event:
    """``booking`` needs its resource, resource's facility and project loaded (``with_details``)."""
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("dtstamp", timezone.now())
    event.add("dtstart", booking.start)  # local time: the VTIMEZONE of Europe/Stockholm is added
    event.add("dtend", booking.end)
    event.add("summary", f"{booking.resource.name}: {booking.project.code}")
    event.add("location", f"{booking.resource.name}, {booking.resource.facility.name}")
    event.add("description", booking.purpose)
    event.add("status", STATUS[booking.status])
    event.add("url", settings.SITE_URL + booking.get_absolute_url())
    event.add("last-modified", booking.decided_at or booking.created_at)
    return event


def calendar_of(bookings: Iterable[Booking], name: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//LU-ATMP portal//Bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for booking in bookings:
        calendar.add_component(booking_event(booking))
    calendar.add_missing_timezones()
    return calendar.to_ical()
