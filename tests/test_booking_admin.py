"""The admin obeys the booking rules: it calls the same services and shows their refusals as form errors."""

import datetime

import pytest
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone

from facilities import services
from facilities.models import Booking, BookingStatus, Closure, Qualification

pytestmark = pytest.mark.django_db

ADD_BOOKING = "/admin/facilities/booking/add/"


@pytest.fixture
def admin_data(room, admitted_project, booker, booking_day):
    def data(start="09:00", end="13:00", **changes):
        return {
            "resource": room.pk,
            "project": admitted_project.pk,
            "booked_by": booker.pk,
            "start": f"{booking_day}T{start}",
            "end": f"{booking_day}T{end}",
            "entrants": [booker.pk],
            "purpose": "Booked at the front desk",
            **changes,
        }

    return data


def test_the_admin_books_through_the_rules(client, admin_user, admin_data):
    client.force_login(admin_user)
    assert client.get(ADD_BOOKING).status_code == 200
    response = client.post(ADD_BOOKING, admin_data())
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert (f"{booking.start:%H:%M}", booking.status) == ("09:00", BookingStatus.APPROVED)


def test_an_overlapping_booking_in_the_admin_is_a_form_error(client, admin_user, admin_data):
    client.force_login(admin_user)
    client.post(ADD_BOOKING, admin_data())
    response = client.post(ADD_BOOKING, admin_data("10:00", "12:00"))
    assert response.status_code == 200
    assert "is already booked on" in response.text
    assert Booking.objects.count() == 1


def test_admin_rules_refuse_an_unqualified_booker(client, admin_user, admin_data, pi):
    client.force_login(admin_user)
    response = client.post(ADD_BOOKING, admin_data(booked_by=pi.pk, entrants=[pi.pk]))
    assert "no valid gowning qualification" in response.text
    assert not Booking.objects.exists()


def test_admin_actions_approve_and_cancel_through_the_services(client, admin_user, admin_data, room):
    room.requires_approval = True
    room.save()
    client.force_login(admin_user)
    client.post(ADD_BOOKING, admin_data())
    booking = Booking.objects.get()
    assert booking.status == BookingStatus.REQUESTED
    changelist = "/admin/facilities/booking/"
    client.post(changelist, {"action": "approve", "_selected_action": [booking.pk]})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED
    client.post(changelist, {"action": "cancel", "_selected_action": [booking.pk]})
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert client.get(f"{changelist}{booking.pk}/change/").status_code == 200


def test_a_closure_over_bookings_is_refused_in_the_admin(
    client, admin_user, booker, room, admitted_project, booking_day, at
):
    services.create_booking(
        by=booker,
        resource=room,
        project=admitted_project,
        period=DateTimeTZRange(at(booking_day, "09:00"), at(booking_day, "10:00")),
        purpose="x",
    )
    client.force_login(admin_user)
    data = {
        "facility": room.facility_id,
        "resource": room.pk,
        "reason": "maintenance",
        "start": f"{booking_day}T07:00",
        "end": f"{booking_day}T19:00",
        "note": "",
    }
    response = client.post("/admin/facilities/closure/add/", data)
    assert "1 booking overlaps the closure" in response.text
    assert not Closure.objects.exists()
    next_day = booking_day + datetime.timedelta(days=1)
    data.update(start=f"{next_day}T07:00", end=f"{next_day}T19:00")
    assert client.post("/admin/facilities/closure/add/", data).status_code == 302
    assert Closure.objects.get().created_by == admin_user


def test_the_admin_records_who_certified_a_qualification(client, admin_user, member):
    client.force_login(admin_user)
    today = timezone.localdate()
    data = {"user": member.pk, "kind": "gowning", "grade": "B", "valid_from": str(today), "valid_until": str(today)}
    assert client.post("/admin/facilities/qualification/add/", data).status_code == 302
    assert Qualification.objects.get().certified_by == admin_user


def test_the_admin_lifts_a_closure_through_the_service(client, admin_user, room, booking_day, at):
    closure = Closure(
        facility=room.facility,
        resource=room,
        reason="cleaning",
        period=DateTimeTZRange(at(booking_day, "07:00"), at(booking_day, "08:00")),
    )
    services.create_closure(closure, admin_user)
    client.force_login(admin_user)
    response = client.post(f"/admin/facilities/closure/{closure.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Closure.objects.exists()
    assert Closure.pgh_event_model.objects.filter(
        pgh_obj_id=closure.pk, pgh_context__metadata__reason="Closure lifted."
    ).exists()


def test_the_admin_shows_periods_in_local_time(client, admin_user, admin_data, room, booking_day, at):
    client.force_login(admin_user)
    client.post(ADD_BOOKING, admin_data("09:00", "13:00"))
    booking = Booking.objects.get()
    closure = Closure(
        facility=room.facility,
        resource=room,
        reason="cleaning",
        period=DateTimeTZRange(at(booking_day, "14:00"), at(booking_day + datetime.timedelta(days=1), "08:00")),
    )
    services.create_closure(closure, admin_user)
    day, next_day = f"{booking_day:%a} {booking_day.day} {booking_day:%b %Y}", booking_day + datetime.timedelta(days=1)
    pages = {
        "/admin/facilities/booking/": f"{day} 09:00\u201313:00",
        f"/admin/facilities/booking/{booking.pk}/change/": f"{day} 09:00\u201313:00",
        "/admin/facilities/closure/": f"{day} 14:00\u2013{next_day:%a} {next_day.day} {next_day:%b %Y} 08:00",
        f"/admin/facilities/closure/{closure.pk}/change/": f"{day} 14:00\u2013",
    }
    for url, period in pages.items():
        page = client.get(url).text
        assert period in page, url
        assert "+00:00" not in page and "DateTimeTZRange" not in page, url
