"""Who may do what with research groups and projects: one function per question."""

from atmp_portal import roles

from .models import Membership, MembershipRole, ResearchGroup


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
