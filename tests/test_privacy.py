"""Personal data: a person downloads what the portal holds about them; an administrator anonymises one who left."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

from audit.services import history_of
from facilities import services as booking_services
from facilities.models import Booking
from projects import services as project_services
from projects.models import Membership


@pytest.fixture
def booking(booker, room, admitted_project, booking_day, at):
    (booking,) = booking_services.create_booking(
        by=booker,
        resource=room,
        project=admitted_project,
        period=DateTimeTZRange(at(booking_day, "09:00"), at(booking_day, "11:00")),
        purpose="Media fill",
    )
    return booking


class TestMyData:
    def test_a_person_downloads_their_profile_memberships_qualifications_and_bookings(self, client, booking):
        booker = booking.booked_by
        booking_services.cancel_booking(booking, booker, "Donor material delayed")
        client.force_login(booker)
        response = client.get("/account/data.json")
        assert response["Content-Disposition"] == 'attachment; filename="my-data.json"'
        data = json.loads(response.content)
        assert data["profile"]["username"] == booker.username
        assert data["profile"]["email"] == booker.email
        assert [m["group"] for m in data["memberships"]] == [booking.project.group.name]
        assert {q["kind"] for q in data["qualifications"]} == {"gowning", "training"}
        assert [(b["purpose"], b["cancellation_reason"]) for b in data["bookings"]] == [
            ("Media fill", "Donor material delayed")
        ]
        # The changes they made, from the audit trail: here, their cancellation.
        changes = [(c["object"], c["object_id"], c["event"]) for c in data["recorded_changes"]]
        assert changes == [("booking", booking.pk, "update")]

    def test_their_group_applications_and_invitations_are_in_it(self, client, group, pi, outsider):
        project_services.apply_for_group(
            actor=outsider, name="Organoid Lab", organisation_unit="lth", cost_centre="LTH-1", description="Organoids."
        )
        project_services.invite_member(group, email=outsider.email.upper(), role="member", actor=pi)
        client.force_login(outsider)
        data = json.loads(client.get("/account/data.json").content)
        assert [(a["name"], a["status"]) for a in data["group_applications"]] == [("Organoid Lab", "pending")]
        assert [(i["group"], i["role"]) for i in data["invitations"]] == [(group.name, "member")]
        client.force_login(pi)
        data = json.loads(client.get("/account/data.json").content)
        assert (data["group_applications"], data["invitations"]) == ([], [])

    def test_nobody_else_data_leaks_in(self, client, booking, outsider):
        client.force_login(outsider)
        data = json.loads(client.get("/account/data.json").content)
        assert data["bookings"] == []
        assert data["profile"]["username"] == outsider.username

    def test_anonymous_visitors_are_sent_to_log_in(self, client):
        assert client.get("/account/data.json").status_code == 302


class TestAnonymise:
    def test_the_command_replaces_the_name_and_keeps_bookings_and_memberships(self, booking):
        person = booking.booked_by
        old_username = person.username
        call_command("anonymise_user", old_username)
        person.refresh_from_db()
        assert person.username == f"former-user-{person.pk}"
        assert (person.first_name, person.last_name, person.email) == ("", "", "")
        assert not person.is_active and not person.has_usable_password()
        assert Booking.objects.get(pk=booking.pk).booked_by == person
        assert Membership.objects.filter(user=person).exists()
        # The audit trail is append-only: its earlier snapshots are kept as they were.
        user_events = booking.pgh_event_model.objects.filter(booked_by_id=person.pk)
        assert user_events.exists()

    def test_an_unknown_username_is_a_clear_error(self, db):
        with pytest.raises(CommandError, match="No user"):
            call_command("anonymise_user", "nobody")

    def test_the_admin_action_anonymises_and_refuses_ones_own_account(self, client, admin_user, member):
        client.force_login(admin_user)
        response = client.post(
            "/admin/auth/user/",
            {"action": "anonymise", "_selected_action": [member.pk, admin_user.pk]},
            follow=True,
        )
        assert response.status_code == 200
        assert get_user_model().objects.get(pk=member.pk).username == f"former-user-{member.pk}"
        assert get_user_model().objects.get(pk=admin_user.pk).username == "admin"
        assert "not allowed" in response.content.decode()


def test_the_audit_trail_shows_the_pseudonym_after_anonymisation(booking):
    person = booking.booked_by
    booking_services.cancel_booking(booking, person, "Left the group")
    call_command("anonymise_user", person.username)
    cancellation = history_of(booking)[-1]
    assert (cancellation.actor, cancellation.reason) == (f"former-user-{person.pk}", "Left the group")
