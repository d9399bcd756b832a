"""Who may do what with research groups and projects: one ``can_…`` function per question."""

from typing import TYPE_CHECKING

from atmp_portal import roles

from .models import AtmpProject, Invitation, Membership, MembershipRole, ProjectStatus, ResearchGroup

if TYPE_CHECKING:
    from .workflow import Transition


def membership_of(user, group: ResearchGroup) -> Membership | None:
    """The user's membership of the group, looked up once per group object."""
    if not user.is_authenticated:
        return None
    cache = group.__dict__.setdefault("_membership_by_user", {})
    if user.pk not in cache:
        cache[user.pk] = group.memberships.filter(user=user).first()
    return cache[user.pk]


# Research groups


def can_set_up_group(user) -> bool:
    """Administrators set research groups up and remove them, in the admin."""
    return roles.is_administrator(user)


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


# Applications for new groups, and invitations


def can_apply_for_group(user) -> bool:
    """Anyone signed in applies for a research group of their own."""
    return user.is_authenticated


def can_decide_group_applications(user) -> bool:
    """Centre reviewers approve or decline applications for new research groups."""
    return roles.is_centre_reviewer(user)


def can_invite(user, group: ResearchGroup) -> bool:
    """Those who add members invite them by e-mail, with the roles they could give them directly."""
    return can_manage_group(user, group)


def can_revoke_invitation(user, invitation: Invitation) -> bool:
    return can_manage_group(user, invitation.group)


def can_accept_invitation(user, invitation: Invitation) -> bool:
    """An invitation is bound to its e-mail address: only the account with that address accepts it."""
    return user.is_authenticated and bool(user.email) and user.email.casefold() == invitation.email.casefold()


# ATMP projects


def can_register_project(user, group: ResearchGroup | None = None) -> bool:
    """Members of a research group register projects for it (without a group: for any of theirs).

    Administrators register projects for any group, in the admin; the page offers a user's own groups only.
    """
    if group is None:
        return user.is_authenticated and ResearchGroup.objects.with_member(user).exists()
    return roles.is_administrator(user) or membership_of(user, group) is not None


def can_edit_project(user, project: AtmpProject) -> bool:
    """The group's members edit a project while it is a draft, after that it is under review;
    administrators correct the record at any time."""
    if roles.is_administrator(user):
        return True
    return project.status == ProjectStatus.DRAFT and membership_of(user, project.group) is not None


def can_delete_project(user, project: AtmpProject) -> bool:
    """Administrators delete projects, in the admin."""
    return roles.is_administrator(user)


def can_see_portfolio(user) -> bool:
    """The portfolio and its export count every project: for the centre, which sees them all (``visible_to``)."""
    return roles.is_centre_staff(user)


def can_speak_for_project(user, project: AtmpProject) -> bool:
    """The PI and the project lead speak for the project towards the centre: they submit and withdraw."""
    return user.is_authenticated and user.pk in (project.group.pi_id, project.project_lead_id)


def can_review_project(user, project: AtmpProject | None = None) -> bool:
    """Centre reviewers review submitted projects; without a project: whether the user reviews at all."""
    return roles.is_centre_reviewer(user)


def can_run_project_in_facility(user, project: AtmpProject) -> bool:
    """Reviewers and facility staff start an accepted project's work in the facility, and complete it."""
    return roles.is_centre_staff(user)


def can_transition(user, project: AtmpProject, transition: "Transition") -> bool:
    """The step leaves the project's present status, and the user is one of those who take it."""
    return project.status in transition.sources and transition.allowed(user, project)
