"""The dashboard at /: each role finds its own section, and the page's queries do not grow with bookings."""

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from atmp_portal.dashboard import LONG_LIST, SHORT_LIST, booking_lists
from atmp_portal.links import link_pattern
from facilities.models import Booking, BookingStatus, Closure, ClosureReason, Resource, ResourceKind
from facilities.periods import local_datetime, local_days
from logbook.models import RoomHold
from projects.models import AtmpProject, ProjectStatus
from tests.helpers import bulk_bookings, rendered_nodes

pytestmark = pytest.mark.django_db

URL = reverse("dashboard")
FACILITY_HEADINGS = ("Booking requests waiting", "Today's bookings", "Room utilisation, week", "Closures ahead")
REVIEWER_HEADINGS = ("Projects waiting for review", "Project portfolio by ATMP class and development stage")


def today_at(hhmm: str) -> datetime.datetime:
    return local_datetime(timezone.localdate(), datetime.time.fromisoformat(hhmm))


@pytest.fixture(autouse=True)
def eight_in_the_morning():
    """The day's bookings lie ahead of "now" whatever the hour the suite runs at."""
    with time_machine.travel(today_at("08:00"), tick=True):
        yield


@pytest.fixture
def busy_day(room, equipment, admitted_project, booker, facility_user):
    """Today: one approved room booking and one request; equipment due in ten days; a closure next week."""
    Booking.objects.bulk_create(
        [
            Booking(
                resource=room,
                project=admitted_project,
                booked_by=booker,
                period=(today_at("10:00"), today_at("12:00")),
                purpose="Media fill",
                status=BookingStatus.APPROVED,
            ),
            Booking(
                resource=equipment,
                project=admitted_project,
                booked_by=booker,
                period=(today_at("23:00"), today_at("23:30")),
                purpose="Late run",
                status=BookingStatus.REQUESTED,
            ),
        ]
    )
    equipment.requalification_due = timezone.localdate() + datetime.timedelta(days=10)
    equipment.save()
    next_week = timezone.now() + datetime.timedelta(days=7)
    Closure.objects.create(
        facility=room.facility,
        resource=room,
        reason=ClosureReason.ENVIRONMENTAL_MONITORING,
        period=(next_week, next_week + datetime.timedelta(hours=4)),
        created_by=facility_user,
    )


def test_researchers_see_their_projects_bookings_and_expiring_qualifications(
    client, busy_day, booker, admitted_project, qualify, room
):
    qualify(booker, grade="C", valid_until=timezone.localdate() + datetime.timedelta(days=5))
    client.force_login(booker)
    page = client.get(URL).text
    assert admitted_project.get_absolute_url() in page and "Active" in page
    assert "Late run" not in page and Booking.objects.get(purpose="Late run").get_absolute_url() in page
    assert "Expiring within 30 days" in page and "Gowning qualification, Grade C" in page
    assert "Equipment training, Biosafety cabinet" in page
    for heading in FACILITY_HEADINGS + REVIEWER_HEADINGS:
        assert heading not in page


def test_facility_staff_see_the_queue_today_the_week_and_what_falls_due(
    client, busy_day, facility_user, room, equipment
):
    client.force_login(facility_user)
    page = client.get(URL).text
    for heading in FACILITY_HEADINGS:
        assert heading in page
    assert "1 request waits for approval." in page
    assert "10:00\u201312:00 · Grade B suite" in page
    assert '<td class="text-end">2.00</td>' in page  # this week's booked hours of the room
    assert f'<a href="{equipment.get_absolute_url()}">Biosafety cabinet</a> · Grade B suite · due' in page
    assert "Environmental monitoring" in page
    assert "Projects waiting for review" not in page


def test_facility_staff_see_only_the_busiest_rooms_of_the_week(client, busy_day, facility_user, room):
    """The week's table stays short however many rooms the centre has; the booked room comes first."""
    Resource.objects.bulk_create(
        Resource(facility=room.facility, kind=ResourceKind.ROOM, name=f"Quiet room {n:02d}", slug=f"quiet-{n}")
        for n in range(SHORT_LIST + 3)
    )
    client.force_login(facility_user)
    rows = client.get(URL).context["facility"]["week_utilisation"]
    assert len(rows) == SHORT_LIST
    assert room in [row.resource for row in rows]
    assert [row.resource.name for row in rows if row.resource != room] == [
        f"Quiet room {n:02d}" for n in range(SHORT_LIST - 1)
    ]


def test_reviewers_see_submissions_and_the_way_to_the_portfolio(client, group, make_project, reviewer):
    """The portfolio counts every project of the centre: the dashboard links to it rather than drawing it."""
    make_project(group, title="Waiting for review", status=ProjectStatus.SUBMITTED)
    client.force_login(reviewer)
    page = client.get(URL).text
    for heading in REVIEWER_HEADINGS:
        assert heading in page
    assert "Waiting for review" in page
    waiting = AtmpProject.objects.get(title="Waiting for review")
    assert f'<a href="{waiting.get_absolute_url()}">{waiting.code}</a>' in page
    assert f'href="{reverse("projects:project_portfolio")}"' in page
    assert '<svg class="bar-chart"' not in page
    assert "Booking requests waiting" not in page


def test_administrators_see_every_staff_section(client, busy_day, admin_user):
    client.force_login(admin_user)
    page = client.get(URL).text
    for heading in FACILITY_HEADINGS + REVIEWER_HEADINGS:
        assert heading in page


# The sections of one's own work, by their headings' ids: "My qualifications" is in the user menu too.
OWN_WORK_SECTIONS = ('id="my-groups"', 'id="my-projects"', 'id="my-next-bookings"', 'id="my-qualifications"')


def test_staff_outside_every_group_see_no_empty_sections_of_their_own(client, busy_day, facility_user, reviewer):
    for user in (facility_user, reviewer):
        client.force_login(user)
        page = client.get(URL).text
        for section in OWN_WORK_SECTIONS:
            assert section not in page, (user, section)


def test_staff_see_their_own_qualifications_and_a_member_of_a_group_all_of_their_own_work(
    client, busy_day, facility_user, group, qualify, member
):
    qualify(facility_user, grade="B")
    client.force_login(facility_user)
    page = client.get(URL).text
    assert 'id="my-qualifications"' in page and 'id="my-groups"' not in page
    client.force_login(member)
    page = client.get(URL).text
    for section in OWN_WORK_SECTIONS:
        assert section in page


def test_someone_with_no_role_yet_reads_how_to_join_a_group(client, make_user):
    client.force_login(make_user("newcomer"))
    page = client.get(URL).text
    assert 'id="my-groups"' in page
    assert "You are not a member of a research group yet." in page


@pytest.mark.parametrize("viewer", ["booker", "pi", "facility_user", "reviewer", "admin_user"])
def test_dashboard_queries_do_not_grow_with_bookings(
    client, request, room, admitted_project, booker, django_assert_max_num_queries, viewer
):
    start = timezone.now().replace(minute=0, second=0, microsecond=0)

    def bulk(count):
        Booking.objects.all().delete()
        bulk_bookings(
            count,
            resource=room,
            project=admitted_project,
            user=booker,
            first=start,
            status=lambda n: BookingStatus.REQUESTED if n % 2 else BookingStatus.APPROVED,
        )

    client.force_login(request.getfixturevalue(viewer))
    bulk(10)
    with django_assert_max_num_queries(30) as few:
        assert client.get(URL).status_code == 200
    bulk(2000)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(URL)
    expected = {
        "booker": "My next bookings",
        "pi": "My next bookings",
        "facility_user": "Booking requests waiting",
        "reviewer": "Projects waiting for review",
        "admin_user": "Booking requests waiting",
    }
    assert expected[viewer] in response.text


def test_the_cached_navigation_follows_a_role_change_and_a_language_switch_at_once(client, member):
    """The navigation is cached per roles, language and page; a change of either shows on the next request."""
    from django.contrib.auth.models import Group

    from atmp_portal.roles import FACILITY_STAFF

    client.force_login(member)
    reports = f'href="{reverse("facilities:usage_report")}">Reports</a>'
    assert reports not in client.get(URL).text
    member.groups.add(Group.objects.get_or_create(name=FACILITY_STAFF)[0])
    assert reports in client.get(URL).text
    client.post(reverse("set_language"), {"language": "sv", "next": URL})
    swedish = client.get(URL).text
    assert reports not in swedish and f'href="{reverse("facilities:usage_report")}">Rapporter</a>' in swedish
    member.groups.clear()
    client.post(reverse("set_language"), {"language": "en", "next": URL})
    assert reports not in client.get(URL).text


def test_bookings_in_a_room_on_hold_show_to_their_booker_and_to_facility_staff_with_the_way_to_check_in(
    client, busy_day, booker, facility_user, room, equipment
):
    """The room and the equipment standing in it are held together; their bookings link to the check-in."""
    equipment.room = room
    equipment.save()
    RoomHold.objects.create(room=room, cause="quarantine", placed_by=facility_user)
    check_ins = [reverse("logbook:check_in", args=[booking.pk]) for booking in Booking.objects.order_by("period")]
    for user in (booker, facility_user):
        client.force_login(user)
        page = client.get(URL).text
        assert "Bookings in rooms on hold" in page, user
        assert page.index(check_ins[0]) < page.index(check_ins[1]), user


def test_a_booking_shows_on_its_bookers_very_next_dashboard(client, booker, book_room):
    client.force_login(booker)
    assert "No upcoming bookings." in client.get(URL).text
    booking = book_room()
    page = client.get(URL).text
    assert booking.get_absolute_url() in page and "No upcoming bookings." not in page


@pytest.mark.parametrize("viewer", ["booker", "facility_user", "reviewer", "admin_user"])
def test_a_busy_centre_costs_the_dashboard_no_more_template_nodes_or_queries_than_a_page_of_each_list(
    client, request, monkeypatch, room, group, make_project, admitted_project, booker, facility_user, viewer
):
    """Every list stops at its page (a link leads to the rest), and each line is a fixed few template nodes."""
    RoomHold.objects.create(room=room, cause="quarantine", placed_by=facility_user)
    client.force_login(request.getfixturevalue(viewer))

    def work_with(count):
        """Today's bookings of the held room, every other one a request, and as many projects waiting for review."""
        Booking.objects.all().delete()
        bulk_bookings(
            count,
            resource=room,
            project=admitted_project,
            user=booker,
            first=today_at("09:00"),
            step=datetime.timedelta(minutes=5),
            length=datetime.timedelta(minutes=4),
            status=lambda n: BookingStatus.REQUESTED if n % 2 else BookingStatus.APPROVED,
        )
        while group.projects.filter(status=ProjectStatus.SUBMITTED).count() < count:
            make_project(group, status=ProjectStatus.SUBMITTED)
        nodes = rendered_nodes(client, URL, monkeypatch)
        with CaptureQueriesContext(connection) as queries:
            client.get(URL)
        return nodes, len(queries)

    assert work_with(2 * LONG_LIST) == work_with(4 * LONG_LIST)


def test_the_requests_waiting_count_every_request_and_follow_each_at_once(
    client, booker, room, admitted_project, facility_user
):
    """The number counts every request, not the few listed; a request made or cancelled shows on the next load."""
    client.force_login(facility_user)
    assert "0 requests wait for approval." in client.get(URL).text
    requests = [
        Booking.objects.create(
            resource=room,
            project=admitted_project,
            booked_by=booker,
            period=(today_at(f"{9 + n:02d}:00"), today_at(f"{9 + n:02d}:30")),
            status=BookingStatus.REQUESTED,
        )
        for n in range(SHORT_LIST + 2)
    ]
    response = client.get(URL)
    assert f"{SHORT_LIST + 2} requests wait for approval." in response.text
    assert len(response.context["facility"]["first_requests"]) == SHORT_LIST
    Booking.objects.filter(pk__in=[booking.pk for booking in requests[1:]]).update(status=BookingStatus.CANCELLED)
    assert "1 request waits for approval." in client.get(URL).text


def test_the_lists_read_in_one_query_are_the_bookings_their_querysets_name(
    room, equipment, admitted_project, booker, facility_user
):
    """The dashboard writes its lists out in SQL: each is the booking queryset's rule, in its order."""
    equipment.room = room
    equipment.save()
    RoomHold.objects.create(room=room, cause="quarantine", placed_by=facility_user)
    statuses = [BookingStatus.REQUESTED, BookingStatus.APPROVED, BookingStatus.CANCELLED, BookingStatus.REJECTED]
    spread = {"step": datetime.timedelta(minutes=47), "length": datetime.timedelta(minutes=30)}
    first = today_at("08:00") - datetime.timedelta(hours=20)
    for resource, user, entrants in ((room, booker, ()), (equipment, facility_user, (booker,))):
        bulk_bookings(
            90, resource=resource, project=admitted_project, user=user, first=first, entrants=entrants,
            status=lambda n: statuses[n % 4], **spread,
        )  # fmt: skip
    lists = booking_lists(booker, staff=True)

    def pages(bookings, count, link="facilities:booking_detail"):
        return [
            link_pattern(link).format(pk)
            for pk in bookings.order_by("period", "pk").values_list("pk", flat=True)[:count]
        ]

    live = Booking.objects.active()
    today = timezone.localdate()
    held = [room.pk, equipment.pk]
    assert [line.url for line in lists.next_bookings] == pages(live.booked_or_entered_by(booker).upcoming(), SHORT_LIST)
    assert [line.url for line in lists.my_on_hold] == pages(
        live.filter(booked_by=booker, resource__in=held).upcoming(), LONG_LIST, "logbook:check_in"
    )
    requests = Booking.objects.visible_to(facility_user).pending().upcoming()
    assert lists.requests_waiting == requests.count() > SHORT_LIST
    assert [line.url for line in lists.first_requests] == pages(requests, SHORT_LIST)
    assert [line.url for line in lists.todays_bookings] == pages(live.overlapping(local_days(today, today)), LONG_LIST)
    assert [line.url for line in lists.on_hold] == pages(
        live.filter(resource__in=held).upcoming(), LONG_LIST, "logbook:check_in"
    )
    assert all(lists.__dict__[name] for name in ("next_bookings", "my_on_hold", "todays_bookings", "on_hold"))
