"""Load data for ``manage.py seed_demo --scale N``: N units of fictional research groups, users and projects.

One unit is 20 users in 5 research groups of 4 (a PI, a manager, two members) with 50 projects, so
N=100 makes 2,000 users and 5,000 projects. Rows are bulk-inserted: the workflow and its rules are
skipped (each project gets one timeline entry for its status), the database constraints still hold.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.utils import timezone

from .demo import DEMO_PASSWORD
from .models import (
    AtmpClass,
    AtmpProject,
    DevelopmentStage,
    Membership,
    MembershipRole,
    OrganisationUnit,
    ProjectStatus,
    ProjectStatusChange,
    ReferenceCounter,
    ResearchGroup,
)

USERS_PER_UNIT = 20
GROUPS_PER_UNIT = 5
PROJECTS_PER_GROUP = 10
MEMBER_ROLES = (MembershipRole.PI, MembershipRole.MANAGER, MembershipRole.MEMBER, MembershipRole.MEMBER)
# Most load projects are admitted, so that they book the facility.
STATUSES = [ProjectStatus.ACTIVE] * 5 + [ProjectStatus.ACCEPTED] * 2 + [
    ProjectStatus.DRAFT, ProjectStatus.SUBMITTED, ProjectStatus.COMPLETED
]  # fmt: skip
THERAPIES = ["CAR-T cells", "Gene-corrected stem cells", "Chondrocyte implants", "Dopaminergic progenitors",
             "Mesenchymal stromal cells", "Retinal pigment epithelium", "Keratinocyte sheets", "NK cells"]  # fmt: skip
INDICATIONS = ["lymphoma", "sickle cell disease", "cartilage defects", "Parkinson's disease",
               "graft-versus-host disease", "macular degeneration", "burns", "glioblastoma", "myeloma"]  # fmt: skip
BATCH_SIZE = 2000


def unit_prefix(unit: int) -> str:
    return f"scale-{unit:03d}"


def existing_units() -> set[int]:
    """The units already loaded, known by their first research group."""
    slugs = ResearchGroup.objects.filter(slug__startswith="scale-", slug__endswith="-group-0")
    return {int(slug.split("-")[1]) for slug in slugs.values_list("slug", flat=True)}


def seed(units: list[int]) -> dict[int, list[AtmpProject]]:
    """Create the people, groups and projects of ``units``; returns each unit's admitted projects."""
    User = get_user_model()
    password = make_password(DEMO_PASSWORD)  # hashed once for all: hashing is slow on purpose
    users = User.objects.bulk_create(
        [
            User(
                username=f"{unit_prefix(unit)}-user-{number:02d}",
                first_name=f"Load{number:02d}",
                last_name=f"Unit{unit:03d}",
                email=f"{unit_prefix(unit)}-user-{number:02d}@load.atmp.example",
                password=password,
            )
            for unit in units
            for number in range(USERS_PER_UNIT)
        ],
        batch_size=BATCH_SIZE,
    )
    people = {unit: users[i * USERS_PER_UNIT : (i + 1) * USERS_PER_UNIT] for i, unit in enumerate(units)}
    units_list = list(OrganisationUnit.values)
    groups = ResearchGroup.objects.bulk_create(
        [
            ResearchGroup(
                slug=f"{unit_prefix(unit)}-group-{number}",
                name=f"Load unit {unit:03d} research group {number}",
                pi=people[unit][number * len(MEMBER_ROLES)],
                organisation_unit=units_list[(unit + number) % len(units_list)],
                cost_centre=f"LOAD-{unit:03d}{number}",
            )
            for unit in units
            for number in range(GROUPS_PER_UNIT)
        ],
        batch_size=BATCH_SIZE,
    )
    Membership.objects.bulk_create(
        [
            Membership(group=group, user=group.pi if index == 0 else _member(people, group, index), role=role)
            for group in groups
            for index, role in enumerate(MEMBER_ROLES)
        ],
        batch_size=BATCH_SIZE,
    )
    projects = _create_projects(groups, people)
    admitted: dict[int, list[AtmpProject]] = {unit: [] for unit in units}
    for project in projects:
        if project.is_admitted:
            admitted[_unit_of(project.group)].append(project)
    return admitted


def _unit_of(group: ResearchGroup) -> int:
    return int(group.slug.split("-")[1])


def _member(people: dict, group: ResearchGroup, index: int):
    number = int(group.slug.rsplit("-", 1)[1])
    return people[_unit_of(group)][number * len(MEMBER_ROLES) + index]


def _create_projects(groups: list[ResearchGroup], people: dict) -> list[AtmpProject]:
    count = len(groups) * PROJECTS_PER_GROUP
    codes = iter(ReferenceCounter.next_codes(timezone.localdate().year, count))
    classes, stages = list(AtmpClass.values), list(DevelopmentStage.values)
    projects = []
    for group in groups:
        for number in range(PROJECTS_PER_GROUP):
            serial = len(projects)
            therapy, indication = THERAPIES[serial % len(THERAPIES)], INDICATIONS[serial % len(INDICATIONS)]
            projects.append(
                AtmpProject(
                    code=next(codes),
                    group=group,
                    project_lead=_member(people, group, number % len(MEMBER_ROLES)),
                    title=f"{therapy} for {indication} ({group.name}, project {number})",
                    acronym=f"L{_unit_of(group):03d}-{serial % 1000:03d}",
                    indication=indication,
                    lay_summary=f"{therapy} developed towards a treatment of {indication}.",
                    atmp_class=classes[serial % len(classes)],
                    stage=stages[serial % len(stages)],
                    trl=1 + serial % 9,
                    status=STATUSES[number % len(STATUSES)],
                )
            )
    projects = AtmpProject.objects.bulk_create(projects, batch_size=BATCH_SIZE)
    ProjectStatusChange.objects.bulk_create(
        [ProjectStatusChange(project=p, to_status=p.status, actor=p.project_lead) for p in projects],
        batch_size=BATCH_SIZE,
    )
    return projects
