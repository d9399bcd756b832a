"""Load data for ``manage.py seed_demo --scale N``: per unit one facility with a room and a piece of
equipment in it, each booked twice a day on weekdays for about two years (80 weeks back, 20 ahead),
so N=100 makes 200 resources and 200,000 bookings.

Bookings are bulk-inserted without the service's rule checks; they never overlap per resource, so
the exclusion constraint holds.
"""

import datetime
import itertools

import pgtrigger
from django.db import connection
from django.utils import timezone

from projects.scale import BATCH_SIZE, unit_prefix

from .models import Booking, BookingStatus, CleanRoomGrade, Facility, Resource, ResourceKind
from .periods import local_datetime

WEEKS_BACK, WEEKS_AHEAD = 80, 20
# pghistory's InsertEvent trigger on bookings (pgtrigger's name for it).
BOOKING_INSERT_TRIGGER = "facilities.Booking:insert_insert"
DAILY_SLOTS = [(datetime.time(8), datetime.time(12)), (datetime.time(13), datetime.time(17))]


def booking_periods() -> list[tuple[datetime.datetime, datetime.datetime]]:
    """Two slots on every weekday of the load window; 1,000 of them per resource."""
    today = timezone.localdate()
    first_monday = today - datetime.timedelta(days=today.weekday(), weeks=WEEKS_BACK)
    days = (first_monday + datetime.timedelta(days=n) for n in range(7 * (WEEKS_BACK + WEEKS_AHEAD)))
    return [
        (local_datetime(day, start), local_datetime(day, end))
        for day in days
        if day.weekday() < 5
        for start, end in DAILY_SLOTS
    ]


def seed(admitted_projects: dict[int, list]) -> None:
    """Create the facility, resources and bookings of each unit, booked by its admitted projects."""
    units = list(admitted_projects)
    facilities = Facility.objects.bulk_create(
        [
            Facility(slug=unit_prefix(unit), name=f"Load facility {unit:03d}", contact_email="load@atmp.example")
            for unit in units
        ]
    )
    rooms = Resource.objects.bulk_create(
        [
            Resource(
                facility=facility,
                kind=ResourceKind.ROOM,
                slug=f"{facility.slug}-room",
                name=f"Grade C room {facility.slug}",
                grade=CleanRoomGrade.C,
                max_occupancy=4,
            )
            for facility in facilities
        ]
    )
    equipment = Resource.objects.bulk_create(
        [
            Resource(
                facility=room.facility,
                kind=ResourceKind.EQUIPMENT,
                slug=f"{room.facility.slug}-cabinet",
                name=f"Biosafety cabinet {room.facility.slug}",
                equipment_type="Biosafety cabinet class II",
                room=room,
                requalification_due=timezone.localdate() + datetime.timedelta(days=365),
            )
            for room in rooms
        ]
    )
    periods = booking_periods()
    now = timezone.now()

    def bookings():
        for unit, room, item in zip(units, rooms, equipment, strict=True):
            projects = itertools.cycle(admitted_projects[unit])
            for resource in (room, item):
                for period in periods:
                    project = next(projects)
                    yield Booking(
                        resource=resource,
                        period=period,
                        project=project,
                        booked_by=project.project_lead,
                        purpose="Process development run" if period[0] < now else "Planned production run",
                        status=BookingStatus.APPROVED,
                    )

    # The audit trigger records each insert row by row, in plpgsql with exception blocks per row: for
    # 200,000 bookings that took minutes. So the load tells it to skip these statements (a setting of this
    # connection only: other connections' bookings are recorded as ever) and records the same insert
    # events afterwards in one statement.
    with pgtrigger.ignore(BOOKING_INSERT_TRIGGER):
        stream = bookings()
        while batch := list(itertools.islice(stream, BATCH_SIZE * 5)):
            Booking.objects.bulk_create(batch, batch_size=BATCH_SIZE * 5)
    loaded = Booking.objects.filter(resource__in=[*rooms, *equipment])
    _record_insert_events(loaded)
    _add_bookers_as_entrants(loaded)


def _add_bookers_as_entrants(bookings) -> None:
    """Each booker enters their booking, in one INSERT ... SELECT."""
    through = Booking.entrants.through._meta.db_table
    select_sql, params = bookings.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(through)} (booking_id, user_id) "
            f"SELECT id, booked_by_id FROM {connection.ops.quote_name(Booking._meta.db_table)} "
            f"WHERE id IN ({select_sql})",
            params,
        )


def _record_insert_events(bookings) -> None:
    """What the audit trail's insert trigger would have recorded for ``bookings``, in one INSERT ... SELECT."""
    event_model = Booking.pgh_event_models["insert"]
    tracked = [field.column for field in event_model._meta.concrete_fields if not field.name.startswith("pgh_")]
    columns = ", ".join(connection.ops.quote_name(column) for column in tracked)
    select_sql, params = bookings.values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(event_model._meta.db_table)} "
            f"(pgh_created_at, pgh_label, pgh_obj_id, {columns}) "
            f"SELECT NOW(), 'insert', id, {columns} FROM {connection.ops.quote_name(Booking._meta.db_table)} "
            f"WHERE id IN ({select_sql})",
            params,
        )
