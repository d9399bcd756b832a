"""Calendar pages: the resource week, the facility day and the month; what each viewer sees; bad parameters."""

import datetime
import uuid

import pytest
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.urls import reverse
from django.utils import timezone

from facilities import calendar, services
from facilities.calendar import iso_week
from facilities.models import Booking, BookingStatus
from facilities.services import BookingError
from projects.models import ProjectStatus
from tests.helpers import bulk_bookings

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(book_room):
    return book_room("09:00", "11:00", "Media fill run")


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
    assert booking.get_absolute_url() not in response.text


def test_members_of_the_group_see_their_bookings_in_full_with_a_link(client, booking, room, pi, booking_day):
    client.force_login(pi)
    response = client.get(week_url(room, booking_day))
    assert "Media fill run" in response.text
    assert f'href="{booking.get_absolute_url()}"' in response.text


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


@pytest.mark.parametrize(
    ("week", "monday_nine_utc", "sunday_nine_utc"),
    [
        # 2027-03-28, the last Sunday of March: from winter time (+01:00) to summer time (+02:00).
        (
            "2027-W12",
            datetime.datetime(2027, 3, 22, 8, tzinfo=datetime.UTC),
            datetime.datetime(2027, 3, 28, 7, tzinfo=datetime.UTC),
        ),
        # 2027-10-31, the last Sunday of October: back from summer time to winter time.
        (
            "2027-W43",
            datetime.datetime(2027, 10, 25, 7, tzinfo=datetime.UTC),
            datetime.datetime(2027, 10, 31, 8, tzinfo=datetime.UTC),
        ),
    ],
)
def test_a_week_with_a_daylight_saving_change_shows_local_hours(
    client, room, booker, admitted_project, week, monday_nine_utc, sunday_nine_utc
):
    room.facility.open_weekdays = list(range(7))
    room.facility.closed_on_public_holidays = False  # both change days are holidays in 2027
    room.facility.save()
    for start, purpose in ((monday_nine_utc, "Monday run"), (sunday_nine_utc, "Sunday run")):
        Booking.objects.create(
            resource=room,
            project=admitted_project,
            booked_by=booker,
            purpose=purpose,
            status=BookingStatus.APPROVED,
            period=DateTimeTZRange(start, start + datetime.timedelta(hours=1)),
        )
    client.force_login(booker)
    response = client.get(f"{room.get_absolute_url()}?week={week}")
    assert response.status_code == 200
    rows = {row.split("</th>")[0]: row for row in response.text.split('<th scope="row">')[1:]}
    assert "Monday run" in rows["09:00"] and "Sunday run" in rows["09:00"]
    assert "Monday run" not in rows["08:00"] + rows["10:00"]
    assert "Sunday run" not in rows["08:00"] + rows["10:00"]
    times = list(rows)
    assert (times[0], times[-1], len(times)) == ("07:00", "18:30", 24)  # the same wall-clock hours every day


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


def _many_bookings(room, project, user, first_day, count, entrants=()):
    """``count`` one-minute bookings of one series, side by side in the calendar weeks and month of ``first_day``."""
    bulk_bookings(
        count,
        resource=room,
        project=project,
        user=user,
        first=datetime.datetime.combine(first_day, datetime.time(7), tzinfo=datetime.UTC),
        # overlap is refused for one resource: tiny distinct periods
        step=datetime.timedelta(minutes=1),
        length=datetime.timedelta(minutes=1),
        status=lambda n: BookingStatus.CANCELLED if n % 2 else BookingStatus.APPROVED,
        entrants=entrants,
        series=uuid.uuid4(),
    )


@pytest.mark.parametrize("page", ["week", "day", "month"])
def test_calendar_queries_do_not_grow_with_bookings(
    client, room, equipment, booker, team, admitted_project, booking_day, page, django_assert_max_num_queries
):
    client.force_login(booker)
    path = {
        "week": week_url(room, booking_day),
        "day": f"{room.facility.get_absolute_url()}?date={booking_day}",
        "month": f"{reverse('facilities:resource_month', args=[room.slug])}?month={booking_day:%Y-%m}",
    }[page]
    entrants = team(2)
    _many_bookings(room, admitted_project, booker, booking_day, 10, entrants)
    with django_assert_max_num_queries(12) as few:
        assert client.get(path).status_code == 200
    Booking.objects.all().delete()
    _many_bookings(room, admitted_project, booker, booking_day, 1000, entrants)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(path).status_code == 200


# --- The week calendar asks the booking service's changeover rule ---


def _day_column(grid, day) -> dict:
    """The kind of each half-hour cell of ``day``, a cell spanning several rows counted in each of them."""
    column = grid["days"].index(day)
    kinds, last = {}, None
    for row in grid["rows"]:
        cell = row.cells[column]
        last = cell or last
        kinds[row.time] = last.kind
    return kinds


@pytest.mark.parametrize("neighbour", ["same project", "different project"])
def test_the_week_calendar_and_the_booking_service_agree_on_changeover(
    neighbour, booker, room, group, admitted_project, make_project, booking_day, at
):
    other_project = make_project(group, status=ProjectStatus.ACTIVE, acronym="OTH", gmo_class=1)
    services.create_booking(
        by=booker,
        resource=room,
        project=admitted_project,
        period=DateTimeTZRange(at(booking_day, "10:00"), at(booking_day, "11:00")),
        purpose="Neighbour",
    )
    project = admitted_project if neighbour == "same project" else other_project
    grid = calendar.week_grid(room, booking_day, calendar.Viewer(booker, project))
    kinds = _day_column(grid, booking_day)
    changeover = {time for time, kind in kinds.items() if kind == "changeover"}
    if neighbour == "same project":
        assert not changeover  # back-to-back is a campaign
    else:  # the room's 60 minutes before and after the other project's booking
        assert {f"{time:%H:%M}" for time in changeover} == {"09:00", "09:30", "11:00", "11:30"}
    checked = {"changeover": 0, "free": 0}
    for time, kind in kinds.items():
        if kind not in checked:
            continue
        start = at(booking_day, f"{time:%H:%M}")
        slot = DateTimeTZRange(start, start + datetime.timedelta(minutes=30))
        if kind == "changeover":
            with pytest.raises(BookingError, match="minutes of changeover"):
                services.check_booking(booker, room, project, slot)
        else:
            services.check_booking(booker, room, project, slot)
        checked[kind] += 1
    assert checked["free"] > 0
    assert checked["changeover"] == (0 if neighbour == "same project" else 4)


def test_the_resource_page_shows_changeover_for_the_chosen_project(client, booking, room, booker, booking_day):
    client.force_login(booker)
    assert "calendar-changeover" in client.get(week_url(room, booking_day)).text
    response = client.get(f"{week_url(room, booking_day)}&project={booking.project_id}")
    assert response.status_code == 200
    assert "calendar-changeover" not in response.text
    assert f"project={booking.project_id}" in response.text  # free cells and week links keep the project


def test_a_project_the_viewer_cannot_book_for_is_a_bad_parameter(client, room, outsider, admitted_project):
    client.force_login(outsider)
    response = client.get(f"{room.get_absolute_url()}?project={admitted_project.pk}")
    assert response.status_code == 400
    assert "accepted or active projects" in response.text


def test_a_multi_day_booking_runs_across_the_days_of_a_round_the_clock_week(
    client, booker, room, admitted_project, booking_day, at
):
    room.round_the_clock = True
    room.save()
    friday, sunday = booking_day + datetime.timedelta(days=4), booking_day + datetime.timedelta(days=6)
    services.create_booking(
        by=booker,
        resource=room,
        project=admitted_project,
        period=DateTimeTZRange(at(friday, "16:00"), at(sunday, "12:00")),
        purpose="Expansion over the weekend",
    )
    grid = calendar.week_grid(room, booking_day, calendar.Viewer(booker))
    assert len(grid["days"]) == 7
    assert grid["rows"][0].time == datetime.time(0, 0)
    saturday_cells = [row.cells[5] for row in grid["rows"]]
    assert saturday_cells[0].kind == "booked" and saturday_cells[0].span == 48  # the whole day, one cell
    friday_cells = [row.cells[4] for row in grid["rows"] if row.cells[4]]
    assert [cell.kind for cell in friday_cells if cell.start.hour >= 16] == ["booked"]
    saturday = sunday - datetime.timedelta(days=1)
    month = calendar.month_overview(room, saturday.replace(day=1))
    saturday_share = next(d for week in month["weeks"] for d in week if d and d.day == saturday)
    assert saturday_share.is_open and saturday_share.booked_percent == 100


@pytest.mark.parametrize("round_the_clock", [False, True], ids=["opening-hours", "round-the-clock"])
def test_every_free_cell_the_week_links_is_accepted_by_the_booking_service(
    client, booker, room, group, admitted_project, make_project, booking_day, at, facility_user, round_the_clock
):
    """A walk through this week and the next two, with another project's booking, a closure, lead time and
    a short how-far-ahead window: each linked cell's start and end are a booking the service accepts."""
    from urllib.parse import parse_qs, urlsplit

    from facilities.models import Closure, ClosureReason

    other = make_project(group, status=ProjectStatus.ACTIVE, acronym="OTH", gmo_class=1)
    services.create_booking(
        by=booker,
        resource=room,
        project=other,
        period=DateTimeTZRange(at(booking_day, "10:00"), at(booking_day, "11:00")),
        purpose="Another project",
    )
    services.create_closure(
        Closure(
            facility=room.facility,
            resource=room,
            reason=ClosureReason.CLEANING,
            period=DateTimeTZRange(at(booking_day, "14:00"), at(booking_day, "15:30")),
        ),
        facility_user,
    )
    room.lead_time_hours, room.booking_horizon_days, room.min_duration_minutes = 30, 12, 60
    room.round_the_clock = round_the_clock
    room.save()
    today = timezone.localdate()
    walked = {"free": 0, "unavailable": 0}
    for weeks in range(3):
        monday = today - datetime.timedelta(days=today.weekday()) + datetime.timedelta(weeks=weeks)
        grid = calendar.week_grid(room, monday, calendar.Viewer(booker, admitted_project))
        for row in grid["rows"]:
            for cell in filter(None, row.cells):
                if cell.kind in walked:
                    walked[cell.kind] += 1
                if not cell.url or cell.kind != "free":
                    continue
                query = parse_qs(urlsplit(cell.url).query)
                period = DateTimeTZRange(
                    timezone.make_aware(datetime.datetime.fromisoformat(query["start"][0])),
                    timezone.make_aware(datetime.datetime.fromisoformat(query["end"][0])),
                )
                assert period.upper - period.lower == datetime.timedelta(minutes=60)
                services.check_booking(booker, room, admitted_project, period)
    assert walked["free"] > 0 and walked["unavailable"] > 0


def test_a_free_cell_fills_the_form_s_start_and_end(client, booker, room, booking_day):
    client.force_login(booker)
    response = client.get(week_url(room, booking_day))
    start = f"{booking_day}T09:00"
    end = f"{booking_day}T09:30"
    assert f"start={start}&amp;end={end}" in response.text
    form = client.get(reverse("facilities:booking_new"), {"resource": room.slug, "start": start, "end": end}).text
    assert f'value="{start}"' in form and f'value="{end}"' in form


def test_the_calendars_say_why_a_day_is_closed(client, booker, room):
    christmas = datetime.date(2026, 12, 25)
    client.force_login(booker)
    week = client.get(f"{room.get_absolute_url()}?week={iso_week(christmas)}").text
    assert "Closed on Fri 25 Dec: Christmas Day." in week
    day = client.get(f"{room.facility.get_absolute_url()}?date={christmas}").text
    assert "The facility is closed on this day: Christmas Day." in day
