"""The demo facility: resources with rules, qualifications, closures and bookings that obey the rules."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from facilities import services
from facilities.models import Booking, BookingStatus, Closure, Qualification

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


def test_demo_bookings_obey_the_rules_and_seeding_again_adds_nothing(demo, settings):
    bookings = Booking.objects.with_details()
    assert bookings.filter(period__endswith__lt=timezone.now()).exists()
    assert bookings.filter(status=BookingStatus.REQUESTED).exists()
    assert Closure.objects.count() == 3
    later = timezone.now() + datetime.timedelta(days=2)
    for booking in bookings.filter(period__startswith__gt=later):
        services.check_project(booking.booked_by, booking.project)
        services.check_timing(booking.resource, booking.period, booking.persons)
        services.check_access(booking.booked_by, booking.resource, booking.project, booking.period)
        assert not Closure.objects.affecting(booking.resource).overlapping(booking.period).exists()
    counts = (Booking.objects.count(), Closure.objects.count(), Qualification.objects.count())
    call_command("seed_demo", stdout=io.StringIO())
    assert (Booking.objects.count(), Closure.objects.count(), Qualification.objects.count()) == counts
