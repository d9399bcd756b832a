"""A session ends after an hour without activity and twelve hours after signing in."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from facilities.models import Booking

START = datetime.datetime(2026, 3, 2, 8, 0, tzinfo=datetime.UTC)


@pytest.fixture
def traveller():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.mark.django_db
def test_an_idle_session_ends_and_a_form_sent_afterwards_leads_back_to_the_form_unsaved(
    client, traveller, booker, room, admitted_project
):
    day = timezone.localdate() + datetime.timedelta(days=7)
    form_page = f"{reverse('facilities:booking_new')}?resource={room.slug}"
    client.force_login(booker)
    assert client.get(form_page).status_code == 200
    traveller.shift(datetime.timedelta(minutes=61))
    response = client.post(
        reverse("facilities:booking_new"),
        {"resource": room.slug, "project": admitted_project.pk, "start": f"{day}T09:00", "end": f"{day}T10:00"},
        headers={"referer": f"http://testserver{form_page}"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next=/bookings/new/%3Fresource%3D{room.slug}"
    assert Booking.objects.count() == 0
    login_page = client.get(response["Location"])
    assert "signed out after 60 minutes without activity" in login_page.text
    assert "What you sent was not saved" in login_page.text


@pytest.mark.django_db
def test_an_active_session_lasts_until_the_idle_limit_and_no_longer_than_twelve_hours(client, traveller, member):
    client.force_login(member)
    for _ in range(24):  # a request every 30 minutes keeps it going for 12 hours
        assert client.get("/").status_code == 200
        traveller.shift(datetime.timedelta(minutes=30))
    traveller.shift(datetime.timedelta(minutes=1))
    response = client.get("/")
    assert response.status_code == 302
    assert "signed out 12 hours after signing in" in client.get(response["Location"]).text


@pytest.mark.django_db
def test_the_session_limits_are_settings(client, traveller, member, settings):
    settings.SESSION_IDLE_TIMEOUT = datetime.timedelta(minutes=5)
    client.force_login(member)
    assert client.get("/").status_code == 200
    traveller.shift(datetime.timedelta(minutes=4))
    assert client.get("/").status_code == 200
    traveller.shift(datetime.timedelta(minutes=6))
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_a_session_ends_at_once_when_deleted_expired_or_its_account_is_deactivated(client, member):
    from django.contrib.sessions.models import Session

    client.force_login(member)
    assert client.get("/").status_code == 200
    Session.objects.all().delete()
    assert client.get("/").status_code == 302
    client.force_login(member)
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    assert client.get("/").status_code == 302
    client.force_login(member)
    member.is_active = False
    member.save()
    assert client.get("/").status_code == 302
