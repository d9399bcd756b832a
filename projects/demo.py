"""Demo research groups, users and projects for ``manage.py seed_demo``. Every name is fictional."""

import datetime
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from atmp_portal.roles import CENTRE_REVIEWERS, FACILITY_STAFF

from . import services, workflow
from .models import (
    AtmpClass,
    AtmpProject,
    BillingCategory,
    CellOrigin,
    DevelopmentStage,
    GeneticModification,
    GmoClass,
    GroupApplication,
    Invitation,
    Membership,
    MembershipRole,
    MilestoneKind,
    OrganisationUnit,
    ProjectStatus,
    ProjectStatusChange,
    RegulatoryMilestone,
    ResearchGroup,
    token_hash,
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
        # The region is billed at the external rate: a choice, not its organisation unit's default.
        "billing_category": BillingCategory.EXTERNAL,
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
        "milestones": [
            (MilestoneKind.CAT_CLASSIFICATION, "2025-02-03", "2025-04-10", "EMA/CAT/000001/2025"),
            (MilestoneKind.ORPHAN_DESIGNATION, "2025-06-01", "2025-09-15", "EU/3/25/0001"),
        ],
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
        "milestones": [
            (MilestoneKind.SCIENTIFIC_ADVICE, "2024-10-01", "2025-01-20", "EMA/SA/000002/2024"),
            (MilestoneKind.CLINICAL_TRIAL_APPLICATION, "2025-05-12", "2025-08-29", "2025-500001-11-00"),
        ],
    },
    {
        "acronym": "CHONDRO-S",
        "title": "Autologous chondrocyte sheets for focal cartilage defects of the knee",
        "group": "cartilage-engineering",
        "lead": "tissue-pi",
        "atmp_class": AtmpClass.TEP,
        "cell_origin": CellOrigin.AUTOLOGOUS,
        "stage": DevelopmentStage.GMP_MANUFACTURING,
        "trl": 6,
        "status": ProjectStatus.ACCEPTED,
        "indication": "Focal cartilage defects of the knee",
        "therapeutic_area": "Orthopaedics",
        "rooms_needed": "Grade B suite with grade A cabinet; grade C preparation room",
        "expected_start": datetime.date(2026, 3, 2),
        "expected_end": datetime.date(2026, 12, 18),
        "campaign_days": 21,
    },
    {
        "acronym": "SCAFF-CART",
        "title": "Chondrocytes seeded on a resorbable collagen scaffold",
        "group": "cartilage-engineering",
        "lead": "tissue-pi",
        "atmp_class": AtmpClass.COMBINED,
        "cell_origin": CellOrigin.AUTOLOGOUS,
        "starting_material": "Cartilage biopsy; CE-marked collagen membrane",
        "stage": DevelopmentStage.PHASE_I_II,
        "trl": 7,
        "status": ProjectStatus.UNDER_REVIEW,
        "indication": "Osteochondral lesions",
        "therapeutic_area": "Orthopaedics",
        "industry_partners": "Fictive Scaffolds AB",
        "milestones": [(MilestoneKind.CLINICAL_TRIAL_APPLICATION, "2026-01-15", None, "")],
    },
    {
        "acronym": "ORGANOID",
        "title": "Midbrain organoids as a source of replacement neurons",
        "group": "neural-repair",
        "lead": "neuro-pi",
        "atmp_class": AtmpClass.UNCLASSIFIED,
        "stage": DevelopmentStage.DISCOVERY,
        "trl": 1,
        "status": ProjectStatus.DRAFT,
        "indication": "Parkinson's disease",
        "therapeutic_area": "Neurology",
    },
    {
        "acronym": "DA-PROG",
        "title": "Dopaminergic progenitors from human pluripotent stem cells",
        "group": "neural-repair",
        "lead": "neuro-pi",
        "atmp_class": AtmpClass.SCTMP,
        "cell_origin": CellOrigin.ALLOGENEIC,
        "stage": DevelopmentStage.PHASE_II,
        "trl": 7,
        "status": ProjectStatus.SUBMITTED,
        "indication": "Parkinson's disease",
        "therapeutic_area": "Neurology",
        "hospital_partners": "Fictive University Hospital, neurology clinic",
    },
    {
        "acronym": "GRV-LYM",
        "title": "Gamma-retroviral CAR-T cells for relapsed lymphoma",
        "group": "car-t-immunotherapy",
        "lead": "immuno-pi",
        "atmp_class": AtmpClass.GTMP,
        "cell_origin": CellOrigin.AUTOLOGOUS,
        "genetic_modification": GeneticModification.GAMMA_RETROVIRAL,
        "stage": DevelopmentStage.PHASE_III,
        "trl": 8,
        "gmo_class": GmoClass.CLASS_2,
        "status": ProjectStatus.COMPLETED,
        "indication": "Relapsed diffuse large B-cell lymphoma",
        "therapeutic_area": "Oncology",
    },
    {
        "acronym": "MSC-HE",
        "title": "Mesenchymal stromal cells for steroid-refractory graft-versus-host disease",
        "group": "stem-cell-lab",
        "lead": "pi",
        "atmp_class": AtmpClass.SCTMP,
        "cell_origin": CellOrigin.ALLOGENEIC,
        "stage": DevelopmentStage.AUTHORISED,
        "trl": 9,
        "status": ProjectStatus.ACTIVE,
        "indication": "Steroid-refractory acute graft-versus-host disease",
        "therapeutic_area": "Haematology",
        "milestones": [(MilestoneKind.HOSPITAL_EXEMPTION, "2024-03-01", "2024-06-30", "LV-HE-0001")],
    },
    {
        "acronym": "EXO-NEU",
        "title": "Cell-free extracellular vesicles for nerve regeneration",
        "group": "neural-repair",
        "lead": "neuro-pi",
        "atmp_class": AtmpClass.UNCLASSIFIED,
        "stage": DevelopmentStage.PRECLINICAL,
        "trl": 3,
        "status": ProjectStatus.REJECTED,
        "indication": "Peripheral nerve injury",
        "therapeutic_area": "Neurology",
    },
    {
        "acronym": "MRNA-T",
        "title": "mRNA-engineered T cells with transient receptor expression",
        "group": "car-t-immunotherapy",
        "lead": "immuno-pi",
        "atmp_class": AtmpClass.GTMP,
        "cell_origin": CellOrigin.AUTOLOGOUS,
        "genetic_modification": GeneticModification.MRNA,
        "stage": DevelopmentStage.DISCOVERY,
        "trl": 2,
        "status": ProjectStatus.WITHDRAWN,
        "indication": "Solid tumours",
        "therapeutic_area": "Oncology",
    },
]

# The workflow steps that bring a new demo project to its status, and who takes each.
PATHS = {
    ProjectStatus.DRAFT: [],
    ProjectStatus.SUBMITTED: ["submit"],
    ProjectStatus.UNDER_REVIEW: ["submit", "start_review"],
    ProjectStatus.ACCEPTED: ["submit", "start_review", "accept"],
    ProjectStatus.ACTIVE: ["submit", "start_review", "accept", "activate"],
    ProjectStatus.COMPLETED: ["submit", "start_review", "accept", "activate", "complete"],
    ProjectStatus.REJECTED: ["submit", "start_review", "reject"],
    ProjectStatus.WITHDRAWN: ["submit", "withdraw"],
}
ACTORS = {"start_review": "reviewer", "accept": "reviewer", "reject": "reviewer", "activate": "facility",
          "complete": "facility"}  # fmt: skip
COMMENTS = {
    "accept": "Admitted to the pre-GMP facility.",
    "reject": "Not an ATMP as described: no cells or genes in the product. Ask for a CAT classification.",
}


# An application waiting for the reviewers, and an invitation waiting for its answer.
APPLICATION = {
    "applicant": "outsider",
    "name": "Organoid Engineering Lab",
    "organisation_unit": OrganisationUnit.LTH,
    "department": "Department of Biomedical Engineering",
    "cost_centre": "LTH-2210",
    "description": "Intestinal organoids on biodegradable scaffolds, towards a tissue-engineered product.",
}
INVITATION = {"group": "stem-cell-lab", "email": "new.postdoc@demo.atmp.example", "invited_by": "pi"}


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
            user.groups.add(Group.objects.get_or_create(name=role_group)[0])
        users[username] = user

    for spec in GROUPS:
        fields = {k: v for k, v in spec.items() if k not in ("slug", "pi", "members")}
        group = ResearchGroup.objects.filter(slug=spec["slug"]).first()
        if group is None:
            group = services.create_group(pi=users[spec["pi"]], slug=spec["slug"], **fields)
        for username, role in spec["members"].items():
            Membership.objects.get_or_create(group=group, user=users[username], defaults={"role": role})

    for spec in PROJECTS:
        if not AtmpProject.objects.filter(acronym=spec["acronym"], group__slug=spec["group"]).exists():
            _create_project(spec, users)

    fields = {k: v for k, v in APPLICATION.items() if k != "applicant"}
    GroupApplication.objects.get_or_create(applicant=users[APPLICATION["applicant"]], defaults=fields)
    group = ResearchGroup.objects.get(slug=INVITATION["group"])
    if not group.invitations.exists():
        # No e-mail and a secret nobody knows: the PI sees it waiting and may revoke it.
        Invitation.objects.create(
            group=group,
            email=INVITATION["email"],
            invited_by=users[INVITATION["invited_by"]],
            token_hash=token_hash(secrets.token_urlsafe(32)),
            expires_at=timezone.now() + services.INVITATION_VALID_FOR,
        )
    return users


def _create_project(spec: dict, users: dict) -> None:
    """Register the project and walk it through the workflow to its status, as its people would."""
    fields = {k: v for k, v in spec.items() if k not in ("group", "lead", "status", "milestones")}
    lead = users[spec["lead"]]
    project = AtmpProject.objects.create(
        group=ResearchGroup.objects.get(slug=spec["group"]), project_lead=lead, **fields
    )
    ProjectStatusChange.objects.create(project=project, to_status=ProjectStatus.DRAFT, actor=lead)
    for kind, date, outcome_date, reference in spec.get("milestones", []):
        RegulatoryMilestone.objects.create(
            project=project,
            kind=kind,
            date=datetime.date.fromisoformat(date),
            outcome_date=outcome_date and datetime.date.fromisoformat(outcome_date),
            reference=reference,
        )
    for step in PATHS[spec["status"]]:
        actor = users[ACTORS.get(step, spec["lead"])]
        workflow.transition_project(project, step, actor=actor, comment=COMMENTS.get(step, ""), notify=False)
