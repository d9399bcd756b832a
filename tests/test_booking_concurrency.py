"""Many simultaneous requests for one slot, with real transactions: exactly one booking is made."""

import datetime
import threading

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

from facilities import services
from facilities.models import Booking

THREADS = 20


def race(book_once, timeout=30):
    """Run ``book_once`` in ``THREADS`` threads at once; what each made, the refusals, any other outcome."""
    barrier = threading.Barrier(THREADS)
    made, refused, crashed = [], [], []

    def book():
        try:
            barrier.wait()
            made.append(book_once())
        except services.BookingError as error:
            refused.append(error.message)
        except Exception as error:  # any other outcome fails the test below
            crashed.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=book) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    return made, refused, crashed


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("row_lock", [True, False], ids=["with-the-row-lock", "the-constraint-alone"])
def test_twenty_simultaneous_bookings_of_one_slot_leave_exactly_one(
    booker, room, admitted_project, booking_day, at, monkeypatch, row_lock
):
    if not row_lock:
        # Without the resource lock the checks race; the exclusion constraint still refuses all but one.
        monkeypatch.setattr(services, "_lock", lambda resources: None)
    start, end = at(booking_day, "09:00"), at(booking_day, "13:00")

    made, refused, crashed = race(
        lambda: services.create_booking(
            by=booker,
            resource=room,
            project=admitted_project,
            period=DateTimeTZRange(start, end),
            purpose="Media fill",
        )
    )

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

    made, refused, crashed = race(
        lambda: services.create_booking(
            by=booker,
            resource=room,
            project=admitted_project,
            period=DateTimeTZRange(at(booking_day, "09:00"), at(booking_day, "13:00")),
            purpose="Media fill campaign",
            entrants=entrants,
            recurrence=recurrence,
        ),
        timeout=60,
    )

    assert crashed == []
    assert len(made) == 1
    assert len(refused) == THREADS - 1
    assert all("is already booked on" in message for message in refused)
    live = Booking.objects.active()
    assert live.count() == 3
    assert live.values("series").distinct().count() == 1
    assert all(set(booking.entrants.all()) == set(entrants) for booking in live)
