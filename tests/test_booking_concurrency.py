"""Many simultaneous requests for one slot, with real transactions: exactly one booking is made."""

import datetime

import pytest
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

from facilities import services
from facilities.models import Booking
from tests.helpers import all_at_once

THREADS = 20


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("row_lock", [True, False], ids=["with-the-row-lock", "the-constraint-alone"])
def test_twenty_simultaneous_bookings_of_one_slot_leave_exactly_one(
    booker, room, admitted_project, booking_day, at, monkeypatch, row_lock
):
    if not row_lock:
        # Without the resource lock the checks race; the exclusion constraint still refuses all but one.
        monkeypatch.setattr(services, "_lock", lambda resources: None)
    start, end = at(booking_day, "09:00"), at(booking_day, "13:00")

    def book():
        return services.create_booking(
            by=booker,
            resource=room,
            project=admitted_project,
            period=DateTimeTZRange(start, end),
            purpose="Media fill",
        )

    made, raised = all_at_once(THREADS, book)
    refused = [error.message for error in raised if isinstance(error, services.BookingError)]
    crashed = [repr(error) for error in raised if not isinstance(error, services.BookingError)]

    assert crashed == []
    assert len(made) == 1
    assert len(refused) == THREADS - 1
    assert all("is already booked on" in message and "from 09:00 to 13:00" in message for message in refused)
    assert Booking.objects.active().count() == 1


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_series_with_entrants_leave_exactly_one_series(
    booker, team, room, admitted_project, booking_day, at
):
    entrants = [booker, *team(1)]
    recurrence = services.Recurrence(frozenset({0}), booking_day + datetime.timedelta(days=14))

    def book():
        return services.create_booking(
            by=booker,
            resource=room,
            project=admitted_project,
            period=DateTimeTZRange(at(booking_day, "09:00"), at(booking_day, "13:00")),
            purpose="Media fill campaign",
            entrants=entrants,
            recurrence=recurrence,
        )

    made, raised = all_at_once(THREADS, book)
    refused = [error.message for error in raised if isinstance(error, services.BookingError)]

    assert [error for error in raised if not isinstance(error, services.BookingError)] == []
    assert len(made) == 1
    assert len(refused) == THREADS - 1
    assert all("is already booked on" in message for message in refused)
    live = Booking.objects.active()
    assert live.count() == 3
    assert live.values("series").distinct().count() == 1
    assert all(set(booking.entrants.all()) == set(entrants) for booking in live)
