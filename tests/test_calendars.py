"""Calendar pages: the facility schedule, the resource week and the month; what each viewer sees; bad parameters.

The schedule and the week are built from intervals: each block's place and size come from its times, free
time is one link per free stretch, and the booking service accepts what each link proposes.
"""

import datetime
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.urls import reverse
from django.utils import timezone, translation

from facilities import calendar, services
from facilities.calendar import EN_DASH as DASH
from facilities.calendar import iso_week
from facilities.models import Booking, BookingStatus, Closure, ClosureReason, Resource, ResourceKind
from facilities.periods import local_days
from facilities.services import BookingError
from projects.models import ProjectStatus
from tests.helpers import bulk_bookings, rendered_nodes

pytestmark = pytest.mark.django_db


@pytest.fixture
def booking(book_room):
    return book_room("09:00", "11:00", "Media fill run")


def week_url(room, day):
    return f"{room.get_absolute_url()}?week={iso_week(day)}"


def schedule_url(facility, day, days=1):
    return f"{reverse('facilities:facility_schedule', args=[facility.slug])}?date={day}&days={days}"


def week_row(room, monday, day, viewer):
    """The pieces of ``day``'s row in the resource's week."""
    week = calendar.week_schedule(room, monday, viewer)
    return next(row.pieces for row in week["rows"] if row.day == day)


def schedule_lane(facility, resource, day, viewer, days=1):
    resources = list(facility.resources.active().select_related("room").order_by("kind", "name"))
    schedule = calendar.facility_schedule(facility, resources, day, days, viewer)
    return next(lane.pieces for lane in schedule["lanes"] if lane.resource == resource)


def proposed_period(url) -> DateTimeTZRange:
    """The start and end a link to the booking form fills in."""
    query = parse_qs(urlsplit(url).query)
    return DateTimeTZRange(
        timezone.make_aware(datetime.datetime.fromisoformat(query["start"][0])),
        timezone.make_aware(datetime.datetime.fromisoformat(query["end"][0])),
    )


# --- Blocks placed and sized by their times ---


def test_a_booking_from_ten_to_twelve_is_one_block_placed_and_sized_by_its_times(
    booker, room, book_room, booking_day, at
):
    booking = book_room("10:00", "12:00", "Media fill run")
    pieces = schedule_lane(room.facility, room, booking_day, calendar.Viewer(booker))
    [block] = [piece for piece in pieces if piece.block.period == booking.period]
    # The day shows from 07:00 in five-minute columns: three hours in, two hours wide.
    assert (block.offset, block.units) == (36, 24)
    assert block.kind == booking.status
    assert block.text.startswith(f"10:00{DASH}12:00 ")
    assert "Media fill run" in block.text
    assert sum(piece.units for piece in pieces) == 144  # 07:00 to 19:00, nothing left out
    assert f'class="b b-{booking.status} u24"' in block.html


@pytest.mark.parametrize("round_the_clock", [False, True], ids=["twelve-hours", "twenty-four-hours"])
def test_blocks_come_from_intervals_not_from_the_hours_shown(booker, room, book_room, booking_day, round_the_clock):
    """An empty day is one free block, a day with one booking a handful, however many hours the row shows."""
    room.round_the_clock = round_the_clock
    room.save()
    viewer = calendar.Viewer(booker)
    assert [piece.kind for piece in schedule_lane(room.facility, room, booking_day, viewer)] == ["free"]
    booking = book_room("10:00", "12:00", "Media fill run")
    kinds = [piece.kind for piece in schedule_lane(room.facility, room, booking_day, viewer)]
    assert kinds == ["free", "changeover", booking.status, "changeover", "free"]


@pytest.mark.parametrize("page", ["schedule", "week"])
def test_the_calendars_render_as_many_template_nodes_for_twenty_bookings_as_for_one(
    client, room, booker, admitted_project, booking_day, at, page, monkeypatch
):
    """A row of blocks is one node, however many bookings, closures and free stretches it shows."""
    client.force_login(booker)
    path = schedule_url(room.facility, booking_day) if page == "schedule" else week_url(room, booking_day)
    hour = datetime.timedelta(hours=1)
    bulk_bookings(1, resource=room, project=admitted_project, user=booker, first=at(booking_day, "08:00"))
    one = rendered_nodes(client, path, monkeypatch)
    Booking.objects.all().delete()
    bulk_bookings(
        20, resource=room, project=admitted_project, user=booker, first=at(booking_day, "08:00"), step=hour / 3
    )
    blocks = len(schedule_lane(room.facility, room, booking_day, calendar.Viewer(booker)))
    assert blocks > 20  # the bookings and the time between them
    assert rendered_nodes(client, path, monkeypatch) == one


def test_the_bookings_of_some_resources_are_theirs_alone(room, booker, admitted_project, booking_day, at):
    """Resources are found by a multirange of their keys: one numbered between them keeps its bookings."""
    between, last = (
        Resource.objects.create(facility=room.facility, kind=ResourceKind.ROOM, name=name, slug=name.lower())
        for name in ("Between", "Last")
    )
    for resource in (room, between, last):
        bulk_bookings(2, resource=resource, project=admitted_project, user=booker, first=at(booking_day, "09:00"))
    found = Booking.objects.of_resources_overlapping([last.pk, room.pk], local_days(booking_day, booking_day))
    assert sorted(booking.resource_id for booking in found) == [room.pk, room.pk, last.pk, last.pk]


def test_a_booking_just_made_shows_on_the_booker_s_next_calendar_request(
    client, room, booker, admitted_project, booking_day
):
    client.force_login(booker)
    pages = [
        week_url(room, booking_day),
        schedule_url(room.facility, booking_day),
        schedule_url(room.facility, booking_day, 7),
    ]
    for page in pages:
        assert "Media fill just booked" not in client.get(page).text
    response = client.post(
        reverse("facilities:booking_new"),
        {
            "resource": room.slug,
            "project": admitted_project.pk,
            "start": f"{booking_day}T09:00",
            "end": f"{booking_day}T11:00",
            "entrants": [booker.pk],
            "purpose": "Media fill just booked",
        },
    )
    assert response.status_code == 302
    for page in pages:
        assert "Media fill just booked" in client.get(page).text


def test_the_week_shows_the_booking_its_changeover_and_one_free_link_per_free_stretch(
    client, booking, room, booker, booking_day
):
    client.force_login(booker)
    response = client.get(week_url(room, booking_day))
    assert response.status_code == 200
    pieces = week_row(room, booking_day, booking_day, calendar.Viewer(booker))
    summary = [(piece.kind, piece.text.split(" ")[-1] if piece.kind == "free" else piece.text[:11]) for piece in pieces]
    assert summary == [
        ("free", f"07:00{DASH}08:00"),
        ("changeover", f"08:00{DASH}09:00"),  # an hour on either side, for a project other than the booking's
        (booking.status, f"09:00{DASH}11:00"),
        ("changeover", f"11:00{DASH}12:00"),
        ("free", f"12:00{DASH}19:00"),
    ]
    free = pieces[-1].block
    assert pieces[-1].text == f"Free 12:00{DASH}19:00"
    assert proposed_period(free.url) == DateTimeTZRange(free.start, free.end)  # the whole stretch, one link
    assert f"start={booking_day:%Y-%m-%d}T12:00&amp;end={booking_day:%Y-%m-%d}T19:00" in response.text
    assert response.text.count(f">Free 12:00{DASH}19:00</a>") == 2  # the table and the narrow screen's day list


def test_researchers_of_other_groups_see_the_status_and_group_name_only(client, booking, room, outsider, booking_day):
    client.force_login(outsider)
    response = client.get(week_url(room, booking_day))
    assert f"{booking.get_status_display()}: Stem Cell Lab" in response.text
    assert "Media fill run" not in response.text
    assert booking.get_absolute_url() not in response.text


def test_members_of_the_group_see_their_bookings_in_full_with_a_link(client, booking, room, pi, booking_day):
    client.force_login(pi)
    response = client.get(week_url(room, booking_day))
    assert "Media fill run" in response.text
    assert f'href="{booking.get_absolute_url()}"' in response.text


def test_staff_see_everything(client, booking, room, facility_user, booking_day):
    client.force_login(facility_user)
    assert "Media fill run" in client.get(schedule_url(room.facility, booking_day)).text
    assert "Media fill run" in client.get(week_url(room, booking_day)).text


def test_closures_show_as_closed_in_words(client, room, booker, facility_user, booking_day, at):
    closure = Closure(
        facility=room.facility,
        resource=room,
        reason=ClosureReason.ENVIRONMENTAL_MONITORING,
        period=DateTimeTZRange(at(booking_day, "14:00"), at(booking_day, "16:00")),
    )
    services.create_closure(closure, facility_user)
    client.force_login(booker)
    assert f"14:00{DASH}16:00 Closed: Environmental monitoring" in client.get(week_url(room, booking_day)).text
    assert (
        f"14:00{DASH}16:00 Closed: Environmental monitoring"
        in client.get(schedule_url(room.facility, booking_day)).text
    )


def test_a_room_on_hold_shows_on_hold_and_no_free_time(client, room, equipment, booker, facility_user, booking_day):
    from logbook.models import HoldCause
    from logbook.services import hold_room

    hold_room(room, by=facility_user, cause=HoldCause.QUARANTINE, note="Mould found behind the pass-through")
    pieces = schedule_lane(room.facility, equipment, booking_day, calendar.Viewer(booker))
    assert {piece.kind for piece in pieces} == {"hold"}  # the equipment standing in the room too
    client.force_login(booker)
    response = client.get(schedule_url(room.facility, booking_day))
    assert "On hold" in response.text and "quality assurance releases it" in response.text
    assert 'class="b b-free' not in response.text


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
    monday = calendar.parse_week(week)
    rows = calendar.week_schedule(room, monday, calendar.Viewer(booker))["rows"]
    for row, purpose in ((rows[0], "Monday run"), (rows[6], "Sunday run")):
        [run] = [piece for piece in row.pieces if purpose in piece.text]
        assert run.text.startswith(f"09:00{DASH}10:00")
        assert (run.offset, run.units) == (24, 12)  # two hours after 07:00 on either day, one hour wide
        assert sum(piece.units for piece in row.pieces) == 144  # the same wall-clock hours every day
    client.force_login(booker)
    assert client.get(f"{room.get_absolute_url()}?week={week}").status_code == 200


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("resource", "week=2026-W99"),
        ("resource", "week=garbage"),
        ("resource", "week=%00"),
        ("facility", "date=2026-02-30"),
        ("facility", "date=yesterday"),
        ("schedule", "date=2026-13-01"),
        ("schedule", "days=3"),
        ("schedule", "days=%00"),
        ("month", "month=2026-13"),
        ("month", "month=x" * 50),
    ],
)
def test_garbage_parameters_give_a_clear_400(client, room, booker, url, parameter):
    client.force_login(booker)
    path = {
        "resource": room.get_absolute_url(),
        "facility": room.facility.get_absolute_url(),
        "schedule": reverse("facilities:facility_schedule", args=[room.facility.slug]),
        "month": reverse("facilities:resource_month", args=[room.slug]),
    }[url]
    response = client.get(f"{path}?{parameter}")
    assert response.status_code == 400
    assert "write it as" in response.text or "write 1 or 7" in response.text


def test_no_parameter_shows_today(client, room, booker):
    client.force_login(booker)
    for path in (
        room.get_absolute_url(),
        room.facility.get_absolute_url(),
        reverse("facilities:facility_schedule", args=[room.facility.slug]),
        reverse("facilities:resource_month", args=[room.slug]),
    ):
        assert client.get(path).status_code == 200


def test_the_facility_day_is_the_schedule_with_a_row_per_resource(
    client, booking, room, equipment, booker, booking_day
):
    client.force_login(booker)
    for path in (f"{room.facility.get_absolute_url()}?date={booking_day}", schedule_url(room.facility, booking_day)):
        response = client.get(path)
        assert f'class="b b-{booking.status} u24"' in response.text  # 09:00-11:00 in five-minute columns
        assert (
            f'<span role="rowheader" class="schedule-name"><a href="{equipment.get_absolute_url()}">' in response.text
        )
        assert 'class="schedule-scroll"' in response.text  # scrolls inside its own box


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


# Each calendar's queries: session and user, then week: resource (with facility and room), exception days,
# closures, bookings, holds, the viewer's projects; day and schedule: facility, its resources, exception days,
# bookings, closures, holds, projects; month: resource, bookings, exception days.
CALENDAR_QUERIES = {"week": 8, "day": 9, "schedule": 9, "month": 5}


@pytest.mark.parametrize("page", ["week", "day", "schedule", "month"])
def test_calendar_queries_do_not_grow_with_bookings(
    client, room, equipment, booker, team, admitted_project, booking_day, page, django_assert_num_queries
):
    client.force_login(booker)
    path = {
        "week": week_url(room, booking_day),
        "day": f"{room.facility.get_absolute_url()}?date={booking_day}",
        "schedule": schedule_url(room.facility, booking_day, days=7),
        "month": f"{reverse('facilities:resource_month', args=[room.slug])}?month={booking_day:%Y-%m}",
    }[page]
    entrants = team(2)
    _many_bookings(room, admitted_project, booker, booking_day, 10, entrants)
    with django_assert_num_queries(CALENDAR_QUERIES[page]):
        assert client.get(path).status_code == 200
    Booking.objects.all().delete()
    _many_bookings(room, admitted_project, booker, booking_day, 1000, entrants)
    with django_assert_num_queries(CALENDAR_QUERIES[page]):
        assert client.get(path).status_code == 200


def test_the_schedule_queries_do_not_grow_with_resources(
    client, facility, room, booker, django_assert_max_num_queries, booking_day
):
    from facilities.models import Resource, ResourceKind

    client.force_login(booker)
    with django_assert_max_num_queries(12) as few:
        assert client.get(schedule_url(facility, booking_day, days=7)).status_code == 200
    Resource.objects.bulk_create(
        Resource(
            facility=facility, kind=ResourceKind.EQUIPMENT, name=f"Incubator {n}", slug=f"incubator-{n}", room=room
        )
        for n in range(30)
    )
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(schedule_url(facility, booking_day, days=7)).status_code == 200


@pytest.mark.parametrize("days", [1, 7])
def test_the_schedule_shows_a_page_of_resources_says_so_and_links_to_the_others(
    client, facility, room, booker, booking_day, days, django_assert_max_num_queries
):
    from facilities.models import Resource, ResourceKind

    per_page = calendar.RESOURCES_PER_PAGE[days]
    Resource.objects.bulk_create(
        Resource(facility=facility, kind=ResourceKind.EQUIPMENT, name=f"Incubator {n:02d}", slug=f"inc-{n}", room=room)
        for n in range(2 * per_page)
    )
    total = facility.resources.active().count()
    client.force_login(booker)
    with django_assert_max_num_queries(12) as first:
        response = client.get(schedule_url(facility, booking_day, days))
    assert response.text.count('role="rowheader"') == per_page
    assert f"Resources 1{DASH}{per_page} of {total}" in response.text
    assert f"?date={booking_day}&amp;days={days}&amp;page=2" in response.text  # the pager keeps the day shown
    with django_assert_max_num_queries(len(first.captured_queries)):
        last = client.get(f"{schedule_url(facility, booking_day, days)}&page=3")
    assert last.text.count('role="rowheader"') == total - 2 * per_page
    assert f"Resources {2 * per_page + 1}{DASH}{total} of {total}" in last.text
    assert f"date={booking_day - datetime.timedelta(days=days)}&amp;days={days}&amp;page=3" in last.text


# --- The calendars ask the booking service's rules, once per free stretch ---


@pytest.mark.parametrize("neighbour", ["same project", "different project"])
def test_the_week_and_the_booking_service_agree_on_changeover(
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
    pieces = week_row(room, booking_day, booking_day, calendar.Viewer(booker, project))
    changeover = [(piece.block.start, piece.block.end) for piece in pieces if piece.kind == "changeover"]
    if neighbour == "same project":
        assert not changeover  # back-to-back is a campaign
        assert [piece.kind for piece in pieces].count("free") == 2  # before and after, each one stretch
    else:  # the room's 60 minutes before and after the other project's booking
        assert changeover == [
            (at(booking_day, "09:00"), at(booking_day, "10:00")),
            (at(booking_day, "11:00"), at(booking_day, "12:00")),
        ]
        for start, end in changeover:
            with pytest.raises(BookingError, match="minutes of changeover"):
                services.check_booking(booker, room, project, DateTimeTZRange(start, end))
    for piece in pieces:
        if piece.kind == "free":
            services.check_booking(booker, room, project, proposed_period(piece.block.url))


def test_the_resource_page_shows_changeover_for_the_chosen_project(client, booking, room, booker, booking_day):
    client.force_login(booker)
    assert 'class="b b-changeover' in client.get(week_url(room, booking_day)).text
    response = client.get(f"{week_url(room, booking_day)}&project={booking.project_id}")
    assert response.status_code == 200
    assert 'class="b b-changeover' not in response.text
    assert f"project={booking.project_id}" in response.text  # free links and week links keep the project


def test_a_project_the_viewer_cannot_book_for_is_a_bad_parameter(client, room, outsider, admitted_project):
    client.force_login(outsider)
    response = client.get(f"{room.get_absolute_url()}?project={admitted_project.pk}")
    assert response.status_code == 400
    assert "accepted or active projects" in response.text


def test_a_multi_day_booking_runs_across_the_days(client, booker, room, admitted_project, booking_day, at):
    room.round_the_clock = True
    room.save()
    friday, sunday = booking_day + datetime.timedelta(days=4), booking_day + datetime.timedelta(days=6)
    [booking] = services.create_booking(
        by=booker,
        resource=room,
        project=admitted_project,
        period=DateTimeTZRange(at(friday, "16:00"), at(sunday, "12:00")),
        purpose="Expansion over the weekend",
    )
    # The seven-day schedule: one block from Friday 16:00 to Sunday 12:00, 44 hours of quarter-hour columns.
    pieces = schedule_lane(room.facility, room, booking_day, calendar.Viewer(booker), days=7)
    [run] = [piece for piece in pieces if piece.block.period == booking.period]
    assert (run.offset, run.units) == ((4 * 24 + 16) * 4, 44 * 4)
    assert "Expansion over the weekend" in run.text and f"{DASH}" in run.text
    # The week: each day's row shows its part, Saturday the whole day.
    rows = calendar.week_schedule(room, booking_day, calendar.Viewer(booker))["rows"]
    saturday = rows[5].pieces
    assert [(piece.kind, piece.units) for piece in saturday] == [(booking.status, 288)]
    assert rows[4].pieces[-1].block is saturday[0].block or rows[4].pieces[-1].block.period == booking.period
    assert rows[6].pieces[0].block.period == booking.period
    client.force_login(booker)
    response = client.get(schedule_url(room.facility, booking_day, days=7))
    assert f'u{44 * 4}"' in response.text
    saturday_date = sunday - datetime.timedelta(days=1)
    month = calendar.month_overview(room, saturday_date.replace(day=1))
    saturday_share = next(d for week in month["weeks"] for d in week if d and d.day == saturday_date)
    assert saturday_share.is_open and saturday_share.booked_percent == 100


def _stretches_of(pieces):
    """The blocks of a row, each once, with the periods they show."""
    seen = {}
    for piece in pieces:
        seen.setdefault(id(piece.block), piece.block)
    return list(seen.values())


@pytest.mark.parametrize("round_the_clock", [False, True], ids=["opening-hours", "round-the-clock"])
def test_every_free_link_is_accepted_and_nothing_the_service_accepts_shows_as_busy(
    booker, room, group, admitted_project, make_project, booking_day, at, facility_user, round_the_clock
):
    """This week and the next two, with another project's booking, a closure, lead time and a short
    how-far-ahead window: each free link's start and end are a booking the service accepts, and every
    hour the service would accept lies in free time."""
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
    room.max_duration_minutes = 240
    room.round_the_clock = round_the_clock
    room.save()
    today = timezone.localdate()
    viewer = calendar.Viewer(booker, admitted_project)
    walked = {"free": 0, "unavailable": 0, "accepted": 0}
    for weeks in range(3):
        monday = today - datetime.timedelta(days=today.weekday()) + datetime.timedelta(weeks=weeks)
        rows = calendar.week_schedule(room, monday, viewer)["rows"]
        blocks = _stretches_of(piece for row in rows for piece in row.pieces)
        free = []
        for block in blocks:
            if block.kind in walked:
                walked[block.kind] += 1
            if block.kind == "free":
                period = proposed_period(block.url)
                assert period.lower == block.start and period.upper <= block.end  # from the stretch's start
                services.check_booking(booker, room, admitted_project, period)
                free.append(block)
        # A sample: every hour on the half hour the service accepts is free time in the calendar.
        for row in rows:
            for half_hours in range(0, 48, 3):
                start = at(row.day, "00:00") + datetime.timedelta(minutes=30 * half_hours)
                hour = DateTimeTZRange(start, start + datetime.timedelta(hours=1))
                try:
                    services.check_booking(booker, room, admitted_project, hour)
                except BookingError:
                    continue
                walked["accepted"] += 1
                assert any(block.start <= hour.lower and hour.upper <= block.end for block in free), hour
    assert walked["free"] > 0 and walked["unavailable"] > 0 and walked["accepted"] > 0


def test_a_free_link_fills_the_form_and_the_booking_is_made_without_javascript(
    client, booker, room, admitted_project, booking_day
):
    client.force_login(booker)
    response = client.get(week_url(room, booking_day))
    start, end = f"{booking_day}T07:00", f"{booking_day}T17:00"  # the longest booking from the opening
    link = f"/bookings/new/?resource={room.slug}&amp;start={start}&amp;end={end}"
    assert link in response.text
    form = client.get(link.replace("&amp;", "&")).text
    assert f'value="{start}"' in form and f'value="{end}"' in form
    response = client.post(
        reverse("facilities:booking_new"),
        {"resource": room.slug, "project": admitted_project.pk, "start": start, "end": end, "purpose": "Media fill"},
    )
    assert response.status_code == 302, response.context["form"].errors if response.context else ""
    assert Booking.objects.filter(resource=room, purpose="Media fill").exists()


def test_the_calendars_say_why_a_day_is_closed(client, booker, room):
    christmas = datetime.date(2026, 12, 25)
    client.force_login(booker)
    week = client.get(f"{room.get_absolute_url()}?week={iso_week(christmas)}").text
    assert f"07:00{DASH}19:00 Closed: Christmas Day" in week
    day = client.get(f"{room.facility.get_absolute_url()}?date={christmas}").text
    assert "The facility is closed on this day: Christmas Day." in day


def test_the_schedule_speaks_swedish(client, booking, room, booker, booking_day):
    client.force_login(booker)
    with translation.override("sv"):
        response = client.get(schedule_url(room.facility, booking_day), HTTP_ACCEPT_LANGUAGE="sv")
    text = response.text
    for english in ("Free ", "Changeover", "Approved booking", "Resource", "Seven days", "Previous day"):
        assert english not in text
    assert f"Ledigt 12:00{DASH}19:00" in text
