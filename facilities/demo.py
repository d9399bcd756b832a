"""The demo pre-GMP facility for ``manage.py seed_demo``."""

from projects.models import GmoClass

from .models import CleanRoomGrade, Facility, Resource, ResourceKind

ROOMS = [
    # slug, name, grade, maximum occupancy, highest GMO class
    ("grade-b-suite-1", "Grade B suite 1", CleanRoomGrade.B, 3, GmoClass.CLASS_2),
    ("grade-b-suite-2", "Grade B suite 2", CleanRoomGrade.B, 3, GmoClass.CLASS_1),
    ("grade-c-preparation", "Grade C preparation room", CleanRoomGrade.C, 4, GmoClass.CLASS_1),
    ("grade-d-process-lab", "Grade D process laboratory", CleanRoomGrade.D, 6, GmoClass.NONE),
    ("grade-d-qc-lab", "Grade D quality control laboratory", CleanRoomGrade.D, 4, GmoClass.NONE),
]

EQUIPMENT = [
    # slug, name, type, room slug, grade of the zone it gives
    (
        "bsc-b1",
        "Biosafety cabinet B1 (grade A)",
        "Biosafety cabinet class II",
        "grade-b-suite-1",
        CleanRoomGrade.A_IN_B,
    ),
    (
        "bsc-b2",
        "Biosafety cabinet B2 (grade A)",
        "Biosafety cabinet class II",
        "grade-b-suite-2",
        CleanRoomGrade.A_IN_B,
    ),
    ("prodigy-1", "Automated cell processor 1", "Closed automated cell processing system", "grade-b-suite-1", ""),
    ("incubator-b1", "CO₂ incubator B1", "CO₂ incubator", "grade-b-suite-1", ""),
    ("incubator-b2", "CO₂ incubator B2", "CO₂ incubator", "grade-b-suite-2", ""),
    ("centrifuge-c", "Centrifuge C", "Refrigerated centrifuge", "grade-c-preparation", ""),
    ("flow-cytometer", "Flow cytometer", "Flow cytometer", "grade-d-qc-lab", ""),
    ("controlled-rate-freezer", "Controlled-rate freezer", "Controlled-rate freezer", "grade-d-process-lab", ""),
]


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
    for slug, name, grade, occupancy, gmo_class in ROOMS:
        rooms[slug], _ = Resource.objects.get_or_create(
            slug=slug,
            defaults={
                "facility": facility,
                "kind": ResourceKind.ROOM,
                "name": name,
                "grade": grade,
                "max_occupancy": occupancy,
                "max_gmo_class": gmo_class,
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
                "max_gmo_class": rooms[room_slug].max_gmo_class,
            },
        )
    return facility
