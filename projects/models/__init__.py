"""The research groups, memberships and ATMP projects, one module per topic."""

from .applications import ApplicationStatus, GroupApplication
from .documents import DocumentKind, ProjectDocument
from .groups import (
    BillingCategory,
    Membership,
    MembershipRole,
    OrganisationUnit,
    ResearchGroup,
    ResearchGroupQuerySet,
    billed_externally,
)
from .invitations import Invitation, InvitationRole, token_hash
from .milestones import MilestoneKind, MilestoneOutcome, ProjectStatusChange, RegulatoryMilestone
from .projects import (
    ADMITTED_STATUSES,
    SEARCH_CONFIG,
    VIRAL_VECTORS,
    AtmpClass,
    AtmpProject,
    AtmpProjectQuerySet,
    CellOrigin,
    DevelopmentStage,
    GeneticModification,
    GmoClass,
    ProjectStatus,
    ReferenceCounter,
    in_choice_order,
)
from .steps import ProcessStep

__all__ = [
    "ADMITTED_STATUSES",
    "SEARCH_CONFIG",
    "VIRAL_VECTORS",
    "ApplicationStatus",
    "AtmpClass",
    "AtmpProject",
    "AtmpProjectQuerySet",
    "BillingCategory",
    "CellOrigin",
    "DevelopmentStage",
    "DocumentKind",
    "GeneticModification",
    "GmoClass",
    "GroupApplication",
    "Invitation",
    "InvitationRole",
    "Membership",
    "MembershipRole",
    "MilestoneKind",
    "MilestoneOutcome",
    "OrganisationUnit",
    "ProcessStep",
    "ProjectDocument",
    "ProjectStatus",
    "ProjectStatusChange",
    "ReferenceCounter",
    "RegulatoryMilestone",
    "ResearchGroup",
    "ResearchGroupQuerySet",
    "billed_externally",
    "in_choice_order",
    "token_hash",
]
