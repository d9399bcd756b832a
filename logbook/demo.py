"""A realistic past week of the demo facility's logbook: cleanings in a sporicide rotation, EM results with
one alert, check-ins with a signed line clearance, one open minor deviation and one room on hold."""

import datetime
from decimal import Decimal

from django.utils import timezone

from facilities.models import Booking, BookingStatus, Resource
from facilities.periods import local_datetime

from . import services
from .models import (
    AlertLimit,
    ChecklistItem,
    Cleaning,
    CleaningAgent,
    Deviation,
    Disinfection,
    EmResult,
    LineClearance,
    RoomProgramme,
    SignatureMeaning,
    UseEntrant,
    UseKind,
    UseRecord,
)

AGENTS = [
    ("Ethanol 70 %", False),
    ("Quaternary ammonium disinfectant", False),
    ("Hydrogen peroxide with peracetic acid", True),
    ("Chlorine dioxide", True),
]

CHECKLIST = [
    "Materials, intermediates and samples of the previous product removed",
    "Labels and batch records of the previous product removed",
    "Safety cabinet and surfaces cleaned and disinfected",
    "Waste removed and bins replaced",
    "Equipment cleared, cleaned and its status labels checked",
]

# grade, method, state: the facility's alert limits (below the Annex 1 action limits).
ALERT_LIMITS = [
    ("B", "air", "in_operation", 5),
    ("B", "settle", "in_operation", 3),
    ("B", "contact", "in_operation", 3),
    ("C", "air", "in_operation", 50),
    ("C", "settle", "in_operation", 25),
    ("C", "contact", "in_operation", 13),
    ("D", "air", "in_operation", 100),
    ("D", "settle", "in_operation", 50),
    ("D", "contact", "in_operation", 25),
]


def seed(users: dict) -> None:
    """Settings every run; the week's records once (running it twice changes nothing)."""
    agents = {name: CleaningAgent.objects.get_or_create(name=name, defaults={"sporicidal": s})[0] for name, s in AGENTS}
    for grade, method, state, limit in ALERT_LIMITS:
        AlertLimit.objects.get_or_create(grade=grade, method=method, state=state, defaults={"limit": limit})
    rooms = {room.slug: room for room in Resource.objects.filter(kind="room", facility__slug="pre-gmp")}
    for slug, room in rooms.items():
        strict = room.grade == "B"
        RoomProgramme.objects.get_or_create(
            room=room,
            defaults={
                "disinfection": Disinfection.AFTER_EACH_USE if strict else Disinfection.DAILY,
                "sporicide_interval_days": 7 if strict else 14,
                "clearance_between_batches": slug == "grade-b-suite-1",
            },
        )
        if strict and not room.checklist_items.exists():
            ChecklistItem.objects.bulk_create(
                ChecklistItem(room=room, text=text, position=n) for n, text in enumerate(CHECKLIST)
            )
    if Cleaning.objects.exists():
        return
    _seed_week(users, rooms, agents)


def _signed(user, meaning=SignatureMeaning.PERFORMED, at=None) -> dict:
    return {"signed_by": user, "signed_at": at or timezone.now(), "meaning": meaning}


def _seed_week(users, rooms, agents) -> None:
    staff = users["facility"]
    today = timezone.localdate()
    days = [today - datetime.timedelta(days=n) for n in range(7, 0, -1)]
    sporicides = [agents["Hydrogen peroxide with peracetic acid"], agents["Chlorine dioxide"]]
    routine = [agents["Ethanol 70 %"], agents["Quaternary ammonium disinfectant"]]
    for number, (slug, room) in enumerate(sorted(rooms.items())):
        for day in days:
            if day.weekday() >= 5:
                continue
            at = local_datetime(day, datetime.time(17, 30))
            # A sporicide on Mondays, alternating agents by room; the QC lab's is overdue.
            sporicidal = day.weekday() == 0 and slug != "grade-d-qc-lab"
            agent = sporicides[number % 2] if sporicidal else routine[day.toordinal() % 2]
            Cleaning.objects.create(
                room=room,
                performed_at=at,
                agent=agent,
                areas="Floors, walls, benches, pass-box",
                **_signed(staff, at=at),
            )
        for day in days[-3:]:
            at = local_datetime(day, datetime.time(10, 0))
            EmResult.objects.create(
                room=room, sampling_point="Centre of room", grade=room.grade, method="settle", state="in_operation",
                sampled_at=at, value=Decimal(day.toordinal() % 2), alert_limit=services.alert_limit(room.grade,
                "settle", "in_operation"), action_limit=services.action_limit(room.grade, "settle", "in_operation"),
                **_signed(staff, at=at),
            )  # fmt: skip
    # An alert at the C room's pass-box (contact plate 15 CFU: above 13, below the action limit 25).
    c_room = rooms["grade-c-preparation"]
    at = local_datetime(days[-1], datetime.time(11, 0))
    EmResult.objects.create(
        room=c_room, sampling_point="Pass-box handle", grade="C", method="contact", state="in_operation", sampled_at=at,
        value=Decimal(15), alert_limit=services.alert_limit("C", "contact", "in_operation"),
        action_limit=services.action_limit("C", "contact", "in_operation"), **_signed(staff, at=at),
    )  # fmt: skip
    _seed_use_and_clearance(users, rooms["grade-b-suite-1"])
    # Grade B suite 2 on hold: an action-limit excursion today, waiting for its investigation.
    at = timezone.now() - datetime.timedelta(hours=2)
    excursion = EmResult.objects.create(
        room=rooms["grade-b-suite-2"], sampling_point="Safety cabinet work zone", grade="A", method="settle",
        state="in_operation", sampled_at=at, value=Decimal(1), action_limit=services.action_limit("A", "settle",
        "in_operation"), **_signed(staff, at=at),
    )  # fmt: skip
    services.act_on_result(excursion, by=staff)
    suite_1 = rooms["grade-b-suite-1"]
    project = Booking.objects.filter(resource=suite_1, booked_by=users["researcher"]).first().project
    Deviation.objects.create(
        code=services.next_deviation_code(today.year),
        room=suite_1,
        project=project,
        category="gowning",
        severity="minor",
        description="A sleeve of the sterile gown tore while donning; the gown was replaced before entry.",
        immediate_action="Gown discarded and replaced; the operator regowned.",
        reported_by=users["researcher"],
    )


def _seed_use_and_clearance(users, room) -> None:
    """Last week's bookings of the suite checked in and out, and a signed line clearance after the last."""
    week_ago = timezone.now() - datetime.timedelta(days=7)
    bookings = Booking.objects.filter(
        resource=room,
        status=BookingStatus.APPROVED,
        period__startswith__gte=week_ago,
        period__endswith__lt=timezone.now(),
    ).order_by("period")
    for booking in bookings:
        use = UseRecord.objects.create(
            booking=booking,
            kind=UseKind.CHECK_IN,
            at=booking.period.lower,
            recorded_by=booking.booked_by,
            batch="LV-07",
        )
        UseEntrant.objects.create(use=use, user=booking.booked_by)
        UseRecord.objects.create(
            booking=booking, kind=UseKind.CHECK_OUT, at=booking.period.upper, recorded_by=booking.booked_by
        )
        at = booking.period.upper + datetime.timedelta(minutes=30)
        LineClearance.objects.create(room=room, items=CHECKLIST, **_signed(users["facility"], at=at))
