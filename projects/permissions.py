"""Who may do what with research groups and projects: one function per question."""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from atmp_portal import roles

from .models import AtmpProject, Membership, MembershipRole, ProjectStatus, ResearchGroup


def membership_of(user, group: ResearchGroup) -> Membership | None:
    """The user's membership of the group, looked up once per group object."""
    if not user.is_authenticated:
        return None
    cache = group.__dict__.setdefault("_membership_by_user", {})
    if user.pk not in cache:
        cache[user.pk] = group.memberships.filter(user=user).first()
    return cache[user.pk]


def can_manage_group(user, group: ResearchGroup) -> bool:
    """The PI, a manager or an administrator edits the group and its members."""
    if roles.is_administrator(user):
        return True
    membership = membership_of(user, group)
    return membership is not None and membership.can_manage_group


def can_assign_pi(user, group: ResearchGroup) -> bool:
    """Only the PI hands the PI role on (or an administrator)."""
    return roles.is_administrator(user) or (user.is_authenticated and group.pi_id == user.pk)


def can_change_membership(user, membership: Membership) -> bool:
    """Managers manage members, but only the PI or an administrator touches the PI's own membership."""
    if membership.role == MembershipRole.PI:
        return can_assign_pi(user, membership.group)
    return can_manage_group(user, membership.group)


# ATMP projects


def is_group_member(user, project: AtmpProject) -> bool:
    return membership_of(user, project.group) is not None


def is_pi_or_project_lead(user, project: AtmpProject) -> bool:
    """The PI and the project lead speak for the project towards the centre: they submit and withdraw."""
    return user.is_authenticated and user.pk in (project.group.pi_id, project.project_lead_id)


def is_reviewer(user, project: AtmpProject) -> bool:
    return roles.is_centre_reviewer(user)


def is_reviewer_or_facility_staff(user, project: AtmpProject) -> bool:
    return roles.is_centre_reviewer(user) or roles.is_facility_staff(user)


@dataclass(frozen=True)
class Transition:
    """One step of the project workflow: from which statuses, to which, who may take it."""

    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    may: Callable[[object, AtmpProject], bool]
    comment_required: bool = False
    # Who hears about it: the centre's reviewers, or the project's PI and lead.
    notify_reviewers: bool = False

    @property
    def url_name(self) -> str:
        return f"projects:project_{self.name}"


S = ProjectStatus
TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("submit", _("Submit to the centre"), (S.DRAFT,), S.SUBMITTED, is_pi_or_project_lead,
                   notify_reviewers=True),
        Transition("start_review", _("Start review"), (S.SUBMITTED,), S.UNDER_REVIEW, is_reviewer),
        Transition("accept", _("Accept"), (S.UNDER_REVIEW,), S.ACCEPTED, is_reviewer),
        Transition("reject", _("Reject"), (S.UNDER_REVIEW,), S.REJECTED, is_reviewer, comment_required=True),
        Transition("request_changes", _("Request changes"), (S.SUBMITTED, S.UNDER_REVIEW), S.DRAFT, is_reviewer,
                   comment_required=True),
        Transition("activate", _("Start work in the facility"), (S.ACCEPTED,), S.ACTIVE,
                   is_reviewer_or_facility_staff),
        Transition("complete", _("Complete"), (S.ACTIVE,), S.COMPLETED, is_reviewer_or_facility_staff),
        Transition("withdraw", _("Withdraw"), (S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.ACCEPTED, S.ACTIVE),
                   S.WITHDRAWN, is_pi_or_project_lead, notify_reviewers=True),
    )
}  # fmt: skip


def may_transition(user, project: AtmpProject, transition: Transition) -> bool:
    return project.status in transition.sources and transition.may(user, project)


def available_transitions(user, project: AtmpProject) -> list[Transition]:
    """The workflow steps this user may take on the project now, for its buttons."""
    return [t for t in TRANSITIONS.values() if may_transition(user, project, t)]


def may_register_project(user) -> bool:
    """Members of a research group register projects for it."""
    return user.is_authenticated and ResearchGroup.objects.with_member(user).exists()


def may_edit_project(user, project: AtmpProject) -> bool:
    """The group's members (and administrators) edit a project while it is a draft; after that it is under review."""
    if project.status != ProjectStatus.DRAFT:
        return False
    return roles.is_administrator(user) or is_group_member(user, project)


def may_see_portfolio(user) -> bool:
    return roles.is_centre_reviewer(user) or roles.is_facility_staff(user)
