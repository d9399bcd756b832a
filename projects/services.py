"""Every write to research groups and their memberships, and the rules behind it.

Pages, the admin and management commands call these functions; each rule that
fails raises ``ProjectError`` with a message meant for the user.
"""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from .models import Membership, MembershipRole, ResearchGroup


class ProjectError(Exception):
    """A research-group or project rule refused a change; the message is for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def find_user(identifier: str):
    """The active user with this username or e-mail address (case-insensitive)."""
    identifier = identifier.strip()
    User = get_user_model()
    matches = list(
        User.objects.filter(Q(username__iexact=identifier) | Q(email__iexact=identifier), is_active=True)[:2]
    )
    if len(matches) != 1:
        if matches:
            raise ProjectError(_("Several users have the e-mail address “%s”; give the username.") % identifier)
        raise ProjectError(_("No active user has the username or e-mail address “%s”.") % identifier)
    return matches[0]


@transaction.atomic
def create_group(*, pi, **fields) -> ResearchGroup:
    """Create a research group with its PI as the first member."""
    group = ResearchGroup.objects.create(pi=pi, **fields)
    Membership.objects.create(group=group, user=pi, role=MembershipRole.PI)
    return group


@transaction.atomic
def add_member(group: ResearchGroup, identifier: str, role: str) -> Membership:
    """Add the user named by username or e-mail to the group with ``role``."""
    user = find_user(identifier)
    if group.memberships.filter(user=user).exists():
        raise ProjectError(_("%(user)s is already a member of %(group)s.") % {"user": user, "group": group})
    if role == MembershipRole.PI:
        membership = Membership.objects.create(group=group, user=user, role=MembershipRole.MEMBER)
        return _make_pi(membership)
    return Membership.objects.create(group=group, user=user, role=role)


@transaction.atomic
def change_role(membership: Membership, role: str) -> Membership:
    """Change a member's role; naming a new PI makes the former PI a manager."""
    if role == membership.role:
        return membership
    if membership.role == MembershipRole.PI:
        raise ProjectError(
            _("A group always keeps a PI: make another member PI first, then change %(user)s's role.")
            % {"user": membership.user}
        )
    if role == MembershipRole.PI:
        return _make_pi(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def remove_member(membership: Membership) -> None:
    if membership.role == MembershipRole.PI:
        raise ProjectError(
            _("%(user)s is the group's PI and cannot be removed: make another member PI first.")
            % {"user": membership.user}
        )
    membership.delete()


@transaction.atomic
def sync_pi_membership(group: ResearchGroup) -> None:
    """Make memberships agree with ``group.pi`` after the PI was set directly (admin)."""
    group.memberships.filter(role=MembershipRole.PI).exclude(user=group.pi).update(role=MembershipRole.MANAGER)
    Membership.objects.update_or_create(group=group, user=group.pi, defaults={"role": MembershipRole.PI})


def _make_pi(membership: Membership) -> Membership:
    group = ResearchGroup.objects.select_for_update().get(pk=membership.group_id)
    group.memberships.filter(role=MembershipRole.PI).update(role=MembershipRole.MANAGER)
    membership.role = MembershipRole.PI
    membership.save(update_fields=["role"])
    group.pi = membership.user
    group.save(update_fields=["pi"])
    membership.group = group
    return membership
