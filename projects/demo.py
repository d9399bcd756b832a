"""Demo research groups and users for ``manage.py seed_demo``. Every name is fictional."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from atmp_portal.roles import CENTRE_REVIEWERS, FACILITY_STAFF

from . import services
from .models import (
    AtmpClass,
    AtmpProject,
    CellOrigin,
    DevelopmentStage,
    GeneticModification,
    GmoClass,
    Membership,
    MembershipRole,
    OrganisationUnit,
    ProjectStatus,
    ResearchGroup,
)

DEMO_PASSWORD = "demo-pass-2026"
DEMO_LOGINS = ("admin", "facility", "reviewer", "pi", "researcher", "outsider")

USERS = {
    # username: (first name, last name, role group, is superuser)
    "admin": ("Ada", "Admin", None, True),
    "facility": ("Fredrik", "Fält", FACILITY_STAFF, False),
    "reviewer": ("Rut", "Granskare", CENTRE_REVIEWERS, False),
    "pi": ("Petra", "Ingvarsdotter", None, False),
    "researcher": ("Rasmus", "Ekblom", None, False),
    "outsider": ("Olivia", "Utterström", None, False),
    "neuro-pi": ("Nils", "Ravensberg", None, False),
    "tissue-pi": ("Tove", "Kallmark", None, False),
    "immuno-pi": ("Ibrahim", "Sundqvist", None, False),
}

GROUPS = [
    {
        "slug": "stem-cell-lab",
        "name": "Haematopoietic Stem Cell Laboratory",
        "pi": "pi",
        "organisation_unit": OrganisationUnit.MEDICINE,
        "department": "Department of Laboratory Medicine",
        "cost_centre": "MED-4711",
        "description": "Gene-modified haematopoietic stem cells for inherited blood disorders.",
        "members": {"researcher": MembershipRole.MEMBER},
    },
    {
        "slug": "neural-repair",
        "name": "Neural Repair Group",
        "pi": "neuro-pi",
        "organisation_unit": OrganisationUnit.MEDICINE,
        "department": "Department of Experimental Medical Science",
        "cost_centre": "MED-5820",
        "description": "Stem-cell-derived dopaminergic neurons for Parkinson's disease.",
        "members": {},
    },
    {
        "slug": "cartilage-engineering",
        "name": "Cartilage Tissue Engineering",
        "pi": "tissue-pi",
        "organisation_unit": OrganisationUnit.LTH,
        "department": "Department of Biomedical Engineering",
        "cost_centre": "LTH-3302",
        "description": "Scaffold-based cartilage implants from autologous chondrocytes.",
        "members": {},
    },
    {
        "slug": "car-t-immunotherapy",
        "name": "CAR-T Immunotherapy Group",
        "pi": "immuno-pi",
        "organisation_unit": OrganisationUnit.REGION_SKANE,
        "department": "Clinical Immunology and Transfusion Medicine",
        "cost_centre": "RS-9100",
        "description": "Chimeric antigen receptor T cells for B-cell malignancies.",
        "members": {"outsider": MembershipRole.MEMBER},
    },
]


PROJECTS = [
    {
        "acronym": "HSC-LV",
        "title": "Lentiviral gene therapy of autologous haematopoietic stem cells for a rare immunodeficiency",
        "group": "stem-cell-lab",
        "lead": "researcher",
        "atmp_class": AtmpClass.GTMP,
        "cell_origin": CellOrigin.AUTOLOGOUS,
        "genetic_modification": GeneticModification.LENTIVIRAL,
        "stage": DevelopmentStage.PROCESS_DEVELOPMENT,
        "trl": 4,
        "gmo_class": GmoClass.CLASS_2,
        "status": ProjectStatus.ACTIVE,
        "indication": "Severe combined immunodeficiency",
        "therapeutic_area": "Haematology",
    },
    {
        "acronym": "EXP-HSC",
        "title": "Ex vivo expansion of umbilical cord blood stem cells",
        "group": "stem-cell-lab",
        "lead": "pi",
        "atmp_class": AtmpClass.SCTMP,
        "cell_origin": CellOrigin.ALLOGENEIC,
        "genetic_modification": GeneticModification.NONE,
        "stage": DevelopmentStage.PRECLINICAL,
        "trl": 3,
        "gmo_class": GmoClass.NONE,
        "status": ProjectStatus.ACCEPTED,
        "indication": "Haematological malignancies needing transplantation",
        "therapeutic_area": "Haematology",
    },
    {
        "acronym": "CAR19",
        "title": "Anti-CD19 CAR-T cells manufactured in a closed automated system",
        "group": "car-t-immunotherapy",
        "lead": "outsider",
        "atmp_class": AtmpClass.GTMP,
        "cell_origin": CellOrigin.AUTOLOGOUS,
        "genetic_modification": GeneticModification.LENTIVIRAL,
        "stage": DevelopmentStage.PHASE_I,
        "trl": 6,
        "gmo_class": GmoClass.CLASS_1,
        "status": ProjectStatus.ACTIVE,
        "indication": "Relapsed B-cell acute lymphoblastic leukaemia",
        "therapeutic_area": "Oncology",
    },
]


def has_data() -> bool:
    return ResearchGroup.objects.exists()


def seed() -> dict:
    """Create or complete the demo users and groups; returns the users by username."""
    User = get_user_model()
    users = {}
    for username, (first_name, last_name, role_group, is_superuser) in USERS.items():
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                "email": f"{username}@demo.atmp.example",
                "is_superuser": is_superuser,
                "is_staff": is_superuser,
            },
        )
        if not user.check_password(DEMO_PASSWORD):
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        if role_group:
            user.groups.add(Group.objects.get(name=role_group))
        users[username] = user

    for spec in GROUPS:
        fields = {k: v for k, v in spec.items() if k not in ("slug", "pi", "members")}
        group = ResearchGroup.objects.filter(slug=spec["slug"]).first()
        if group is None:
            group = services.create_group(pi=users[spec["pi"]], slug=spec["slug"], **fields)
        for username, role in spec["members"].items():
            Membership.objects.get_or_create(group=group, user=users[username], defaults={"role": role})

    for spec in PROJECTS:
        if AtmpProject.objects.filter(acronym=spec["acronym"], group__slug=spec["group"]).exists():
            continue
        fields = {k: v for k, v in spec.items() if k not in ("group", "lead", "status")}
        project = AtmpProject(
            group=ResearchGroup.objects.get(slug=spec["group"]), project_lead=users[spec["lead"]], **fields
        )
        project.status = spec["status"]
        project.save()
    return users
