"""Every write to research groups, memberships and ATMP projects, and the rules behind it.

Pages, the admin and management commands call these functions with the acting user. A rule
that fails raises ``ProjectError`` with a message meant for the user; an actor who may not
(``permissions``) is refused with ``PermissionDenied``. The workflow's steps are in ``workflow``.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from atmp_portal import mail
from atmp_portal.roles import CENTRE_REVIEWERS
from atmp_portal.rules import RuleError, require

from . import permissions
from .models import AtmpProject, Membership, MembershipRole, ProjectStatus, ProjectStatusChange, ResearchGroup


class ProjectError(RuleError):
    """A research-group or project rule refused a change; the message is for the user."""


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
    """Create a research group with its PI as the first member (demo data and tests; the admin uses save_group)."""
    group = ResearchGroup.objects.create(pi=pi, **fields)
    Membership.objects.create(group=group, user=pi, role=MembershipRole.PI)
    return group


@transaction.atomic
def save_group(group: ResearchGroup, *, actor) -> ResearchGroup:
    """Save a new or changed research group's details.

    Where the PI may have changed, ``sync_pi_membership`` follows once the memberships are saved too
    (the admin edits both at once); the group's page does not change the PI.
    """
    if group.pk is None:
        require(permissions.can_set_up_group(actor))
    else:
        require(permissions.can_manage_group(actor, group))
        former_pi = ResearchGroup.objects.filter(pk=group.pk).values_list("pi", flat=True).get()
        if group.pi_id != former_pi:
            require(permissions.can_assign_pi(actor, group))
    group.save()
    return group


@transaction.atomic
def delete_group(group: ResearchGroup, *, actor) -> None:
    """Delete a research group with its memberships; a group with projects cannot be deleted (``PROTECT``)."""
    require(permissions.can_set_up_group(actor))
    group.delete()


@transaction.atomic
def add_member(group: ResearchGroup, *, identifier: str, role: str, actor) -> Membership:
    """Add the user named by username or e-mail to the group with ``role``."""
    require(permissions.can_manage_group(actor, group))
    if role == MembershipRole.PI:
        require(permissions.can_assign_pi(actor, group))
    user = find_user(identifier)
    if group.memberships.filter(user=user).exists():
        raise ProjectError(_("%(user)s is already a member of %(group)s.") % {"user": user, "group": group})
    if role == MembershipRole.PI:
        membership = Membership.objects.create(group=group, user=user, role=MembershipRole.MEMBER)
        return _make_pi(membership)
    return Membership.objects.create(group=group, user=user, role=role)


@transaction.atomic
def change_role(membership: Membership, role: str, *, actor) -> Membership:
    """Change a member's role; naming a new PI makes the former PI a manager."""
    require(permissions.can_change_membership(actor, membership))
    if role == MembershipRole.PI:
        require(permissions.can_assign_pi(actor, membership.group))
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
def remove_member(membership: Membership, *, actor) -> None:
    require(permissions.can_change_membership(actor, membership))
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


# ATMP projects


def check_project_lead(group: ResearchGroup, lead) -> None:
    """The project lead is a member of the project's research group."""
    if not group.memberships.filter(user=lead).exists():
        raise ProjectError(_("The project lead must be a member of the research group."))


def check_can_register(group: ResearchGroup, *, actor) -> None:
    if not permissions.can_register_project(actor, group):
        raise ProjectError(_("Only members of %(group)s register projects for it.") % {"group": group})


def check_can_edit(project: AtmpProject, *, actor) -> None:
    """``project`` as stored: its status and group decide."""
    if not permissions.can_edit_project(actor, project):
        raise ProjectError(_("Only the group's members change a project, and only while it is a draft."))


@transaction.atomic
def register_project(project: AtmpProject, *, actor, milestones=None) -> AtmpProject:
    """Save a new project as a draft (it gets its reference code) with its milestones, and open its timeline.

    ``milestones``, where given, is a bound, valid formset of the project's regulatory milestones.
    """
    check_can_register(project.group, actor=actor)
    check_project_lead(project.group, project.project_lead_id)
    project.status = ProjectStatus.DRAFT
    project.save()
    if milestones is not None:
        milestones.instance = project
        milestones.save()
    ProjectStatusChange.objects.create(
        project=project, from_status="", to_status=ProjectStatus.DRAFT, actor=actor, comment=_("Registered.")
    )
    return project


@transaction.atomic
def update_project(project: AtmpProject, *, actor, milestones=None) -> AtmpProject:
    """Save changes to a project (a draft, unless an administrator corrects it) and, where given, its milestones."""
    locked = AtmpProject.objects.select_for_update().select_related("group").get(pk=project.pk)
    check_can_edit(locked, actor=actor)
    check_project_lead(project.group, project.project_lead_id)
    project.save()
    if milestones is not None:
        milestones.save()
    return project


@transaction.atomic
def delete_project(project: AtmpProject, *, actor) -> None:
    """Delete a project with its milestones and timeline; one with bookings cannot be deleted (``PROTECT``)."""
    require(permissions.can_delete_project(actor, project))
    project.delete()


def send_status_mail(change_id: int, to_reviewers: bool) -> None:
    """Queue the news of a status change in its transaction; the worker sends it (atmp_portal.mail)."""
    change = ProjectStatusChange.objects.select_related("project__group__pi", "project__project_lead", "actor").get(
        pk=change_id
    )
    project = change.project
    if to_reviewers:
        User = get_user_model()
        reviewers = User.objects.filter(groups__name=CENTRE_REVIEWERS, is_active=True).exclude(email="")
        recipients = sorted(set(reviewers.values_list("email", flat=True)))
    else:
        recipients = sorted({u.email for u in (project.group.pi, project.project_lead) if u.email})
    if not recipients:
        return
    subject = _("%(code)s is now %(status)s") % {"code": project.code, "status": change.get_to_status_display()}
    body = _(
        "%(project)s\n\n%(actor)s changed the status from %(from)s to %(to)s.\n\n%(comment)s\n\n"
        "See the project: %(url)s\n"
    ) % {
        "project": f"{project.code} {project.title}",
        "actor": change.actor.get_full_name() or change.actor.get_username(),
        "from": change.get_from_status_display(),
        "to": change.get_to_status_display(),
        "comment": change.comment,
        "url": settings.SITE_URL + reverse("projects:project_detail", args=[project.code]),
    }
    mail.enqueue(EmailMessage(subject, body, None, recipients))
