"""Calendar pages: the resource week, the facility day and the month; what each viewer sees; bad parameters."""

import datetime

import pytest
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.urls import reverse

from facilities import services
from facilities.calendar import iso_week
from facilities.models import Booking, BookingStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(booker, room, admitted_project, booking_day, at):
    [booking] = services.create_booking(
        booker, room, admitted_project, at(booking_day, "09:00"), at(booking_day, "11:00"), 1, "Media fill run"
    )
    return booking


def week_url(room, day):
    return f"{room.get_absolute_url()}?week={iso_week(day)}"


def test_the_week_shows_the_booking_its_changeover_and_links_free_cells_to_the_form(
    client, booking, room, booker, booking_day
):
    client.force_login(booker)
    response = client.get(week_url(room, booking_day))
    assert response.status_code == 200
    assert "Media fill run" in response.text
    assert 'class="calendar-booked" rowspan="4"' in response.text  # 09:00-11:00 in half hours
    assert 'class="calendar-changeover" rowspan="2"' in response.text  # 60 minutes after it
    assert f"start={booking_day:%Y-%m-%d}T13:00" in response.text


def test_researchers_of_other_groups_see_booked_with_the_group_name_only(client, booking, room, outsider, booking_day):
    client.force_login(outsider)
    response = client.get(week_url(room, booking_day))
    assert "Booked: Stem Cell Lab" in response.text
    assert "Media fill run" not in response.text


def test_staff_see_everything(client, booking, room, facility_user, booking_day):
    client.force_login(facility_user)
    assert "Media fill run" in client.get(week_url(room, booking_day)).text


def test_closures_show_as_closed_in_words(client, room, booker, facility_user, booking_day, at):
    from facilities.models import Closure, ClosureReason

    closure = Closure(
        facility=room.facility,
        resource=room,
        reason=ClosureReason.ENVIRONMENTAL_MONITORING,
        period=DateTimeTZRange(at(booking_day, "14:00"), at(booking_day, "16:00")),
    )
    services.create_closure(closure, facility_user)
    client.force_login(booker)
    assert "Closed: Environmental monitoring" in client.get(week_url(room, booking_day)).text


def test_a_week_with_the_change_to_summer_time_shows_local_hours(client, room, booker, admitted_project):
    # 2027-03-28 is the last Sunday of March: clocks go from 02:00 to 03:00.
    room.facility.open_weekdays = list(range(7))
    room.facility.save()
    sunday_nine = datetime.datetime(2027, 3, 28, 7, 0, tzinfo=datetime.UTC)  # 09:00 summer time (+02:00)
    Booking.objects.create(
        resource=room,
        project=admitted_project,
        booked_by=booker,
        purpose="Sunday run",
        status=BookingStatus.APPROVED,
        period=DateTimeTZRange(sunday_nine, sunday_nine + datetime.timedelta(hours=1)),
    )
    client.force_login(booker)
    response = client.get(f"{room.get_absolute_url()}?week=2027-W12")
    assert response.status_code == 200
    rows = response.text.split("<tr>")
    nine = next(row for row in rows if '<th scope="row">09:00</th>' in row)
    eight = next(row for row in rows if '<th scope="row">08:00</th>' in row)
    assert "Sunday run" in nine  # the last column, Sunday, at 09:00 local
    assert "Sunday run" not in eight
    assert '<th scope="row">07:00</th>' in response.text
    assert '<th scope="row">18:30</th>' in response.text


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("resource", "week=2026-W99"),
        ("resource", "week=garbage"),
        ("resource", "week=%00"),
        ("facility", "date=2026-02-30"),
        ("facility", "date=yesterday"),
        ("month", "month=2026-13"),
        ("month", "month=x" * 50),
    ],
)
def test_garbage_parameters_give_a_clear_400(client, room, booker, url, parameter):
    client.force_login(booker)
    path = {
        "resource": room.get_absolute_url(),
        "facility": room.facility.get_absolute_url(),
        "month": reverse("facilities:resource_month", args=[room.slug]),
    }[url]
    response = client.get(f"{path}?{parameter}")
    assert response.status_code == 400
    assert "write it as" in response.text


def test_no_parameter_shows_today(client, room, booker):
    client.force_login(booker)
    for path in (
        room.get_absolute_url(),
        room.facility.get_absolute_url(),
        reverse("facilities:resource_month", args=[room.slug]),
    ):
        assert client.get(path).status_code == 200


def test_the_facility_day_has_a_row_per_resource(client, booking, room, equipment, booker, booking_day):
    client.force_login(booker)
    response = client.get(f"{room.facility.get_absolute_url()}?date={booking_day}")
    assert 'class="calendar-booked" colspan="4"' in response.text
    assert f'<th scope="row"><a href="{equipment.get_absolute_url()}">' in response.text


def test_the_month_shows_the_booked_share_of_each_day(client, booking, room, booker, booking_day):
    client.force_login(booker)
    response = client.get(reverse("facilities:resource_month", args=[room.slug]), {"month": f"{booking_day:%Y-%m}"})
    assert "17 % booked" in response.text  # 2 of 12 opening hours


def _many_bookings(room, project, user, first_day, count):
    """``count`` one-hour bookings, side by side in the calendar weeks and month of ``first_day``."""
    bookings = []
    for n in range(count):
        start = datetime.datetime.combine(first_day, datetime.time(7), tzinfo=datetime.UTC)
        start += datetime.timedelta(minutes=n)  # overlap is refused for one resource: tiny distinct periods
        bookings.append(
            Booking(
                resource=room,
                project=project,
                booked_by=user,
                purpose=f"Run {n}",
                status=BookingStatus.CANCELLED if n % 2 else BookingStatus.APPROVED,
                period=DateTimeTZRange(start, start + datetime.timedelta(minutes=1)),
            )
        )
    Booking.objects.bulk_create(bookings)


@pytest.mark.parametrize("page", ["week", "day", "month"])
def test_calendar_queries_do_not_grow_with_bookings(
    client, room, equipment, booker, admitted_project, booking_day, page, django_assert_max_num_queries
):
    client.force_login(booker)
    path = {
        "week": week_url(room, booking_day),
        "day": f"{room.facility.get_absolute_url()}?date={booking_day}",
        "month": f"{reverse('facilities:resource_month', args=[room.slug])}?month={booking_day:%Y-%m}",
    }[page]
    _many_bookings(room, admitted_project, booker, booking_day, 10)
    with django_assert_max_num_queries(12) as few:
        assert client.get(path).status_code == 200
    Booking.objects.all().delete()
    _many_bookings(room, admitted_project, booker, booking_day, 1000)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(path).status_code == 200
