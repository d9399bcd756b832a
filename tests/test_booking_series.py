"""A recurring series is one thing: bounded when made, shown, approved, rejected and cancelled as one."""

import datetime
import time

import pytest
from django.core import mail
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.urls import reverse

from facilities import services
from facilities.models import Booking, BookingStatus
from facilities.services import BookingError, Recurrence

pytestmark = pytest.mark.django_db


@pytest.fixture
def approval_room(room, facility_user):
    room.requires_approval = True
    room.booking_horizon_days = 3000
    room.save()
    return room


@pytest.fixture
def make_series(booker, approval_room, admitted_project, booking_day, at, django_capture_on_commit_callbacks):
    """Three Mondays from ``booking_day``, 09:00-13:00, waiting for approval; the e-mails sent are cleared."""

    def make(**extra):
        with django_capture_on_commit_callbacks(execute=True):
            bookings = services.create_booking(
                by=booker,
                resource=approval_room,
                project=admitted_project,
                period=DateTimeTZRange(at(booking_day, "09:00"), at(booking_day, "13:00")),
                purpose="Media fill campaign",
                recurrence=Recurrence(frozenset({0}), booking_day + datetime.timedelta(days=14)),
                **extra,
            )
        return bookings

    return make


def test_a_requested_series_sends_one_request_e_mail_listing_its_dates(make_series, facility_user):
    bookings = make_series()
    assert len(bookings) == 3
    [message] = mail.outbox
    assert message.subject.startswith("Booking request")
    assert "This e-mail is about 3 dates of a series" in message.body


def test_one_post_approves_the_whole_series_and_sends_one_e_mail(
    client, make_series, facility_user, booker, django_capture_on_commit_callbacks
):
    [first, *_rest] = make_series()
    mail.outbox.clear()
    client.force_login(facility_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("facilities:series_approve", args=[first.series]))
    assert response.status_code == 302
    assert set(Booking.objects.values_list("status", flat=True)) == {BookingStatus.APPROVED}
    [message] = mail.outbox
    assert booker.email in message.to
    assert "3 dates of a series" in message.body


def test_one_post_rejects_the_whole_series_and_releases_its_equipment(
    client, make_series, facility_user, equipment, django_capture_on_commit_callbacks
):
    [first, *_rest] = make_series(equipment=[equipment])
    assert Booking.objects.filter(resource=equipment, status=BookingStatus.REQUESTED).count() == 3  # waits too
    mail.outbox.clear()
    client.force_login(facility_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("facilities:series_reject", args=[first.series]), {"comment": "Suite in requalification"})
    assert Booking.objects.filter(parent__isnull=True, status=BookingStatus.REJECTED).count() == 3
    assert Booking.objects.filter(resource=equipment, status=BookingStatus.CANCELLED).count() == 3
    assert len(mail.outbox) == 1


@pytest.mark.parametrize(
    ("who", "action", "title", "field"),
    [
        ("facility_user", "reject", "Reject the series?", "comment"),
        ("booker", "cancel", "Cancel the series?", "reason"),
    ],
)
def test_rejecting_or_cancelling_a_series_asks_for_confirmation_first(
    client, make_series, request, who, action, title, field
):
    [first, *_rest] = make_series()
    url = reverse(f"facilities:series_{action}", args=[first.series])
    client.force_login(request.getfixturevalue(who))
    assert f'href="{url}"' in client.get(reverse("facilities:series_detail", args=[first.series])).text
    response = client.get(url)
    assert response.status_code == 200
    assert title in response.text
    assert f'name="{field}"' in response.text
    assert set(Booking.objects.values_list("status", flat=True)) == {BookingStatus.REQUESTED}
    client.post(url, {field: "Campaign stopped"})
    assert BookingStatus.REQUESTED not in set(Booking.objects.values_list("status", flat=True))


def test_approving_a_room_approves_the_equipment_that_waited_for_it(make_series, facility_user, equipment):
    [room_booking, equipment_booking, *_rest] = make_series(equipment=[equipment])
    assert equipment_booking.status == BookingStatus.REQUESTED
    services.approve_booking(room_booking, facility_user)
    equipment_booking.refresh_from_db()
    assert equipment_booking.status == BookingStatus.APPROVED


def test_cancelling_from_a_date_cancels_only_the_dates_from_then_on(
    client, make_series, booker, booking_day, django_capture_on_commit_callbacks
):
    bookings = make_series()
    client.force_login(booker)
    second_monday = booking_day + datetime.timedelta(days=7)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("facilities:series_cancel", args=[bookings[0].series]),
            {"reason": "Campaign shortened", "from_day": second_monday.isoformat()},
        )
    assert response.status_code == 302
    statuses = [b.status for b in Booking.objects.order_by("period")]
    assert statuses == [BookingStatus.REQUESTED, BookingStatus.CANCELLED, BookingStatus.CANCELLED]
    assert len(mail.outbox) == 2  # the request, then one cancellation


def test_the_series_page_lists_its_dates_and_the_booking_links_to_it(client, make_series, booker):
    bookings = make_series()
    client.force_login(booker)
    page = client.get(reverse("facilities:series_detail", args=[bookings[0].series])).text
    assert "a series of 3 dates" in page
    for booking in bookings:
        assert booking.get_absolute_url() in page
    assert (
        reverse("facilities:series_detail", args=[bookings[0].series])
        in client.get(bookings[0].get_absolute_url()).text
    )


def test_the_pending_queue_shows_a_series_as_one_row_with_its_dates(client, make_series, facility_user, booking_day):
    bookings = make_series()
    client.force_login(facility_user)
    page = client.get(reverse("facilities:pending")).text
    assert page.count("Series of 3 dates") == 1
    assert page.count(reverse("facilities:series_approve", args=[bookings[0].series])) == 1
    assert bookings[1].get_absolute_url() not in page
    assert f"{(booking_day + datetime.timedelta(days=14)).day} " in page


class TestBounds:
    def test_a_series_of_101_dates_is_refused_quickly(self, booker, approval_room, admitted_project, booking_day, at):
        started = time.process_time()
        with pytest.raises(BookingError, match="A series has at most 100 dates and this one would have 101"):
            services.create_booking(
                by=booker,
                resource=approval_room,
                project=admitted_project,
                period=DateTimeTZRange(at(booking_day, "09:00"), at(booking_day, "10:00")),
                purpose="Daily",
                recurrence=Recurrence(frozenset(range(7)), booking_day + datetime.timedelta(days=100)),
            )
        assert time.process_time() - started < 1
        assert not Booking.objects.exists()

    @pytest.mark.parametrize("until", ["2099-12-31", "2100-12-31"])  # later years: the date fields refuse them
    def test_a_series_past_the_window_is_refused_by_the_form(
        self, client, booker, room, booking_day, admitted_project, until
    ):
        client.force_login(booker)
        started = time.process_time()
        response = client.post(
            reverse("facilities:booking_new"),
            {
                "resource": room.slug,
                "project": admitted_project.pk,
                "start": f"{booking_day}T09:00",
                "end": f"{booking_day}T10:00",
                "entrants": [booker.pk],
                "purpose": "Forever",
                "repeat_weekdays": ["0"],
                "repeat_until": until,
            },
        )
        assert response.status_code == 200
        assert "so a series may repeat until" in response.text
        assert time.process_time() - started < 1
        assert not Booking.objects.exists()
