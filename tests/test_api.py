"""The REST API: who sees what, booking through the same rules as the form, lists, reports and rate limits."""

import datetime
import json

import pytest
from django.core.cache import cache
from django.urls import reverse

from facilities.models import Booking, BookingStatus, Resource, ResourceKind
from projects.models import ProjectStatus
from tests.helpers import bulk_bookings

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture(autouse=True)
def fresh_rate_limits():
    # The local-memory cache outlives a test; each test starts with its full allowance.
    cache.clear()


@pytest.fixture
def booking(book_room):
    return book_room("09:00", "13:00", "Media fill")


@pytest.fixture
def payload(room, admitted_project, booking_day, at):
    def data(**changes):
        values = {
            "resource": room.slug,
            "project": admitted_project.code,
            "start": at(booking_day, "09:00").isoformat(),
            "end": at(booking_day, "13:00").isoformat(),
            "purpose": "Lentiviral transduction, process development run 3",
        }
        return {**values, **changes}

    return data


def post(client, path, data):
    return client.post(API + path, json.dumps(data), content_type="application/json")


class TestTokens:
    def test_no_unknown_revoked_or_expired_token_gets_in(self, client, api_client, booker, time_machine):
        assert client.get(f"{API}/facilities").status_code == 401
        assert client.get(f"{API}/facilities", headers={"authorization": "Bearer atmp_guess"}).status_code == 401
        caller = api_client(booker, valid_days=30)
        assert caller.get(f"{API}/facilities").status_code == 200
        time_machine.move_to(datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=31))
        response = caller.get(f"{API}/facilities")
        assert response.status_code == 401
        assert response.json() == {"detail": "Unauthorized"}

    def test_a_deactivated_user_s_tokens_stop_working(self, api_client, booker):
        caller = api_client(booker)
        booker.is_active = False
        booker.save()
        assert caller.get(f"{API}/facilities").status_code == 401

    def test_a_read_token_reads_but_cannot_book_or_cancel(self, api_client, booker, payload, booking):
        reader = api_client(booker, scope="read")
        assert reader.get(f"{API}/bookings/{booking.pk}").status_code == 200
        response = post(reader, "/bookings", payload(start=payload()["end"]))
        assert response.status_code == 403
        assert "may only read" in response.json()["detail"]
        response = post(reader, f"/bookings/{booking.pk}/cancel", {"reason": "Not needed"})
        assert response.status_code == 403
        assert Booking.objects.get().status == BookingStatus.APPROVED

    def test_too_many_calls_get_429_with_retry_after(self, api_client, booker, settings, time_machine):
        settings.API_RATE_LIMIT = 3
        caller = api_client(booker)
        # All calls inside one window: the clock stands still at the start of the current minute.
        time_machine.move_to(datetime.datetime.now(datetime.UTC).replace(second=1, microsecond=0), tick=False)
        assert [caller.get(f"{API}/facilities").status_code for _ in range(4)] == [200, 200, 200, 429]
        response = caller.get(f"{API}/facilities")
        assert 1 <= int(response["Retry-After"]) <= 61
        # The limit is per token: another token of the same user still gets through.
        assert api_client(booker).get(f"{API}/facilities").status_code == 200


class TestWhoSeesWhat:
    def test_an_outsider_sees_no_other_group_s_projects_or_bookings(
        self, api_client, outsider, booking, admitted_project
    ):
        caller = api_client(outsider)
        projects = caller.get(f"{API}/projects").json()
        assert projects == {"items": [], "count": 0}
        assert caller.get(f"{API}/projects/{admitted_project.code}").status_code == 404
        assert caller.get(f"{API}/bookings").json() == {"items": [], "count": 0}
        assert caller.get(f"{API}/bookings?resource={booking.resource.slug}").json()["count"] == 0
        assert caller.get(f"{API}/bookings/{booking.pk}").status_code == 404
        response = post(caller, f"/bookings/{booking.pk}/cancel", {"reason": "Mine now"})
        assert response.status_code == 404
        assert Booking.objects.get().status == BookingStatus.APPROVED

    def test_group_members_and_facility_staff_see_the_booking(self, api_client, booking, pi, facility_user):
        for user in (pi, facility_user):
            found = api_client(user).get(f"{API}/bookings").json()
            assert [item["id"] for item in found["items"]] == [booking.pk]
        item = found["items"][0]
        assert item["resource"] == "grade-b-suite"
        assert item["project"] == booking.project.code
        assert item["status"] == "approved"

    def test_mine_lists_only_the_caller_s_own_bookings(self, api_client, booking, pi):
        assert api_client(pi).get(f"{API}/bookings?mine=true").json()["count"] == 0

    def test_projects_of_the_user_s_groups_and_all_for_reviewers(
        self, api_client, member, reviewer, admitted_project, make_project, make_group
    ):
        other = make_project(make_group("elsewhere"), title="Allogeneic CAR-T")
        own = api_client(member).get(f"{API}/projects").json()
        assert [item["code"] for item in own["items"]] == [admitted_project.code]
        assert own["items"][0]["group"] == "stem-cell-lab"
        every = api_client(reviewer).get(f"{API}/projects").json()
        assert {item["code"] for item in every["items"]} == {admitted_project.code, other.code}

    def test_cancelling_needs_the_booker_or_staff(self, api_client, booking, pi, booker, facility_user):
        assert post(api_client(pi), f"/bookings/{booking.pk}/cancel", {"reason": "No"}).status_code == 403
        response = post(api_client(booker), f"/bookings/{booking.pk}/cancel", {"reason": "Moved the run"})
        assert response.status_code == 200
        assert response.json()["status"] == "cancelled"
        assert response.json()["cancellation_reason"] == "Moved the run"
        response = post(api_client(facility_user), f"/bookings/{booking.pk}/cancel", {"reason": "Again"})
        assert response.status_code == 400
        assert response.json() == {"detail": "This booking is already cancelled."}


class TestBookingThroughTheApi:
    def test_a_valid_booking_is_made_and_returned(self, api_client, booker, payload, room):
        response = post(api_client(booker), "/bookings", payload())
        assert response.status_code == 201
        [made] = response.json()
        booking = Booking.objects.get()
        assert made["id"] == booking.pk
        assert made["booked_by"] == booker.username
        assert made["start"].startswith(booking.start.date().isoformat())
        assert booking.status == BookingStatus.APPROVED

    def test_equipment_and_repeats_all_or_nothing(self, api_client, booker, payload, equipment, booking_day):
        until = booking_day + datetime.timedelta(days=7)
        response = post(
            api_client(booker),
            "/bookings",
            payload(equipment=[equipment.slug], repeat_weekdays=[0], repeat_until=until.isoformat()),
        )
        assert response.status_code == 201
        assert len(response.json()) == 4  # two Mondays, each the room and the cabinet
        assert Booking.objects.filter(series__isnull=False).count() == 4

    def test_the_booking_is_in_the_audit_trail_with_its_user(self, api_client, booker, payload):
        post(api_client(booker), "/bookings", payload())
        event = Booking.pgh_event_model.objects.get()
        assert event.pgh_context.metadata["user"] == booker.pk
        assert event.pgh_context.metadata["url"] == f"{API}/bookings"

    @pytest.mark.parametrize(
        ("rule", "who", "changes"),
        [
            ("the past", "booker", {"start": "{last_week}T09:00", "end": "{last_week}T10:00"}),
            ("opening hours", "booker", {"start": "{day}T06:00", "end": "{day}T08:00"}),
            ("shortest booking", "booker", {"start": "{day}T09:00", "end": "{day}T09:10"}),
            ("occupancy", "booker", {"start": "{day}T14:00", "end": "{day}T15:00", "entrants": "four"}),
            ("gowning qualification", "pi", {}),
            ("overlap", "booker", {"start": "{day}T12:00", "end": "{day}T14:00"}),
            ("changeover", "booker", {"project": "other", "start": "{day}T13:30", "end": "{day}T15:00"}),
            ("not admitted", "booker", {"project": "draft"}),
        ],
    )
    def test_refused_where_the_form_refuses_with_the_same_message(
        self, client, api_client, request, booking, payload, booking_day, make_project, group, team, rule, who, changes
    ):
        user = request.getfixturevalue(who)
        projects = {
            "other": make_project(group, status=ProjectStatus.ACTIVE, acronym="OTHER", gmo_class=1),
            "draft": make_project(group, status=ProjectStatus.DRAFT, acronym="DRAFT"),
        }
        last_week = booking_day - datetime.timedelta(days=14)
        values = {
            k: v.format(day=booking_day, last_week=last_week) if isinstance(v, str) else v for k, v in changes.items()
        }
        project = projects.get(values.pop("project", None))
        # Four entrants in a room for three: the form names them by id, the API by username.
        entrants = [user, *team(3)] if values.pop("entrants", None) else []
        # The form shows every admitted project of the user's groups; the draft is refused by the rule instead.
        form_project = project.pk if project else booking.project.pk
        client.force_login(user)
        form = client.post(
            reverse("facilities:booking_new"),
            {**payload(**values), "project": form_project, "entrants": [person.pk for person in entrants]},
        )
        api_values = {
            **values,
            **{key: _aware(values[key]) for key in ("start", "end") if key in values},
            **({"project": project.code} if project else {}),
            "entrants": [person.username for person in entrants],
        }
        response = post(api_client(user), "/bookings", payload(**api_values))

        if rule == "not admitted":
            # The form does not offer a draft at all; the API names the rule.
            assert "Select a valid choice" in form.text
            assert "only accepted or active projects may book" in response.json()["detail"]
        else:
            [form_message] = form.context["form"].non_field_errors()
            assert response.json() == {"detail": form_message}
        assert response.status_code == 400
        assert Booking.objects.count() == 1

    def test_refusals_speak_the_caller_s_language(self, api_client, booker, payload, booking_day):
        last_week = booking_day - datetime.timedelta(days=14)
        response = post(
            api_client(booker),
            "/bookings",
            payload(start=_aware(f"{last_week}T09:00"), end=_aware(f"{last_week}T10:00")),
        )
        assert response.json()["detail"].startswith("The start is in the past")
        caller = api_client(booker)
        response = caller.post(
            f"{API}/bookings",
            json.dumps(payload(start=_aware(f"{last_week}T09:00"), end=_aware(f"{last_week}T10:00"))),
            content_type="application/json",
            headers={"accept-language": "sv"},
        )
        assert response.status_code == 400
        assert response.json()["detail"].startswith("Starttiden har redan passerat")

    @pytest.mark.parametrize(
        ("changes", "status"),
        [
            ({"resource": "no-such-room"}, 400),
            ({"project": "ATMP-1999-0001"}, 400),
            ({"entrants": ["not a username!"]}, 422),
            ({"entrants": ["nobody"]}, 400),
            ({"purpose": "nul\x00byte"}, 422),
            ({"start": "2026-12-01T09:00"}, 422),  # no UTC offset: ambiguous
            ({"start": "0001-01-01T00:00:00+14:00"}, 422),
            ({"repeat_weekdays": [0]}, 400),
            ({"equipment": ["no-such-thing"]}, 400),
            ({"repeat_weekdays": [0, 1, 2, 3, 4, 5, 6], "repeat_until": "2099-12-31"}, 400),
        ],
    )
    def test_bad_input_is_a_clear_4xx_and_writes_nothing(self, api_client, booker, payload, changes, status):
        response = post(api_client(booker), "/bookings", payload(**changes))
        assert response.status_code == status
        assert response.json()["detail"]
        assert not Booking.objects.exists()


def _aware(local: str) -> str:
    """``YYYY-MM-DDTHH:MM`` in the portal's time zone, with its UTC offset, as the API asks."""
    from django.utils import timezone

    return timezone.make_aware(datetime.datetime.fromisoformat(local)).isoformat()


class TestFacilitiesAndFreeTime:
    def test_facilities_and_resources_with_their_rules(self, api_client, booker, room, equipment):
        caller = api_client(booker)
        assert caller.get(f"{API}/facilities").json()["items"][0]["slug"] == "test-facility"
        resources = caller.get(f"{API}/resources?facility=test-facility").json()
        assert [item["slug"] for item in resources["items"]] == ["bsc", "grade-b-suite"]
        cabinet = caller.get(f"{API}/resources/bsc").json()
        assert cabinet["room"] == "grade-b-suite"
        assert cabinet["rules"]["training_required"] is True
        assert cabinet["rules"]["occupancy_limit"] == 3
        assert caller.get(f"{API}/resources/no-such-room").status_code == 404

    def test_free_time_leaves_out_booked_and_changeover_time(
        self, api_client, booker, booking, booking_day, make_project, group
    ):
        other = make_project(group, status=ProjectStatus.ACTIVE, acronym="OTHER", gmo_class=1)
        day = booking_day.isoformat()
        response = api_client(booker).get(
            f"{API}/resources/grade-b-suite/free-time",
            {"project": other.code, "first_day": day, "last_day": day, "duration": 60, "page_size": 100},
        )
        assert response.status_code == 200
        starts = [item["start"][11:16] for item in response.json()["items"]]
        # Open 07-19; booked 09-13 by another project, with 60 minutes of changeover either side.
        assert starts == ["07:00", "14:00", "14:30", "15:00", "15:30", "16:00", "16:30", "17:00", "17:30", "18:00"]

    @pytest.mark.parametrize(
        ("first", "last", "message"),
        [
            ("2026-12-01", "2027-03-01", "Search at most 31 days at a time"),
            ("2026-12-10", "2026-12-01", "The last day is before the first"),
            ("1900-01-01", "1900-01-02", "Search days from 2000-01-01 to 2099-12-31"),
        ],
    )
    def test_free_time_needs_a_bounded_period(self, api_client, booker, admitted_project, room, first, last, message):
        response = api_client(booker).get(
            f"{API}/resources/grade-b-suite/free-time",
            {"project": admitted_project.code, "first_day": first, "last_day": last},
        )
        assert response.status_code == 400
        assert message in response.json()["detail"]


class TestUsageReport:
    def test_facility_staff_read_it_others_get_403(self, api_client, facility_user, booker, booking, booking_day):
        month = booking_day.strftime("%Y-%m")
        assert api_client(booker).get(f"{API}/reports/usage?month={month}").status_code == 403
        report = api_client(facility_user).get(f"{API}/reports/usage?month={month}").json()
        assert report["period"]["first_day"] == f"{month}-01"
        assert report["booked_hours"] == "4.00"
        [group] = report["groups"]
        assert group["group"] == "stem-cell-lab"
        assert group["lines"][0]["resource"] == "grade-b-suite"

    def test_bad_parameters_get_the_form_s_message(self, api_client, facility_user):
        response = api_client(facility_user).get(f"{API}/reports/usage?month=2026-13")
        assert response.status_code == 400
        assert "month from 01 to 12" in response.json()["detail"]


class TestListsAndQueries:
    @pytest.mark.parametrize("path", ["/bookings", "/bookings?mine=true&upcoming=true", "/projects", "/resources"])
    def test_queries_do_not_grow_with_rows(
        self,
        api_client,
        booker,
        room,
        admitted_project,
        make_many_projects,
        group,
        booking_day,
        at,
        django_assert_max_num_queries,
        path,
    ):
        caller = api_client(booker)
        for count in (10, 60):
            first = at(booking_day + datetime.timedelta(days=count), "07:00")
            bulk_bookings(count, resource=room, project=admitted_project, user=booker, first=first)
            make_many_projects(group, count, start=9000 + count)
            Resource.objects.bulk_create(
                Resource(
                    facility=room.facility, kind=ResourceKind.EQUIPMENT, name=f"Pipette {n}", slug=f"p-{count}-{n}"
                )
                for n in range(count)
            )
            with django_assert_max_num_queries(10):
                response = caller.get(f"{API}{path}")
            assert response.status_code == 200
        assert len(response.json()["items"]) <= 25

    def test_pages_and_their_bounds(self, api_client, booker, room, admitted_project, booking_day, at):
        bulk_bookings(30, resource=room, project=admitted_project, user=booker, first=at(booking_day, "07:00"))
        caller = api_client(booker)
        second = caller.get(f"{API}/bookings?page=2").json()
        assert second["count"] == 30
        assert len(second["items"]) == 5
        assert caller.get(f"{API}/bookings?page=0").status_code == 422
        assert caller.get(f"{API}/bookings?page_size=1000").status_code == 422


class TestSchemaAndDocs:
    def test_the_openapi_schema_is_served_to_everyone(self, client):
        schema = client.get(f"{API}/openapi.json").json()
        assert schema["openapi"].startswith("3.")
        assert f"{API}/bookings" in schema["paths"]
        assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"

    def test_the_docs_page_runs_within_the_content_security_policy(self, client, booker):
        client.force_login(booker)
        response = client.get(f"{API}/")
        assert response.status_code == 200
        page = response.content.decode()
        assert "script-src 'self'" in response["Content-Security-Policy"]
        # Scripts only from our own static files; the settings are JSON data, which the policy does not run.
        assert page.count("<script") == 3
        assert page.count('<script src="/static/') == 2
        assert '<script type="application/json"' in page
        assert "cdn" not in page.lower()
