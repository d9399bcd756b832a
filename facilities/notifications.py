"""E-mails about bookings and qualifications, plain text and HTML, queued in the transaction of the change.

The worker sends them (atmp_portal.mail): a failing mail server never fails or slows the change. The e-mail
about a booking's change is also written by the worker, from a task queued with the change.
Decisions and cancellations are always sent; reminders, expiry warnings and new-request
notices follow ``NotificationPreferences``, and each recipient reads them in their own language.
A booking e-mail carries the booking as a calendar invitation (iMIP): one ``.ics`` part per date.
"""

import datetime
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from atmp_portal import mail
from atmp_portal.roles import FACILITY_STAFF

from . import ical
from .models import ACTIVE_STATUSES, Booking, NotificationPreferences, Qualification

EXPIRY_WARNING_DAYS = 30

# What each booking e-mail says: its subject and its first line.
BOOKING_EVENTS = {
    "requested": (_("Booking request: %(booking)s"), _("A booking waits for your decision.")),
    "approved": (_("Booking approved: %(booking)s"), _("The booking was approved.")),
    "confirmed": (_("Booking confirmed: %(booking)s"), _("The booking is confirmed; it needs no approval.")),
    "rejected": (_("Booking rejected: %(booking)s"), _("The booking request was rejected.")),
    "cancelled": (_("Booking cancelled: %(booking)s"), _("The booking was cancelled.")),
    "reminder": (_("Reminder, tomorrow: %(booking)s"), _("A reminder of your booking tomorrow.")),
    "on_hold": (
        _("Room on hold: %(booking)s"),
        _("The room of this booking is on hold: check-in is refused until quality assurance releases it."),
    ),
}


def _send(
    subject: tuple[str, dict],
    template: str,
    context: dict,
    recipients: Iterable,
    invitations: Sequence[Booking] = (),
) -> None:
    """Queue one message per language of the ``recipients`` (users or addresses).

    ``subject``: a lazy text and its values. ``invitations``: the bookings to attach as calendar
    invitations, loaded ``_for_email``.
    """
    context = {**context, "site_url": settings.SITE_URL}
    text, values = subject
    for addresses in mail.in_their_languages(recipients):
        message = EmailMultiAlternatives(
            subject=str(text) % values,
            body=render_to_string(f"facilities/email/{template}.txt", context),
            to=addresses,
        )
        message.attach_alternative(render_to_string(f"facilities/email/{template}.html", context), "text/html")
        for booking in invitations:
            # RFC 6047: the part's Content-Type names the same method as the calendar inside it.
            content_type = f"text/calendar; method={ical.method_of(booking)}"
            message.attach(f"booking-{booking.pk}.ics", ical.invitation_of(booking).decode(), content_type)
        mail.enqueue(message)


def _for_email(bookings):
    """With what the e-mail and its calendar invitation read: details, project lead, entrants."""
    return bookings.with_details().select_related("project__project_lead").with_entrants()


def send_booking_email(event: str, booking: Booking, recipients: Iterable, series_dates=None) -> None:
    """``booking`` and ``series_dates`` (the bookings of a series the e-mail is about) loaded ``_for_email``."""
    subject, headline = BOOKING_EVENTS[event]
    dates = [each.start for each in series_dates] if series_dates else None
    context = {"booking": booking, "headline": headline, "event": event, "dates": dates}
    _send((subject, {"booking": booking}), "booking", context, recipients, series_dates or [booking])


def _wants(field: str):
    """Users who have not turned off the e-mail behind ``field`` of their preferences."""
    return ~Q(**{f"notification_preferences__{field}": False})


def booking_changed(event: str, booking: Booking, series_dates: Sequence[Booking] | None = None) -> None:
    """In the transaction of the change, queue the e-mail about it (``write_booking_email``).

    ``series_dates``: the bookings of a series the change is about, for one e-mail about them all.
    """
    write_booking_email.enqueue(event, booking.pk, [each.pk for each in series_dates or []])


@mail.email_task
def write_booking_email(event: str, booking_id: int, series_ids: list[int]) -> None:
    """Write and queue the e-mail about a change, in the worker: a request goes to the facility staff who want
    to know; approvals, rejections and cancellations go to the booker, the project lead and the entrants.

    Written once the change is committed, from the bookings as they are then: a message per language, each
    with a calendar invitation per date, takes longer than the change itself, and nobody waits for it.
    """
    saved = {each.pk: each for each in _for_email(Booking.objects).filter(pk__in=[booking_id, *series_ids])}
    booking = saved.get(booking_id)
    if booking is None:  # deleted since (by an administrator): nothing left to tell
        return
    if event == "requested":
        staff = get_user_model().objects.filter(groups__name=FACILITY_STAFF, is_active=True)
        recipients = list(staff.filter(_wants("new_requests")))
    else:
        recipients = [booking.booked_by, booking.project.project_lead, *booking.entrants.all()]
    send_booking_email(event, booking, recipients, [saved[pk] for pk in series_ids if pk in saved])


def send_booking_reminders() -> int:
    """Remind bookers and entrants of tomorrow's bookings; safe to run every hour, each booking is claimed once."""
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    due = _for_email(Booking.objects).filter(
        status__in=ACTIVE_STATUSES,
        parent__isnull=True,  # equipment booked with its room is in the room's e-mail
        reminder_sent_at__isnull=True,
        period__startswith__date=tomorrow,
    )
    sent = 0
    for booking in due:
        with transaction.atomic():  # the claim and the queued e-mail stand or fall together
            # The UPDATE … WHERE reminder_sent_at IS NULL is the claim: of two runs at once, one wins.
            if not Booking.objects.filter(pk=booking.pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=timezone.now()
            ):
                continue
            people = {booking.booked_by, *booking.entrants.all()}
            recipients = [person for person in people if _preferences(person).booking_reminders]
            if recipients:
                send_booking_email("reminder", booking, recipients)
                sent += 1
    return sent


def send_expiry_warnings() -> int:
    """Warn holders of qualifications that expire within 30 days, once per qualification."""
    expiring = Qualification.objects.expiring_within(EXPIRY_WARNING_DAYS).filter(expiry_warning_sent_at__isnull=True)
    sent = 0
    for qualification in expiring.select_related("user", "resource"):
        with transaction.atomic():
            if not Qualification.objects.filter(pk=qualification.pk, expiry_warning_sent_at__isnull=True).update(
                expiry_warning_sent_at=timezone.now()
            ):
                continue
            if _preferences(qualification.user).qualification_expiry:
                subject = (_("Your qualification expires on %(date)s"), {"date": qualification.valid_until})
                context = {"qualification": qualification}
                _send(subject, "qualification_expiry", context, [qualification.user])
                sent += 1
    return sent


def _preferences(user) -> NotificationPreferences:
    return NotificationPreferences.objects.filter(user=user).first() or NotificationPreferences(user=user)
