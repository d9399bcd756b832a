"""The booking pages: the form with hand-crafted POSTs, who sees and changes what, and queries per page."""

import datetime
import uuid

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from facilities.models import Booking, BookingStatus, Closure, Qualification
from facilities.services import cancel_booking
from projects.models import ProjectStatus
from tests.helpers import bulk_bookings, counted_nodes, rendered_nodes

pytestmark = pytest.mark.django_db

NEW = reverse("facilities:booking_new")


@pytest.fixture
def form_data(room, admitted_project, booking_day, booker):
    def data(**changes):
        values = {
            "resource": room.slug,
            "project": admitted_project.pk,
            "start": f"{booking_day}T09:00",
            "end": f"{booking_day}T13:00",
            "entrants": [booker.pk],
            "purpose": "Lentiviral transduction, process development run 3",
        }
        return {**values, **changes}

    return data


@pytest.fixture
def booking(book_room):
    return book_room("09:00", "13:00", "Media fill")


class TestTheBookingForm:
    def test_get_prefills_the_resource_and_offers_only_eligible_projects(
        self, client, booker, room, admitted_project, group, make_project, make_group
    ):
        draft = make_project(group, acronym="DRAFTED", title="A draft project")
        foreign = make_project(make_group("other-lab"), status=ProjectStatus.ACTIVE, title="Somebody else's")
        client.force_login(booker)
        response = client.get(NEW, {"resource": room.slug, "start": "2030-01-07T09:00"})
        assert response.status_code == 200
        assert f'<option value="{room.slug}" selected>' in response.text
        assert 'value="2030-01-07T09:00"' in response.text
        assert admitted_project.code in response.text
        assert draft.code not in response.text
        assert foreign.code not in response.text

    def test_a_valid_post_books_and_shows_the_booking(self, client, booker, form_data, room):
        client.force_login(booker)
        response = client.post(NEW, form_data())
        booking = Booking.objects.get()
        assert response.status_code == 302
        assert response["Location"] == booking.get_absolute_url()
        assert (f"{booking.start:%H:%M}", f"{booking.end:%H:%M}", booking.status) == ("09:00", "13:00", "approved")
        assert "Grade B suite" in client.get(response["Location"]).text

    def test_room_with_equipment_and_a_weekly_repeat_in_one_step(
        self, client, booker, form_data, equipment, booking_day
    ):
        client.force_login(booker)
        until = booking_day + datetime.timedelta(days=14)
        response = client.post(
            NEW, form_data(equipment=[equipment.slug], repeat_weekdays=["0"], repeat_until=str(until))
        )
        assert response.status_code == 302
        assert Booking.objects.filter(resource=equipment).count() == 3
        assert Booking.objects.filter(parent__isnull=True).count() == 3

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"start": "next tuesday", "end": "2026-13-45T25:99"}, "Enter a valid date/time."),
            ({"start": "", "end": ""}, "This field is required."),
            ({"entrants": ["999999"]}, "Select a valid choice. 999999 is not one of the available choices."),
            ({"entrants": ["somebody"]}, "“somebody” is not a valid value."),
            ({"resource": "no-such-room"}, "Select a valid choice."),
            ({"project": 999999}, "Select a valid choice."),
            ({"purpose": ""}, "This field is required."),
            ({"repeat_weekdays": ["0"]}, "choose both the weekdays and the last date"),
            ({"repeat_weekdays": ["9"], "repeat_until": "2030-01-01"}, "Select a valid choice."),
        ],
    )
    def test_bad_input_gives_form_errors_and_writes_nothing(self, client, booker, form_data, changes, message):
        client.force_login(booker)
        response = client.post(NEW, form_data(**changes))
        assert response.status_code == 200
        assert message in response.text
        assert not Booking.objects.exists()

    def test_end_before_start_and_the_past_are_refused(self, client, booker, form_data, booking_day):
        client.force_login(booker)
        response = client.post(NEW, form_data(end=f"{booking_day}T08:00"))
        assert "The end must be after the start." in response.text
        last_week = timezone.localdate() - datetime.timedelta(days=7)
        response = client.post(NEW, form_data(start=f"{last_week}T09:00", end=f"{last_week}T10:00"))
        assert "The start is in the past" in response.text
        assert not Booking.objects.exists()

    def test_an_inactive_resource_is_not_offered_nor_accepted(self, client, booker, form_data, room):
        room.active = False
        room.save()
        client.force_login(booker)
        assert room.slug not in client.get(NEW).text
        assert "Select a valid choice." in client.post(NEW, form_data()).text
        assert not Booking.objects.exists()

    def test_someone_else_s_project_is_refused(self, client, outsider, form_data, qualify):
        qualify(outsider, grade="B")
        client.force_login(outsider)
        response = client.post(NEW, form_data())
        assert "Select a valid choice." in response.text
        assert not Booking.objects.exists()

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"start": "{day}T06:00", "end": "{day}T08:00"}, "book inside the opening hours"),
            ({"start": "{day}T09:00", "end": "{day}T09:10"}, "last at least 30 minutes"),
        ],
    )
    def test_rules_refuse_through_the_form_with_their_message(
        self, client, booker, form_data, booking_day, changes, message
    ):
        client.force_login(booker)
        response = client.post(NEW, form_data(**{k: v.format(day=booking_day) for k, v in changes.items()}))
        assert message in response.text
        assert not Booking.objects.exists()

    def test_an_unqualified_member_is_told_which_qualification_is_missing(self, client, pi, form_data):
        client.force_login(pi)
        response = client.post(NEW, form_data(entrants=[pi.pk]))
        assert "pi holds no valid gowning qualification for Grade B" in response.text
        assert not Booking.objects.exists()

    def test_an_overlap_names_the_conflicting_slot(self, client, booker, form_data, booking):
        client.force_login(booker)
        response = client.post(
            NEW, form_data(start=f"{booking.start.date()}T12:00", end=f"{booking.start.date()}T14:00")
        )
        assert "is already booked on" in response.text
        assert "from 09:00 to 13:00" in response.text
        assert Booking.objects.count() == 1


class TestWhoSeesAndChangesABooking:
    def test_booker_group_members_and_staff_see_it_others_get_404(
        self, client, booking, booker, pi, facility_user, admin_user, outsider
    ):
        for user in (booker, pi, facility_user, admin_user):
            client.force_login(user)
            assert client.get(booking.get_absolute_url()).status_code == 200
        client.force_login(outsider)
        assert client.get(booking.get_absolute_url()).status_code == 404

    def test_the_booker_cancels_with_a_reason(self, client, booking, booker):
        client.force_login(booker)
        url = reverse("facilities:booking_cancel", args=[booking.pk])
        response = client.get(booking.get_absolute_url())
        assert f'href="{url}"' in response.text
        assert 'name="reason"' not in response.text  # asked on the confirmation page, not here
        for bad, message in (("", "This field is required."), ("x" * 111_000, "at most 500 characters")):
            response = client.post(url, {"reason": bad})
            assert response.status_code == 400  # the confirmation page again, with the field's message
            assert message in response.text
        booking.refresh_from_db()
        assert booking.status == BookingStatus.APPROVED
        client.post(url, {"reason": "Donor material did not arrive"})
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CANCELLED

    def test_cancel_is_refused_to_other_members_and_outsiders(self, client, booking, pi, outsider):
        url = reverse("facilities:booking_cancel", args=[booking.pk])
        client.force_login(pi)
        assert client.post(url, {"reason": "Mine now"}).status_code == 403
        client.force_login(outsider)
        assert client.post(url, {"reason": "Mine now"}).status_code == 404
        booking.refresh_from_db()
        assert booking.status == BookingStatus.APPROVED

    def test_cancelling_asks_for_confirmation_first(self, client, booking, booker):
        client.force_login(booker)
        url = reverse("facilities:booking_cancel", args=[booking.pk])
        response = client.get(url)
        assert response.status_code == 200
        assert "Cancel the booking?" in response.text
        assert "This cannot be undone." in response.text
        assert 'name="reason"' in response.text
        assert f'href="{booking.get_absolute_url()}"' in response.text  # the way back
        booking.refresh_from_db()
        assert booking.status == BookingStatus.APPROVED
        client.post(url, {"reason": "Donor material did not arrive"})
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CANCELLED

    def test_rejecting_asks_for_confirmation_and_a_reason_first(self, client, booking, facility_user):
        Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.REQUESTED)
        client.force_login(facility_user)
        url = reverse("facilities:booking_reject", args=[booking.pk])
        assert f'href="{url}"' in client.get(reverse("facilities:pending")).text
        response = client.get(url)
        assert response.status_code == 200
        assert "Reject the request?" in response.text
        assert 'name="comment"' in response.text
        booking.refresh_from_db()
        assert booking.status == BookingStatus.REQUESTED
        client.post(url, {"comment": "The suite is in requalification"})
        booking.refresh_from_db()
        assert booking.status == BookingStatus.REJECTED

    @pytest.mark.parametrize("action", ["approve", "reject"])
    def test_approve_and_reject_are_refused_to_the_wrong_roles(self, client, booking, booker, pi, outsider, action):
        Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.REQUESTED)
        url = reverse(f"facilities:booking_{action}", args=[booking.pk])
        for user in (booker, pi, outsider):
            client.force_login(user)
            assert client.get(url).status_code == {"approve": 405, "reject": 403}[action]
            assert client.post(url, {"comment": "Fine by me"}).status_code == 403
        booking.refresh_from_db()
        assert booking.status == BookingStatus.REQUESTED

    def test_staff_approve_and_reject_from_the_queue(self, client, booking, facility_user, make_project, group, at):
        Booking.objects.filter(pk=booking.pk).update(status=BookingStatus.REQUESTED)
        client.force_login(facility_user)
        response = client.get(reverse("facilities:pending"))
        assert booking.get_absolute_url() in response.text
        response = client.post(reverse("facilities:booking_reject", args=[booking.pk]), {"comment": " "})
        assert response.status_code == 400
        assert "This field is required." in response.text
        booking.refresh_from_db()
        assert booking.status == BookingStatus.REQUESTED
        client.post(reverse("facilities:booking_approve", args=[booking.pk]))
        booking.refresh_from_db()
        assert (booking.status, booking.decided_by) == (BookingStatus.APPROVED, facility_user)

    def test_staff_pages_are_refused_to_others(self, client, booker):
        client.force_login(booker)
        for name in ("pending", "closures", "qualification_manage"):
            assert client.get(reverse(f"facilities:{name}")).status_code == 403
            assert client.post(reverse(f"facilities:{name}"), {}).status_code == 403
        assert client.post(reverse("facilities:qualification_renew", args=[1]), {}).status_code == 403


class TestStaffPages:
    def test_a_closure_lists_the_bookings_it_cancels_and_asks_first(self, client, facility_user, booking, room):
        client.force_login(facility_user)
        day = booking.start.date()
        data = {
            "facility": room.facility_id,
            "resource": room.pk,
            "reason": "cleaning",
            "start": f"{day}T07:00",
            "end": f"{day}T19:00",
            "note": "Sporicidal disinfection",
        }
        response = client.post(reverse("facilities:closures"), data)
        assert "1 booking overlaps the closure; confirm to cancel it." in response.text
        assert booking.get_absolute_url() in response.text
        assert not Closure.objects.exists()
        response = client.post(reverse("facilities:closures"), {**data, "confirm": "1"}, follow=True)
        assert "1 booking was cancelled" in response.text
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CANCELLED
        assert "Sporicidal disinfection" in booking.cancellation_reason

    def test_staff_record_and_renew_and_users_see_what_expires(self, client, facility_user, member, qualify):
        client.force_login(facility_user)
        today = timezone.localdate()
        response = client.post(
            reverse("facilities:qualification_manage"),
            {
                "user": member.pk,
                "kind": "gowning",
                "grade": "C",
                "valid_from": str(today),
                "valid_until": str(today + datetime.timedelta(days=10)),
            },
        )
        assert response.status_code == 302
        qualification = Qualification.objects.get(user=member)
        assert qualification.certified_by == facility_user
        client.force_login(member)
        response = client.get(reverse("facilities:my_qualifications"))
        assert "Expiring within 30 days" in response.text
        client.force_login(facility_user)
        renewed = today + datetime.timedelta(days=365)
        client.post(reverse("facilities:qualification_renew", args=[qualification.pk]), {"valid_until": str(renewed)})
        qualification.refresh_from_db()
        assert qualification.valid_until == renewed

    def test_a_training_without_a_resource_is_a_form_error(self, client, facility_user, member):
        client.force_login(facility_user)
        today = timezone.localdate()
        response = client.post(
            reverse("facilities:qualification_manage"),
            {"user": member.pk, "kind": "training", "valid_from": str(today), "valid_until": str(today)},
        )
        assert "training names a resource and no grade." in response.text
        assert not Qualification.objects.exists()


def test_facility_resource_and_dashboard_pages(client, booking, booker, facility_user, equipment):
    client.force_login(booker)
    assert "Test pre-GMP facility" in client.get(reverse("facilities:facility_list")).text
    assert equipment.get_absolute_url() in client.get(booking.resource.facility.get_absolute_url()).text
    response = client.get(equipment.get_absolute_url())
    assert "Training required" in response.text
    assert "Changeover between projects" in client.get(booking.resource.get_absolute_url()).text
    assert booking.get_absolute_url() in client.get(reverse("dashboard")).text
    assert booking.get_absolute_url() in client.get(reverse("facilities:booking_list")).text
    assert booking.get_absolute_url() not in client.get(reverse("facilities:booking_list") + "?show=past").text
    Booking.objects.update(status=BookingStatus.REQUESTED)
    client.force_login(facility_user)
    assert "1 request waits for approval." in client.get(reverse("dashboard")).text


# The booking tables: my bookings (the booker's approved ones) and the pending queue (staff's requests).
BOOKING_TABLES = pytest.mark.parametrize(
    ("url_name", "viewer", "status"),
    [("booking_list", "booker", BookingStatus.APPROVED), ("pending", "facility_user", BookingStatus.REQUESTED)],
)


@BOOKING_TABLES
def test_list_queries_do_not_grow_with_bookings(
    client,
    request,
    room,
    admitted_project,
    booker,
    facility_user,
    django_assert_max_num_queries,
    url_name,
    viewer,
    status,
):
    client.force_login(request.getfixturevalue(viewer))
    url = reverse(f"facilities:{url_name}")
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    hourly = {"step": datetime.timedelta(hours=1), "length": datetime.timedelta(minutes=30)}
    hourly |= {"entrants": [facility_user]}
    bulk_bookings(5, resource=room, project=admitted_project, user=booker, first=tomorrow, status=status, **hourly)
    with django_assert_max_num_queries(10) as few:
        assert client.get(url).status_code == 200
    Booking.objects.all().delete()
    bulk_bookings(500, resource=room, project=admitted_project, user=booker, first=tomorrow, status=status, **hourly)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert "Page 1 of 20" in response.text


@BOOKING_TABLES
def test_list_template_nodes_do_not_grow_beyond_a_page_of_bookings(
    client, request, room, admitted_project, booker, url_name, viewer, status, monkeypatch
):
    client.force_login(request.getfixturevalue(viewer))
    url = reverse(f"facilities:{url_name}")
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    hourly = {"step": datetime.timedelta(hours=1), "length": datetime.timedelta(minutes=30)}
    bulk_bookings(26, resource=room, project=admitted_project, user=booker, first=tomorrow, status=status, **hourly)
    two_pages = rendered_nodes(client, url, monkeypatch)
    later = tomorrow + 26 * hourly["step"]
    bulk_bookings(474, resource=room, project=admitted_project, user=booker, first=later, status=status, **hourly)
    assert rendered_nodes(client, url, monkeypatch) == two_pages


# Template nodes a table row may cost: written as one string, with the decision forms in the pending queue.
NODES_PER_ROW = 1


@BOOKING_TABLES
def test_a_booking_table_row_costs_a_few_template_nodes_and_no_query(
    client, request, room, admitted_project, booker, url_name, viewer, status, monkeypatch
):
    """The page's rows and its count are read in one query; each row adds the same few nodes."""
    client.force_login(request.getfixturevalue(viewer))
    url = reverse(f"facilities:{url_name}")
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    hourly = {"step": datetime.timedelta(hours=1), "length": datetime.timedelta(minutes=30), "status": status}
    bulk_bookings(1, resource=room, project=admitted_project, user=booker, first=tomorrow, **hourly)
    one_row = rendered_nodes(client, url, monkeypatch)
    with CaptureQueriesContext(connection) as one_row_queries:
        client.get(url)
    later = tomorrow + hourly["step"]
    bulk_bookings(9, resource=room, project=admitted_project, user=booker, first=later, **hourly)
    assert rendered_nodes(client, url, monkeypatch) - one_row <= 9 * NODES_PER_ROW
    with CaptureQueriesContext(connection) as ten_rows_queries:
        response = client.get(url)
    assert len(ten_rows_queries) == len(one_row_queries)
    assert response.text.count("<tr>") == 1 + 10
    assert "Page 1 of" not in response.text


def test_the_booking_table_writes_its_dates_in_the_language_of_each_request(client, room, admitted_project, booker):
    """The table keeps its date texts per process: one reader's switch of language shows at once all the same."""
    from django.utils import formats, translation

    client.force_login(booker)
    first = timezone.now() + datetime.timedelta(days=1)
    bulk_bookings(1, resource=room, project=admitted_project, user=booker, first=first)
    start = timezone.localtime(first)
    for language in ("en", "sv", "en"):
        with translation.override(language):
            shown = formats.date_format(start, "DATETIME_FORMAT")
        page = client.get(reverse("facilities:booking_list"), headers={"accept-language": language}).text
        assert shown in page


def test_the_booking_table_pages_as_the_paginator_does(client, room, admitted_project, booker):
    """Page 2 shows the rest; past the last page, the last page; a page that is no number, the first."""
    client.force_login(booker)
    url = reverse("facilities:booking_list")
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    hourly = {"step": datetime.timedelta(hours=1), "length": datetime.timedelta(minutes=30)}
    bookings = bulk_bookings(30, resource=room, project=admitted_project, user=booker, first=tomorrow, **hourly)
    first, last = bookings[0].get_absolute_url(), bookings[-1].get_absolute_url()
    for page, shown, rows in (("", first, 25), ("2", last, 5), ("9", last, 5), ("0", last, 5), ("x", first, 25)):
        response = client.get(url, {"page": page})
        assert f'href="{shown}"' in response.text
        assert response.text.count("<tr>") == 1 + rows
        assert f"Page {1 if rows == 25 else 2} of 2" in response.text


def test_the_pending_queue_decides_a_series_and_a_single_request_with_their_own_forms(
    client, room, admitted_project, booker, facility_user
):
    client.force_login(facility_user)
    tomorrow = timezone.now() + datetime.timedelta(days=1)
    hourly = {"step": datetime.timedelta(hours=2), "length": datetime.timedelta(minutes=30)}
    series = uuid.uuid4()
    requested = {"status": BookingStatus.REQUESTED, **hourly}
    bulk_bookings(3, resource=room, project=admitted_project, user=booker, first=tomorrow, series=series, **requested)
    later = tomorrow + datetime.timedelta(days=1)
    [single] = bulk_bookings(1, resource=room, project=admitted_project, user=booker, first=later, **requested)
    page = client.get(reverse("facilities:pending")).text
    assert "Series of 3 dates" in page
    assert f'href="{reverse("facilities:series_detail", args=[series])}"' in page
    assert f'action="{reverse("facilities:series_approve", args=[series])}"' in page
    assert f'href="{reverse("facilities:series_reject", args=[series])}"' in page
    assert f'action="{reverse("facilities:booking_approve", args=[single.pk])}"' in page
    assert f'href="{reverse("facilities:booking_reject", args=[single.pk])}"' in page
    assert page.count('name="csrfmiddlewaretoken"') >= 2


class TestEntrantsOnTheForm:
    def test_the_form_offers_the_group_and_facility_staff_and_books_the_named_team(
        self, client, booker, team, outsider, facility_user, form_data
    ):
        people = team(2)
        client.force_login(booker)
        page = client.get(NEW).text
        for person in [booker, *people, facility_user]:
            assert f'value="{person.pk}"' in page
        assert f'value="{outsider.pk}"' not in page
        response = client.post(NEW, form_data(entrants=[p.pk for p in people]))
        assert response.status_code == 302
        assert set(Booking.objects.get().entrants.all()) == set(people)

    def test_four_entrants_in_a_room_for_three_are_refused_by_a_hand_made_post(self, client, booker, team, form_data):
        client.force_login(booker)
        response = client.post(NEW, form_data(entrants=[booker.pk, *(p.pk for p in team(3))]))
        assert response.status_code == 200
        assert "Grade B suite holds at most 3 persons; name fewer entrants." in response.text
        assert not Booking.objects.exists()

    def test_an_unqualified_entrant_is_refused_by_name(self, client, booker, add_member, group, form_data):
        novice = add_member(group, username="novice")
        client.force_login(booker)
        response = client.post(NEW, form_data(entrants=[booker.pk, novice.pk]))
        assert "novice holds no valid gowning qualification for Grade B" in response.text
        assert not Booking.objects.exists()

    def test_an_outsider_posted_by_hand_is_not_a_choice(self, client, booker, outsider, form_data):
        client.force_login(booker)
        response = client.post(NEW, form_data(entrants=[outsider.pk]))
        assert f"Select a valid choice. {outsider.pk} is not one of the available choices." in response.text
        assert not Booking.objects.exists()

    def test_an_entrant_sees_the_booking_in_their_list_dashboard_and_feed(
        self, client, pi, team, room, admitted_project, booking_day, at
    ):
        from facilities import services

        [entrant] = team(1)
        [booking] = services.create_booking(
            by=pi,
            resource=room,
            project=admitted_project,
            period=DateTimeTZRange(at(booking_day, "09:00"), at(booking_day, "13:00")),
            purpose="Media fill",
            entrants=[entrant],
        )
        client.force_login(entrant)
        assert booking.get_absolute_url() in client.get(reverse("facilities:booking_list")).text
        assert booking.get_absolute_url() in client.get("/").text
        feed = services.feed_of(entrant)
        assert "Media fill" in client.get(feed.get_absolute_url()).content.decode()


def test_the_pending_queue_keeps_its_queries_with_series_and_entrants(
    client, room, admitted_project, booker, facility_user, django_assert_max_num_queries
):
    """Series of ten dates each, one row per series: 10 bookings make one row, 1,000 make a hundred."""
    client.force_login(facility_user)
    url = reverse("facilities:pending")
    tomorrow = timezone.now() + datetime.timedelta(days=1)

    def series(count):
        Booking.objects.all().delete()
        for n in range(count // 10):
            bulk_bookings(
                10,
                resource=room,
                project=admitted_project,
                user=booker,
                first=tomorrow + n * datetime.timedelta(hours=10),
                status=BookingStatus.REQUESTED,
                step=datetime.timedelta(hours=1),
                length=datetime.timedelta(minutes=30),
                entrants=[facility_user],
                series=uuid.uuid4(),
            )

    series(10)
    with django_assert_max_num_queries(10) as few:
        assert client.get(url).text.count("Series of 10 dates") == 1
    series(1000)
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert response.text.count("Series of 10 dates") == 25
    assert "Page 1 of 4" in response.text


def test_the_form_groups_equipment_by_room_and_names_each_resource_s_room(client, booker, room, equipment):
    from facilities.models import Resource, ResourceKind

    lab = Resource.objects.create(facility=room.facility, kind=ResourceKind.ROOM, name="Grade D lab", slug="lab")
    Resource.objects.create(facility=room.facility, kind=ResourceKind.EQUIPMENT, name="Centrifuge", slug="cf", room=lab)
    client.force_login(booker)
    page = client.get(NEW, {"resource": room.slug}).text
    assert (
        page.index("<strong>Grade B suite</strong>")
        < page.index('name="equipment" value="bsc"')
        < page.index("<strong>Grade D lab</strong>")
    )
    assert page.index("<strong>Grade D lab</strong>") < page.index('name="equipment" value="cf"')
    assert '"bsc": "Grade B suite"' in page and '"cf": "Grade D lab"' in page
    assert "js/booking_form" in page


def test_a_form_naming_no_entrants_books_the_booker_alone(client, booker, form_data):
    client.force_login(booker)
    response = client.post(NEW, form_data(entrants=[]))
    assert response.status_code == 302
    assert list(Booking.objects.get().entrants.all()) == [booker]


def test_a_refused_booking_runs_no_more_queries_than_an_accepted_one(client, booker, form_data, book_room, booking_day):
    """The refusal shows the form again from the choices validation fetched: no second round of queries."""
    book_room("09:00", "13:00")
    client.force_login(booker)
    with CaptureQueriesContext(connection) as accepted:
        response = client.post(NEW, form_data(start=f"{booking_day}T14:00", end=f"{booking_day}T16:00"))
    assert response.status_code == 302
    with CaptureQueriesContext(connection) as refused:
        response = client.post(NEW, form_data())
    assert response.status_code == 200 and "already booked" in response.text
    assert len(refused) <= len(accepted)


def test_the_form_keeps_its_queries_and_lists_only_the_chosen_facility_s_equipment(
    client, booker, room, equipment, django_assert_max_num_queries
):
    from facilities.models import Facility, Resource, ResourceKind

    client.force_login(booker)
    with django_assert_max_num_queries(15) as few:
        assert client.get(NEW, {"resource": room.slug}).status_code == 200
    other = Facility.objects.create(name="Other facility", slug="other", contact_email="other@example.org")
    for n in range(20):
        other_room = Resource.objects.create(facility=other, kind=ResourceKind.ROOM, name=f"Lab {n}", slug=f"lab-{n}")
        Resource.objects.create(
            facility=other, kind=ResourceKind.EQUIPMENT, name=f"Cabinet {n}", slug=f"cabinet-{n}", room=other_room
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(NEW, {"resource": room.slug}).text
    assert f'name="equipment" value="{equipment.slug}"' in page and 'name="equipment" value="cabinet-0"' not in page
    page = client.get(NEW, {"resource": "lab-3"}).text
    assert 'name="equipment" value="cabinet-3"' in page and f'name="equipment" value="{equipment.slug}"' not in page


SWEDISH_MONTHS = ["jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec"]


def test_pages_and_mails_name_people_by_full_name_and_date_the_swedish_way(
    client, book_room, booker, facility_user, booking_day, mailoutbox, django_capture_on_commit_callbacks
):
    booker.first_name, booker.last_name = "Anna", "Berg"
    booker.save()
    booking = book_room("09:00", "13:00", "Media fill")
    client.force_login(facility_user)
    client.cookies["django_language"] = "sv"
    page = client.get(booking.get_absolute_url()).text
    assert "Anna Berg" in page and ">member<" not in page
    # booking_day is a Monday: "mån 8 dec 2026 09:00"
    assert f"mån {booking_day.day} {SWEDISH_MONTHS[booking_day.month - 1]} {booking_day.year} 09:00" in page
    with django_capture_on_commit_callbacks(execute=True):
        cancel_booking(booking, by=facility_user, reason="Room on hold")
    assert mailoutbox and all("Anna Berg" in message.body for message in mailoutbox)


class TestStaffChooseTheProjectFirst:
    """Facility staff may book for any admitted project: they find it first, and the form offers its group only."""

    def test_the_first_step_is_a_search_that_keeps_the_resource_and_times(self, client, facility_user, room):
        client.force_login(facility_user)
        page = client.get(NEW, {"resource": room.slug, "start": "2030-01-07T09:00"}).text
        assert "Find the project" in page and 'name="purpose"' not in page
        assert f'<input type="hidden" name="resource" value="{room.slug}">' in page
        assert '<input type="hidden" name="start" value="2030-01-07T09:00">' in page

    def test_the_search_finds_admitted_projects_only_and_links_each_to_the_filled_form(
        self, client, facility_user, room, admitted_project, group, make_project
    ):
        draft = make_project(group, acronym="DRAFTED")
        client.force_login(facility_user)
        page = client.get(NEW, {"q": "lentiviral", "resource": room.slug}).text
        assert f"/bookings/new/?resource={room.slug}&amp;project={admitted_project.pk}" in page
        assert draft.code not in page
        assert "No accepted or active project matches “no such words”." in client.get(NEW, {"q": "no such words"}).text

    def test_the_form_for_the_chosen_project_offers_its_group_and_staff_not_other_groups(
        self, client, facility_user, room, admitted_project, booker, make_group, add_member, make_project
    ):
        other_group = make_group("other-lab")
        stranger = add_member(other_group)
        other = make_project(other_group, status=ProjectStatus.ACTIVE, acronym="OTHER")
        client.force_login(facility_user)
        page = client.get(NEW, {"project": admitted_project.pk, "resource": room.slug}).text
        assert f'<option value="{admitted_project.pk}" selected>' in page and other.code not in page
        assert f'value="{booker.pk}"' in page and f'value="{facility_user.pk}"' in page
        assert f'value="{stranger.pk}"' not in page
        assert f'href="/bookings/new/?resource={room.slug}">Book for another project</a>' in page

    @pytest.mark.parametrize("project", ["not-a-number", "99999999999999999999", "999999", "draft"])
    def test_a_project_that_cannot_be_booked_leads_back_to_the_search_with_a_message(
        self, client, facility_user, group, make_project, project
    ):
        if project == "draft":
            project = make_project(group).pk
        client.force_login(facility_user)
        response = client.get(NEW, {"project": project})
        assert response.status_code == 200
        assert "There is no such accepted or active project; find the one you book for." in response.text
        assert "Find the project" in response.text

    def test_staff_book_for_the_project_naming_its_member(self, client, facility_user, form_data, booker):
        client.force_login(facility_user)
        response = client.post(NEW, form_data(entrants=[booker.pk]))
        booking = Booking.objects.get()
        assert response.status_code == 302
        assert (booking.booked_by, list(booking.entrants.all())) == (facility_user, [booker])
        assert booking.get_absolute_url() in client.get(reverse("facilities:booking_list")).text

    def test_a_post_for_a_project_not_admitted_is_a_form_error(
        self, client, facility_user, form_data, booker, group, make_project
    ):
        draft = make_project(group)
        client.force_login(facility_user)
        for project in (draft.pk, "not-a-number"):
            response = client.post(NEW, form_data(project=project, entrants=[booker.pk]))
            assert response.status_code == 200
            assert "Select a valid choice." in response.text
        assert not Booking.objects.exists()

    def test_researchers_go_straight_to_the_form(self, client, booker, room):
        client.force_login(booker)
        page = client.get(NEW, {"resource": room.slug}).text
        assert 'name="purpose"' in page and "Find the project" not in page and "Book for another project" not in page


def test_the_forms_work_does_not_grow_with_the_centre_s_projects_people_and_facilities(
    client, facility_user, booker, room, equipment, admitted_project, make_group, make_project, add_member,
    monkeypatch, django_assert_max_num_queries,
):  # fmt: skip
    """Queries and template nodes stay the same with twenty more groups, projects, members and facilities."""
    from facilities.models import Facility, Resource, ResourceKind

    pages = {
        booker: f"{NEW}?resource={room.slug}",
        facility_user: f"{NEW}?resource={room.slug}&project={admitted_project.pk}",
    }
    before = {}
    for user, path in pages.items():
        client.force_login(user)
        with django_assert_max_num_queries(10) as few:
            client.get(path)
        before[user] = (len(few.captured_queries), rendered_nodes(client, path, monkeypatch))
    for n in range(20):
        other_group = make_group(f"lab-{n}")
        add_member(other_group)
        make_project(other_group, status=ProjectStatus.ACTIVE, acronym=f"P{n}")
        other = Facility.objects.create(name=f"Facility {n}", slug=f"facility-{n}", contact_email="f@example.org")
        Resource.objects.create(facility=other, kind=ResourceKind.ROOM, name=f"Lab {n}", slug=f"lab-{n}")
    for user, path in pages.items():
        client.force_login(user)
        with django_assert_max_num_queries(before[user][0]):
            client.get(path)
        assert rendered_nodes(client, path, monkeypatch) == before[user][1]


def test_a_refusal_renders_no_more_than_the_form_it_refuses(client, booker, room, form_data, book_room, monkeypatch):
    """The refused POST shows the form once more, with its message: the same template work as showing it."""
    book_room("09:00", "13:00")
    client.force_login(booker)
    shown = rendered_nodes(client, f"{NEW}?resource={room.slug}", monkeypatch)
    with counted_nodes(monkeypatch) as refused:
        response = client.post(NEW, form_data())
    assert "already booked" in response.text
    assert refused.count <= shown + 5  # the message, in the form's list of errors


def test_a_booking_just_made_shows_in_the_booker_s_next_requests(client, booker, room, form_data, booking_day):
    client.force_login(booker)
    response = client.post(NEW, form_data(purpose="Media fill right now"))
    booking = Booking.objects.get()
    assert "Media fill right now" in client.get(response["Location"]).text
    assert booking.get_absolute_url() in client.get(reverse("facilities:booking_list")).text
    week = booking_day.isocalendar()
    calendar = client.get(
        reverse("facilities:resource_detail", args=[room.slug]), {"week": f"{week.year}-W{week.week:02d}"}
    )
    assert booking.get_absolute_url() in calendar.text
    refused = client.post(NEW, form_data())
    assert "already booked" in refused.text
