"""The research groups, memberships and ATMP projects, one module per topic."""

from .applications import ApplicationStatus, GroupApplication
from .groups import BillingCategory, Membership, MembershipRole, OrganisationUnit, ResearchGroup, ResearchGroupQuerySet
from .invitations import Invitation, InvitationRole, token_hash
from .milestones import MilestoneKind, ProjectStatusChange, RegulatoryMilestone
from .projects import (
    ADMITTED_STATUSES,
    SEARCH_CONFIG,
    SEARCH_VECTOR,
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

__all__ = [
    "ADMITTED_STATUSES",
    "SEARCH_CONFIG",
    "SEARCH_VECTOR",
    "ApplicationStatus",
    "AtmpClass",
    "AtmpProject",
    "AtmpProjectQuerySet",
    "BillingCategory",
    "CellOrigin",
    "DevelopmentStage",
    "GeneticModification",
    "GmoClass",
    "GroupApplication",
    "Invitation",
    "InvitationRole",
    "Membership",
    "MembershipRole",
    "MilestoneKind",
    "OrganisationUnit",
    "ProjectStatus",
    "ProjectStatusChange",
    "ReferenceCounter",
    "RegulatoryMilestone",
    "ResearchGroup",
    "ResearchGroupQuerySet",
    "in_choice_order",
    "token_hash",
]
