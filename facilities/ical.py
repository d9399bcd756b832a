"""iCalendar (RFC 5545) for bookings: the feeds and the e-mail invitations (iMIP, RFC 6047) use the same builder.

An event's UID is the booking's stored ``uid`` and its SEQUENCE the booking's ``sequence``, so a calendar
program that has the booking from an e-mail and from a feed holds one event and takes the newest.
"""

import datetime
from collections.abc import Iterable
from email.utils import parseaddr

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vDuration

from atmp_portal.people import full_name

from .models import Booking, BookingStatus

STATUS = {
    BookingStatus.REQUESTED: "TENTATIVE",
    BookingStatus.APPROVED: "CONFIRMED",
    BookingStatus.REJECTED: "CANCELLED",
    BookingStatus.CANCELLED: "CANCELLED",
}

# How often a subscribed calendar program should fetch a feed again (RFC 7986, and Outlook's own property).
FEED_REFRESH = datetime.timedelta(hours=1)


def booking_uid(booking: Booking) -> str:
    """Stable across feeds and e-mails, and free of the host name, which may change."""
    return str(booking.uid)


def method_of(booking: Booking) -> str:
    """The iTIP method of an e-mail about the booking: a live booking is an invitation, any other a cancellation."""
    return "REQUEST" if booking.is_active else "CANCEL"


def _address(email: str, name: str, **parameters: str) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = name
    address.params.update(parameters)
    return address


def organizer() -> vCalAddress:
    """The portal's sender, who sends every change of the event."""
    name, email = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return _address(email, name or email)


def attendees(booking: Booking) -> list[vCalAddress]:
    """The booker, who asked for the booking, and the entrants named in it; no one is asked to reply."""
    people = {booking.booked_by, *booking.entrants.all()}
    return [
        _address(
            person.email,
            full_name(person),
            CUTYPE="INDIVIDUAL",
            ROLE="REQ-PARTICIPANT",
            PARTSTAT="ACCEPTED" if person == booking.booked_by else "NEEDS-ACTION",
            RSVP="FALSE",
        )
        for person in sorted(people, key=lambda person: person.pk)
        if person.email
    ]


def booking_event(booking: Booking, invitation: bool = False) -> Event:
    """``booking`` needs its resource, resource's facility and project loaded (``with_details``); an invitation
    names its organizer and attendees (the entrants are read). Texts are in the active language."""
    event = Event()
    event.add("uid", booking_uid(booking))
    event.add("sequence", booking.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", booking.start)  # local time: the VTIMEZONE of Europe/Stockholm is added
    event.add("dtend", booking.end)
    event.add(
        "summary",
        _("Booking of %(resource)s for %(project)s")
        % {"resource": booking.resource.name, "project": booking.project.code},
    )
    event.add("location", f"{booking.resource.name}, {booking.resource.facility.name}")
    event.add("description", booking.purpose)
    event.add("status", STATUS[booking.status])
    event.add("url", settings.SITE_URL + booking.get_absolute_url())
    event.add("last-modified", booking.updated_at)
    if invitation:
        event.add("organizer", organizer())
        for attendee in attendees(booking):
            event.add("attendee", attendee)
    return event


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", "-//LU-ATMP portal//Bookings//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    return calendar


def feed_of(bookings: Iterable[Booking], name: str) -> bytes:
    """A subscribed calendar: the bookings' events, with how often to fetch it again."""
    calendar = _calendar(name)
    calendar.add("refresh-interval", FEED_REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(FEED_REFRESH))
    for booking in bookings:
        calendar.add_component(booking_event(booking))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def invitation_of(booking: Booking) -> bytes:
    """One iTIP message about one booking: an invitation to a live booking, or its cancellation."""
    calendar = _calendar(str(booking))
    calendar.add("method", method_of(booking))
    calendar.add_component(booking_event(booking, invitation=True))
    calendar.add_missing_timezones()
    return calendar.to_ical()
