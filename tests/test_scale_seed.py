"""``seed_demo --scale N``: N units of load data on top of the demo, in proportion, each unit loaded once."""

import io
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import F

from facilities.models import Booking, BookingEvent, Facility, Resource
from projects.models import AtmpProject, Membership, ResearchGroup

# The bulk load is the owner role's work: it skips the bookings' audit trigger (seed_demo --scale).
pytestmark = [pytest.mark.django_db, pytest.mark.database_owner]


def load_counts():
    return {
        "users": get_user_model().objects.filter(username__startswith="scale-").count(),
        "groups": ResearchGroup.objects.filter(slug__startswith="scale-").count(),
        "memberships": Membership.objects.filter(group__slug__startswith="scale-").count(),
        "projects": AtmpProject.objects.filter(group__slug__startswith="scale-").count(),
        "facilities": Facility.objects.filter(slug__startswith="scale-").count(),
        "resources": Resource.objects.filter(slug__startswith="scale-").count(),
        "bookings": Booking.objects.filter(resource__slug__startswith="scale-").active().count(),
    }


UNIT = {"users": 20, "groups": 5, "memberships": 20, "projects": 50, "facilities": 1, "resources": 2, "bookings": 2000}


def test_scale_loads_units_in_proportion_on_top_of_the_demo_and_only_once():
    call_command("seed_demo", demo=True, scale=1, stdout=io.StringIO())
    assert load_counts() == UNIT
    assert get_user_model().objects.filter(username="researcher").exists()

    output = io.StringIO()
    call_command("seed_demo", demo=True, scale=2, stdout=output)
    assert load_counts() == {name: 2 * count for name, count in UNIT.items()}
    assert "1 new unit(s) of 2" in output.getvalue()

    codes = AtmpProject.objects.values_list("code", flat=True)
    assert len(set(codes)) == len(codes)
    # Every booking is made by a member of its project's group, for an admitted project.
    load_bookings = Booking.objects.filter(resource__slug__startswith="scale-")
    assert not load_bookings.exclude(project__status__in=("accepted", "active")).exists()
    assert load_bookings.filter(project__group__memberships__user=F("booked_by")).count() == 4000
    # The audit trail has each load booking's insert, as its trigger records it, and the trigger is on again.
    events = BookingEvent.objects.filter(pgh_label="insert", resource__slug__startswith="scale-")
    assert sorted(events.values_list("pgh_obj_id", "period", "status")) == sorted(
        load_bookings.values_list("pk", "period", "status")
    )
    inserts = BookingEvent.objects.filter(pgh_label="insert").count()
    booking = load_bookings.first()
    # A copy is another calendar event: it needs its own UID.
    booking.pk, booking.uid, booking.period = None, uuid.uuid4(), ("2099-01-05T08:00Z", "2099-01-05T09:00Z")
    booking.save()
    assert BookingEvent.objects.filter(pgh_label="insert").count() == inserts + 1


def test_a_scale_outside_the_bounds_is_refused_and_loads_nothing():

    with pytest.raises(CommandError, match="--scale"):
        call_command("seed_demo", demo=True, scale=-1, stdout=io.StringIO())
    assert ResearchGroup.objects.count() == 0
