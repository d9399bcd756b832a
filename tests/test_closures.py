"""Closures can be corrected: edited and lifted with a reason (audited), widened only once the bookings it
now covers are confirmed, made recurring like a booking series, and listed when past."""

import datetime

import pytest
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.urls import reverse
from django.utils import timezone

from audit.services import history_of
from facilities import services
from facilities.models import BookingStatus, Closure, ClosureReason, Resource, ResourceKind
from facilities.services import BookingError, Recurrence
from tests.helpers import rendered_nodes

pytestmark = pytest.mark.django_db

CLOSURES = reverse("facilities:closures")
HOUR = datetime.timedelta(hours=1)


@pytest.fixture
def closure(room, facility_user, booking_day, at):
    closure = Closure(
        facility=room.facility,
        resource=room,
        reason=ClosureReason.CLEANING,
        period=DateTimeTZRange(at(booking_day, "07:00"), at(booking_day, "08:00")),
        note="Sporicidal disinfection",
    )
    services.create_closure(closure, facility_user)
    return closure


@pytest.fixture
def booking(book_room):
    return book_room("09:00", "11:00", "Expansion")


def edit_data(closure, booking_day, **changes):
    return {
        "facility": closure.facility_id,
        "resource": closure.resource_id,
        "reason": closure.reason,
        "start": f"{booking_day}T07:00",
        "end": f"{booking_day}T08:00",
        "note": closure.note,
        "change_reason": "Cleaning runs longer",
        **changes,
    }


def test_widening_lists_the_bookings_it_covers_and_cancels_them_once_confirmed(
    client, closure, booking, facility_user, booking_day
):
    client.force_login(facility_user)
    url = reverse("facilities:closure_edit", args=[closure.pk])
    assert client.get(url).status_code == 200
    widened = edit_data(closure, booking_day, end=f"{booking_day}T10:00")
    response = client.post(url, widened)
    assert response.status_code == 200
    assert "1 booking overlaps the closure; confirm to cancel it." in response.text
    assert booking.get_absolute_url() in response.text
    closure.refresh_from_db()
    assert timezone.localtime(closure.period.upper).hour == 8  # nothing changed yet
    response = client.post(url, {**widened, "confirm": "1"})
    assert response.status_code == 302
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    assert "Closed for cleaning and disinfection" in booking.cancellation_reason
    closure.refresh_from_db()
    assert timezone.localtime(closure.period.upper).hour == 10
    assert history_of(closure)[-1].reason == "Cleaning runs longer"


def test_a_correction_needs_a_reason(closure, facility_user):
    closure.note = "Changed"
    with pytest.raises(BookingError, match="Say why the closure is changed"):
        services.update_closure(closure, facility_user, reason=" ")


def test_staff_lift_a_closure_with_a_reason(client, closure, facility_user):
    client.force_login(facility_user)
    response = client.post(reverse("facilities:closure_delete", args=[closure.pk]), {"reason": "Done early"})
    assert response.status_code == 302
    assert not Closure.objects.exists()
    response = client.post(reverse("facilities:closure_delete", args=[closure.pk]), {"reason": "Again"})
    assert response.status_code == 404


def test_a_recurring_closure_is_made_like_a_series(client, room, facility_user, booking_day):
    client.force_login(facility_user)
    friday = booking_day + datetime.timedelta(days=4)
    response = client.post(
        CLOSURES,
        {
            "facility": room.facility_id,
            "resource": room.pk,
            "reason": ClosureReason.CLEANING,
            "start": f"{friday}T15:00",
            "end": f"{friday}T17:00",
            "note": "Weekly cleaning",
            "repeat_weekdays": ["4"],
            "repeat_until": str(friday + datetime.timedelta(days=21)),
        },
    )
    assert response.status_code == 302
    closures = list(Closure.objects.order_by("period"))
    assert len(closures) == 4
    assert len({c.series for c in closures}) == 1 and closures[0].series is not None
    assert {
        (timezone.localtime(c.period.lower).weekday(), timezone.localtime(c.period.lower).hour) for c in closures
    } == {(4, 15)}


def test_a_recurring_closure_over_bookings_lists_them_and_is_bounded(facility_user, room, booking, booking_day, at):
    closure = Closure(
        facility=room.facility,
        resource=room,
        reason=ClosureReason.DECONTAMINATION,
        period=DateTimeTZRange(at(booking_day - datetime.timedelta(days=7), "09:00"), at(booking_day, "10:00")),
    )
    closure.period = DateTimeTZRange(
        at(booking_day - datetime.timedelta(days=7), "09:00"), at(booking_day - datetime.timedelta(days=7), "10:00")
    )
    weekly = Recurrence(frozenset({0}), booking_day)
    with pytest.raises(BookingError, match="1 booking overlaps the closure"):
        services.create_closure(closure, facility_user, recurrence=weekly)
    assert not Closure.objects.exists()
    with pytest.raises(BookingError, match="A recurring closure repeats for at most a year"):
        services.create_closure(
            closure, facility_user, recurrence=Recurrence(frozenset({0}), datetime.date(9999, 12, 31))
        )
    assert services.create_closure(closure, facility_user, recurrence=weekly, cancel_affected=True) == [booking]


def test_the_closures_page_shows_past_closures_on_request(client, room, facility_user, at):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Closure.objects.create(
        facility=room.facility,
        resource=room,
        reason=ClosureReason.UTILITY_SHUTDOWN,
        period=DateTimeTZRange(at(yesterday, "07:00"), at(yesterday, "09:00")),
        note="HVAC service",
        created_by=facility_user,
    )
    client.force_login(facility_user)
    assert "HVAC service" not in client.get(CLOSURES).text
    assert "HVAC service" in client.get(CLOSURES, {"show": "past"}).text


def test_the_closures_page_keeps_its_queries_and_template_nodes_with_many_resources_and_closures(
    client, room, facility_user, at, monkeypatch, django_assert_max_num_queries
):
    """Every resource is an option of the form's select, written without template nodes; closures are paged."""
    client.force_login(facility_user)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    def close(count):
        Closure.objects.bulk_create(
            Closure(
                facility=room.facility,
                resource=room,
                reason=ClosureReason.CLEANING,
                period=DateTimeTZRange(at(tomorrow, "07:00") + n * HOUR, at(tomorrow, "07:30") + n * HOUR),
                created_by=facility_user,
            )
            for n in range(count)
        )

    close(26)
    with django_assert_max_num_queries(20) as few:
        two_pages = rendered_nodes(client, CLOSURES, monkeypatch)
    Resource.objects.bulk_create(
        Resource(facility=room.facility, kind=ResourceKind.EQUIPMENT, name=f"Incubator {n}", slug=f"incubator-{n}")
        for n in range(100)
    )
    Closure.objects.all().delete()
    close(200)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert rendered_nodes(client, CLOSURES, monkeypatch) == two_pages
    page = client.get(CLOSURES).text
    assert '<option value="' in page and "Incubator 99</option>" in page
    assert "Page 1 of 8" in page


def test_the_closure_reasons_name_the_field_s_causes():
    labels = {str(label) for label in ClosureReason.labels}
    assert {
        "Decontamination (e.g. hydrogen peroxide vapour)",
        "Investigation hold",
        "Utility or HVAC shutdown",
        "Calibration",
        "Environmental monitoring at rest",
    } <= labels
