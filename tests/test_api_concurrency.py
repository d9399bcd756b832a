"""The race of the booking tests, through the API: simultaneous requests for one slot leave one booking."""

import json

import pytest
from django.core.cache import cache
from django.test import Client

from api import services as token_services
from facilities.models import Booking
from tests.helpers import all_at_once

THREADS = 12


@pytest.mark.django_db(transaction=True)
def test_simultaneous_api_bookings_of_one_slot_leave_exactly_one(booker, room, admitted_project, booking_day, at):
    cache.clear()
    _token, secret = token_services.create_token(booker, name="Race", scope="read write", valid_days=30)
    body = json.dumps(
        {
            "resource": room.slug,
            "project": admitted_project.code,
            "start": at(booking_day, "09:00").isoformat(),
            "end": at(booking_day, "13:00").isoformat(),
            "purpose": "Media fill",
        }
    )

    def book():
        client = Client(headers={"authorization": f"Bearer {secret}"})
        response = client.post("/api/v1/bookings", body, content_type="application/json")
        return response.status_code, response.json()

    answers, crashed = all_at_once(THREADS, book)

    assert crashed == []
    statuses = sorted(status for status, _answer in answers)
    assert statuses == [201] + [400] * (THREADS - 1)
    refusals = [answer["detail"] for status, answer in answers if status == 400]
    assert all("is already booked on" in message and "from 09:00 to 13:00" in message for message in refusals)
    assert Booking.objects.active().count() == 1
