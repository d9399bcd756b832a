"""The demo facility: resources with rules, qualifications, closures and bookings that obey the rules."""

import datetime
import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from facilities import services
from facilities.models import Booking, BookingStatus, Closure, Qualification, Resource

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())


def test_qualifications_follow_the_demo_story(demo):
    held = {(q.user.username, q.kind, q.grade) for q in Qualification.objects.select_related("user")}
    assert ("researcher", "gowning", "B") in held
    assert ("outsider", "gowning", "C") in held
    assert not Qualification.objects.filter(user__username="pi").exists()
    assert Qualification.objects.filter(user__username="researcher", kind="training").count() == 4


def test_approved_demo_bookings_record_who_decided_and_when(demo):
    approved = Booking.objects.filter(status=BookingStatus.APPROVED).select_related("resource", "decided_by")
    assert approved.filter(resource__requires_approval=True).exists()
    for booking in approved:
        assert booking.decided_at is not None and booking.decided_at <= max(timezone.now(), booking.period.lower)
        if booking.resource.requires_approval:
            assert booking.decided_by.username == "facility"


def test_demo_bookings_obey_the_rules_and_seeding_again_adds_nothing(demo, settings):
    bookings = Booking.objects.with_details()
    assert bookings.filter(period__endswith__lt=timezone.now()).exists()
    assert bookings.filter(status=BookingStatus.REQUESTED).exists()
    assert Closure.objects.count() == 3
    later = timezone.now() + datetime.timedelta(days=2)
    for booking in bookings.filter(period__startswith__gt=later):
        entrants = list(booking.entrants.all())
        data = services.RuleData.load(booking.booked_by, booking.resource, booking.project, booking.period, entrants)
        services.check_project(booking.project, data.may_book)
        services.check_timing(booking.resource, booking.period, len(entrants))
        services.check_opening(booking.resource, booking.period, data.opening)
        services.check_access(
            booking.resource, booking.project, booking.period, entrants, data.qualifications, data.eligible
        )
        assert not Closure.objects.affecting(booking.resource).overlapping(booking.period).exists()
    assert bookings.filter(series__isnull=False).count() >= 3
    running = bookings.get(resource__slug="incubator-b2", period__contains=timezone.now())
    assert running.period.upper - running.period.lower > datetime.timedelta(days=9)  # ten days, give or take DST
    assert Resource.objects.requalification_due_within(30).filter(kind="room").exists()
    assert not Booking.objects.filter(entrants__isnull=True).exists()
    counts = (Booking.objects.count(), Closure.objects.count(), Qualification.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Booking.objects.count(), Closure.objects.count(), Qualification.objects.count()) == counts


@pytest.mark.parametrize("username", ["admin", "facility", "pi", "researcher", "outsider"])
def test_every_booking_page_renders_for_every_demo_login(client, demo, username):
    client.force_login(get_user_model().objects.get(username=username))
    staff = username in ("admin", "facility")
    booking = Booking.objects.filter(resource__slug="grade-b-suite-1").first()
    pages = {
        reverse("dashboard"): 200,
        reverse("facilities:facility_list"): 200,
        reverse("facilities:facility_detail", args=["pre-gmp"]): 200,
        reverse("facilities:resource_detail", args=["bsc-b1"]): 200,
        reverse("facilities:booking_list"): 200,
        reverse("facilities:booking_list") + "?show=past": 200,
        reverse("facilities:booking_new") + "?resource=grade-b-suite-1": 200,
        reverse("facilities:my_qualifications"): 200,
        reverse("facilities:resource_detail", args=["grade-b-suite-1"]) + f"?week={booking.start:%G-W%V}": 200,
        reverse("facilities:resource_month", args=["grade-b-suite-1"]) + f"?month={booking.start:%Y-%m}": 200,
        reverse("facilities:facility_detail", args=["pre-gmp"]) + f"?date={booking.start:%Y-%m-%d}": 200,
        reverse("facilities:free_time") + "?resources=grade-b-suite-1&duration=60": 200,
        reverse("facilities:calendar_settings"): 200,
        booking.get_absolute_url(): 200 if username in ("admin", "facility", "pi", "researcher") else 404,
        reverse("facilities:pending"): 200 if staff else 403,
        reverse("facilities:closures"): 200 if staff else 403,
        reverse("facilities:qualification_manage"): 200 if staff else 403,
    }
    for url, status in pages.items():
        assert client.get(url).status_code == status, url
