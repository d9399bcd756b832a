"""The demo pre-GMP facility for ``manage.py seed_demo``: resources with their rules, qualifications,
closures and a few weeks of bookings around today. Every name is fictional; running it twice changes nothing."""

import datetime
import uuid

from django.utils import timezone

from projects.models import AtmpProject, ProcessStep

from .models import (
    Booking,
    BookingStatus,
    CleanRoomGrade,
    Closure,
    ClosureReason,
    Facility,
    OpeningException,
    ProtectionLevel,
    Qualification,
    QualificationKind,
    Resource,
    ResourceKind,
)
from .opening import OpeningDays
from .periods import add_months, local_datetime

# Demo names are bilingual: the portal shows data as it is entered, and the centre works in both languages.
ROOMS = [
    # slug, name, grade, maximum occupancy, protection level (skyddsnivå)
    ("grade-b-suite-1", "Grade B suite 1 / Renrum klass B, svit 1", CleanRoomGrade.B, 3, ProtectionLevel.LEVEL_2),
    ("grade-b-suite-2", "Grade B suite 2 / Renrum klass B, svit 2", CleanRoomGrade.B, 3, ProtectionLevel.LEVEL_1),
    (
        "grade-c-preparation",
        "Grade C preparation room / Beredningsrum klass C",
        CleanRoomGrade.C,
        4,
        ProtectionLevel.LEVEL_1,
    ),
    (
        "grade-d-process-lab",
        "Grade D process laboratory / Processlaboratorium klass D",
        CleanRoomGrade.D,
        6,
        ProtectionLevel.LEVEL_1,
    ),
    # Quality control works outside the classified suite.
    (
        "qc-lab",
        "Quality control laboratory / Kvalitetskontrollaboratorium",
        CleanRoomGrade.UNCLASSIFIED,
        4,
        ProtectionLevel.NONE,
    ),
]

# Booking rules per clean-room grade: stricter rooms need approval, longer changeover and more notice.
ROOM_RULES = {
    CleanRoomGrade.B: {
        "requires_approval": True,
        "changeover_minutes": 120,
        "min_duration_minutes": 60,
        "max_duration_minutes": 480,
        "lead_time_hours": 24,
        "booking_horizon_days": 60,
    },
    CleanRoomGrade.C: {"changeover_minutes": 60, "max_duration_minutes": 480, "lead_time_hours": 2},
    CleanRoomGrade.D: {"changeover_minutes": 30},
    CleanRoomGrade.UNCLASSIFIED: {"changeover_minutes": 15},
}
# Hourly rates in SEK (internal, external) per clean-room grade, and for every piece of equipment.
ROOM_RATES = {
    CleanRoomGrade.B: (1500, 3000),
    CleanRoomGrade.C: (900, 1800),
    CleanRoomGrade.D: (500, 1000),
    CleanRoomGrade.UNCLASSIFIED: (300, 600),
}
EQUIPMENT_RATES = (200, 400)
# Equipment that needs training, and equipment that needs approval.
TRAINING_REQUIRED = {"bsc-b1", "bsc-b2", "prodigy-1", "flow-cytometer"}
APPROVAL_REQUIRED = {"prodigy-1"}
# Incubators and the closed processor run around the clock: a cell expansion takes 7-14 days.
ROUND_THE_CLOCK = {"prodigy-1", "incubator-b1", "incubator-b2"}
# The room whose requalification falls due soon: the staff dashboard shows it.
DUE_SOON = "grade-d-process-lab"
# The demo's recurring series, the same on every run.
SERIES = uuid.uuid5(uuid.NAMESPACE_URL, "https://demo.atmp.example/series/media-fill")

# Grade A is a zone, not a room: a safety cabinet or an isolator inside its grade B background room.
EQUIPMENT = [
    # slug, name, type, room slug, grade of the zone it gives
    ("bsc-b1", "Safety cabinet B1 / Säkerhetsbänk B1", "Class II biological safety cabinet (grade A zone)",
     "grade-b-suite-1", CleanRoomGrade.A_IN_B),
    ("bsc-b2", "Safety cabinet B2 / Säkerhetsbänk B2", "Class II biological safety cabinet (grade A zone)",
     "grade-b-suite-2", CleanRoomGrade.A_IN_B),
    ("isolator-b2", "Isolator B2 / Isolator B2", "Aseptic isolator (grade A zone)", "grade-b-suite-2",
     CleanRoomGrade.A_IN_B),
    ("prodigy-1", "Automated cell processor 1 / Automatiserad cellprocessor 1",
     "Closed automated cell processing system", "grade-b-suite-1", ""),
    ("electroporator-b1", "Electroporator / Elektroporator", "Closed-system electroporator", "grade-b-suite-1", ""),
    ("incubator-b1", "CO₂ incubator B1 / CO₂-inkubator B1", "CO₂ incubator", "grade-b-suite-1", ""),
    ("incubator-b2", "CO₂ incubator B2 / CO₂-inkubator B2", "CO₂ incubator", "grade-b-suite-2", ""),
    ("particle-counter", "Particle counter / Partikelräknare", "Portable particle counter", "grade-b-suite-1", ""),
    ("air-sampler", "Air sampler / Luftprovtagare", "Active microbial air sampler", "grade-b-suite-1", ""),
    ("centrifuge-c", "Centrifuge C / Centrifug C", "Refrigerated centrifuge", "grade-c-preparation", ""),
    ("cell-counter", "Cell counter / Cellräknare", "Automated cell counter", "grade-c-preparation", ""),
    ("tube-welder", "Sterile tube welder / Steril slangsvets", "Sterile tube welder", "grade-c-preparation", ""),
    ("tube-sealer", "Tube sealer / Slangförseglare", "Tube sealer", "grade-c-preparation", ""),
    ("thawing-device", "Thawing device / Upptiningsenhet", "Dry thawing device", "grade-c-preparation", ""),
    ("controlled-rate-freezer", "Controlled-rate freezer / Frys med kontrollerad nedfrysning",
     "Controlled-rate freezer", "grade-d-process-lab", ""),
    ("freezer-80", "\N{MINUS SIGN}80 °C freezer / \N{MINUS SIGN}80 °C-frys", "Ultra-low temperature freezer",
     "grade-d-process-lab", ""),
    ("ln2-storage", "LN₂ vapour-phase storage / Förvaring i LN₂-gasfas", "Liquid nitrogen vapour-phase storage",
     "grade-d-process-lab", ""),
    ("flow-cytometer", "Flow cytometer / Flödescytometer", "Flow cytometer", "qc-lab", ""),
]  # fmt: skip


def _room_requalification_due(facility: Facility, slug: str, grade: str, today: datetime.date):
    """Classified rooms were requalified 40 days ago (one is due soon); unclassified rooms are not requalified."""
    if slug == DUE_SOON:
        return today + datetime.timedelta(days=10)
    months = facility.requalification_months(grade)
    return add_months(today - datetime.timedelta(days=40), months) if months else None


def seed(users: dict) -> Facility:
    facility, _ = Facility.objects.get_or_create(
        slug="pre-gmp",
        defaults={
            "name": "LU-ATMP pre-GMP facility",
            "address": "Biomedical Centre, block B10\nSölvegatan 19\n221 84 Lund",
            "contact_email": "facility@demo.atmp.example",
        },
    )
    rooms = {}
    today = timezone.localdate()
    for slug, name, grade, occupancy, protection_level in ROOMS:
        rooms[slug], _ = Resource.objects.get_or_create(
            slug=slug,
            defaults={
                "facility": facility,
                "kind": ResourceKind.ROOM,
                "name": name,
                "grade": grade,
                "max_occupancy": occupancy,
                "protection_level": protection_level,
                "internal_hourly_rate": ROOM_RATES[grade][0],
                "external_hourly_rate": ROOM_RATES[grade][1],
                "requalification_due": _room_requalification_due(facility, slug, grade, today),
                **ROOM_RULES[grade],
            },
        )
    for slug, name, equipment_type, room_slug, grade in EQUIPMENT:
        Resource.objects.get_or_create(
            slug=slug,
            defaults={
                "facility": facility,
                "kind": ResourceKind.EQUIPMENT,
                "name": name,
                "equipment_type": equipment_type,
                "room": rooms[room_slug],
                "grade": grade,
                "training_required": slug in TRAINING_REQUIRED,
                "requires_approval": slug in APPROVAL_REQUIRED,
                "round_the_clock": slug in ROUND_THE_CLOCK,
                "internal_hourly_rate": EQUIPMENT_RATES[0],
                "external_hourly_rate": EQUIPMENT_RATES[1],
                # The freezer shows on the staff dashboard as due for requalification.
                "requalification_due": today
                + datetime.timedelta(days=14 if slug == "controlled-rate-freezer" else 120),
            },
        )
    seed_qualifications(users)
    if not facility.opening_exceptions.exists():
        seed_opening_exceptions(facility)
    if not facility.closures.exists():
        seed_closures(facility, users["facility"])
    if not Booking.objects.filter(resource__facility=facility).exists():
        seed_bookings(users)
    return facility


def seed_qualifications(users: dict) -> None:
    """``researcher``: gowning for grade B (so C and D too) and training on the equipment; ``outsider``: grade C."""
    today = timezone.localdate()
    since, until, soon = (today + datetime.timedelta(days=n) for n in (-200, 165, 20))
    researcher = users["researcher"]
    grants = [
        (researcher, QualificationKind.GOWNING, {"grade": CleanRoomGrade.B}, until),
        (users["outsider"], QualificationKind.GOWNING, {"grade": CleanRoomGrade.C}, until),
    ]
    for resource in Resource.objects.filter(slug__in=TRAINING_REQUIRED):
        # The training on cabinet B2 runs out soon: the qualifications page warns about it.
        grants.append(
            (
                researcher,
                QualificationKind.TRAINING,
                {"resource": resource},
                soon if resource.slug == "bsc-b2" else until,
            )
        )
    for user, kind, what, valid_until in grants:
        Qualification.objects.get_or_create(
            user=user,
            kind=kind,
            **what,
            defaults={"valid_from": since, "valid_until": valid_until, "certified_by": users["facility"]},
        )


def _monday(weeks_from_now: int) -> datetime.date:
    today = timezone.localdate()
    return today - datetime.timedelta(days=today.weekday()) + datetime.timedelta(weeks=weeks_from_now)


def _period(day: datetime.date, start: str, end: str):
    return (
        local_datetime(day, datetime.time.fromisoformat(start)),
        local_datetime(day, datetime.time.fromisoformat(end)),
    )


def seed_closures(facility: Facility, staff) -> None:
    next_monday = _monday(1)
    closures = [
        (
            "grade-b-suite-1",
            ClosureReason.CLEANING,
            next_monday + datetime.timedelta(days=4),
            "07:00",
            "12:00",
            "Sporicidal disinfection / Sporicid desinfektion",
        ),
        (
            "grade-c-preparation",
            ClosureReason.ENVIRONMENTAL_MONITORING,
            next_monday + datetime.timedelta(days=2),
            "13:00",
            "16:00",
            "Viable and non-viable particle monitoring / Övervakning av partiklar och mikroorganismer",
        ),
        (
            "centrifuge-c",
            ClosureReason.MAINTENANCE,
            next_monday + datetime.timedelta(days=1),
            "07:00",
            "19:00",
            "Annual service / Årlig service",
        ),
    ]
    for slug, reason, day, start, end, note in closures:
        Closure.objects.create(
            facility=facility,
            resource=Resource.objects.get(slug=slug),
            reason=reason,
            period=_period(day, start, end),
            note=note,
            created_by=staff,
        )


# A weekly plan: weekday, project acronym, booker, room, equipment booked with it, from, to, purpose;
# a GMO project's bookings name the process step of the same name.
WEEKLY_PLAN = [
    (0, "HSC-LV", "researcher", "grade-b-suite-1", "bsc-b1", "08:00", "12:00",
     "Lentiviral transduction / Lentiviral transduktion"),
    (2, "HSC-LV", "researcher", "grade-b-suite-1", "bsc-b1", "08:00", "12:00",
     "Expansion and harvest / Expansion och skörd"),
    (1, "EXP-HSC", "researcher", "grade-b-suite-2", None, "09:00", "15:00",
     "Cord blood expansion run / Expansion av navelsträngsblod"),
    (3, "CAR19", "outsider", "grade-c-preparation", None, "10:00", "14:00",
     "Media preparation / Beredning av medier"),
    (4, "EXP-HSC", "researcher", "qc-lab", "flow-cytometer", "13:00", "16:00", "Phenotyping / Fenotypning"),
]  # fmt: skip


def seed_opening_exceptions(facility: Facility) -> None:
    """The summer shutdown: the four weeks from the first Monday of next July."""
    july = datetime.date(timezone.localdate().year + 1, 7, 1)
    first = july + datetime.timedelta(days=(7 - july.weekday()) % 7)
    OpeningException.objects.create(
        facility=facility, first_day=first, last_day=first + datetime.timedelta(days=27), note="Summer shutdown"
    )


def _book(resource, users, username, status, entrants=(), **fields) -> Booking:
    if status == BookingStatus.APPROVED:
        # As the services record it: the facility staff decided where approval is needed, the rules at once elsewhere.
        fields["decided_at"] = min(timezone.now(), fields["period"][0] - datetime.timedelta(days=3))
        if resource.requires_approval:
            fields["decided_by"] = users["facility"]
    booking = Booking.objects.create(resource=resource, booked_by=users[username], status=status, **fields)
    booking.entrants.add(users[username], *entrants)
    return booking


def seed_bookings(users: dict) -> None:
    """Two past weeks and three weeks ahead of the weekly plan, skipping closed days; requests ahead wait where
    approval is needed. A multi-day expansion runs in an incubator now, and a media-fill series waits for approval."""
    projects = {p.acronym: p for p in AtmpProject.objects.admitted()}
    steps = {(step.project_id, step.name): step for step in ProcessStep.objects.all()}
    resources = {r.slug: r for r in Resource.objects.all()}
    now = timezone.now()
    facility = resources["grade-b-suite-1"].facility
    opening = OpeningDays.load(facility, _monday(-2), _monday(5))

    def status(resource, period):
        ahead = period[0] > now
        return BookingStatus.REQUESTED if ahead and resource.requires_approval else BookingStatus.APPROVED

    for week in range(-2, 4):
        for weekday, acronym, username, room, item, start, end, purpose in WEEKLY_PLAN:
            period = _period(_monday(week) + datetime.timedelta(days=weekday), start, end)
            if acronym not in projects or abs(period[0] - now) < datetime.timedelta(days=2):
                continue  # around today the lead times would refuse it
            if opening.hours(period[0].date()) is None:
                continue  # a public holiday or the facility's own closed day
            project = projects[acronym]
            step = steps.get((project.pk, purpose.split(" / ")[0]))
            fields = {"period": period, "project": project, "step": step, "purpose": purpose}
            parent = _book(resources[room], users, username, status(resources[room], period), **fields)
            if item:
                _book(resources[item], users, username, status(resources[item], period), parent=parent, **fields)
    if "EXP-HSC" not in projects:
        return
    today = timezone.localdate()
    _book(
        resources["incubator-b2"],
        users,
        "researcher",
        BookingStatus.APPROVED,
        period=(
            local_datetime(today - datetime.timedelta(days=3), datetime.time(10)),
            local_datetime(today + datetime.timedelta(days=7), datetime.time(10)),
        ),
        project=projects["EXP-HSC"],
        purpose="Cord blood expansion, days 0-10",
    )
    for week in range(1, 5):
        day = _monday(week) + datetime.timedelta(days=3)
        if opening.hours(day) is not None:
            _book(
                resources["grade-b-suite-2"],
                users,
                "researcher",
                BookingStatus.REQUESTED,
                period=_period(day, "08:00", "12:00"),
                project=projects["EXP-HSC"],
                purpose="Aseptic process simulation (media fill)",
                series=SERIES,
            )
