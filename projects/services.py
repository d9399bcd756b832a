"""Every write to research groups, memberships and ATMP projects, and the rules behind it.

Pages, the admin and management commands call these functions with the acting user. A rule
that fails raises ``ProjectError`` with a message meant for the user; an actor who may not
(``permissions``) is refused with ``PermissionDenied``. The workflow's steps are in ``workflow``.
"""

import datetime
import secrets
import zipfile
from collections.abc import Callable, Iterable
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Max, Q, QuerySet
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from atmp_portal import mail
from atmp_portal.people import full_name
from atmp_portal.roles import CENTRE_REVIEWERS
from atmp_portal.rules import RuleError, require
from audit.services import recorded

from . import permissions
from .models import (
    ApplicationStatus,
    AtmpProject,
    GroupApplication,
    Invitation,
    InvitationRole,
    Membership,
    MembershipRole,
    ProjectDocument,
    ProjectStatus,
    ProjectStatusChange,
    ResearchGroup,
    token_hash,
)


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
        raise ProjectError(_("%(user)s is already a member of %(group)s.") % {"user": full_name(user), "group": group})
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
            % {"user": full_name(membership.user)}
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
            % {"user": full_name(membership.user)}
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


# Applications for new research groups


def check_group_name_free(name: str) -> None:
    if ResearchGroup.objects.filter(name__iexact=name.strip()).exists():
        raise ProjectError(_("A research group named “%s” exists already; choose another name.") % name.strip())


@transaction.atomic
def apply_for_group(
    *, actor, name: str, organisation_unit: str, cost_centre: str, description: str, department: str = ""
) -> GroupApplication:
    """Apply for a new research group with the actor as its PI; the centre's reviewers hear of it."""
    require(permissions.can_apply_for_group(actor))
    check_group_name_free(name)
    if GroupApplication.objects.pending().filter(name__iexact=name.strip()).exists():
        raise ProjectError(_("An application for a group named “%s” is waiting for a decision already.") % name.strip())
    application = GroupApplication.objects.create(
        applicant=actor,
        name=name.strip(),
        organisation_unit=organisation_unit,
        department=department,
        cost_centre=cost_centre,
        description=description,
    )
    send_application_mail(application.pk, to_reviewers=True)
    return application


def _pending_application(application: GroupApplication) -> GroupApplication:
    """The application locked for a decision, so that two reviewers deciding at once cannot both succeed."""
    locked = GroupApplication.objects.select_for_update().get(pk=application.pk)
    if not locked.is_pending:
        raise ProjectError(_("This application was decided already: %s.") % locked.get_status_display())
    return locked


def _unique_slug(name: str) -> str:
    base = slugify(name)[:70] or "group"
    slug, n = base, 1
    while ResearchGroup.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def approve_group_application(application: GroupApplication, *, actor, comment: str = "") -> ResearchGroup:
    """Create the research group applied for, with the applicant as its PI, and tell the applicant."""
    require(permissions.can_decide_group_applications(actor))
    locked = _pending_application(application)
    check_group_name_free(locked.name)
    group = create_group(
        pi=locked.applicant,
        name=locked.name,
        slug=_unique_slug(locked.name),
        organisation_unit=locked.organisation_unit,
        department=locked.department,
        cost_centre=locked.cost_centre,
        description=locked.description,
    )
    _decide(locked, ApplicationStatus.APPROVED, actor=actor, comment=comment, group=group)
    application.refresh_from_db()
    return group


@transaction.atomic
def decline_group_application(application: GroupApplication, *, actor, comment: str) -> None:
    """Decline an application, saying why to the applicant."""
    require(permissions.can_decide_group_applications(actor))
    if not comment.strip():
        raise ProjectError(_("Declining an application needs a comment saying why."))
    locked = _pending_application(application)
    _decide(locked, ApplicationStatus.DECLINED, actor=actor, comment=comment)
    application.refresh_from_db()


def _decide(application: GroupApplication, status: str, *, actor, comment: str, group=None) -> None:
    application.status = status
    application.decided_by = actor
    application.decided_at = timezone.now()
    application.decision_comment = comment.strip()
    application.group = group
    with recorded(actor, reason=application.decision_comment):
        application.save()
    send_application_mail(application.pk, to_reviewers=False)


def send_application_mail(application_id: int, *, to_reviewers: bool) -> None:
    """Queue the news of a new application for the reviewers, or of the decision for the applicant."""
    application = GroupApplication.objects.select_related("applicant", "decided_by").get(pk=application_id)
    applicant = full_name(application.applicant)
    if to_reviewers:

        def compose() -> tuple[str, str]:
            subject = _("New application for a research group: %s") % application.name
            body = _("%(applicant)s applies for the research group %(name)s.\n\nDecide on it here: %(url)s\n") % {
                "applicant": applicant,
                "name": application.name,
                "url": settings.SITE_URL + reverse("projects:application_queue"),
            }
            return subject, body

        recipients = reviewers()
    else:

        def compose() -> tuple[str, str]:
            subject = _("Your application for %(name)s: %(status)s") % {
                "name": application.name,
                "status": application.get_status_display(),
            }
            body = _("Your application for the research group %(name)s was %(status)s.\n\n%(comment)s\n\n"
                     "See your applications: %(url)s\n") % {
                "name": application.name,
                "status": application.get_status_display().lower(),
                "comment": application.decision_comment,
                "url": settings.SITE_URL + reverse("projects:my_applications"),
            }  # fmt: skip
            return subject, body

        recipients = [application.applicant]
    send_to(recipients, compose)


# Invitations

INVITATION_VALID_FOR = datetime.timedelta(days=14)


@transaction.atomic
def invite_member(group: ResearchGroup, *, email: str, role: str, actor) -> tuple[Invitation, str]:
    """Invite someone by e-mail to join the group with ``role``; returns the invitation and its link's secret.

    The invitation keeps only the secret's hash; the e-mail carries the link.
    """
    require(permissions.can_invite(actor, group))
    if role not in InvitationRole.values:
        raise ProjectError(_("An invitation gives the role of member or manager."))
    email = email.strip()
    if group.memberships.filter(user__email__iexact=email).exists():
        raise ProjectError(_("%(email)s is already a member of %(group)s.") % {"email": email, "group": group})
    if group.invitations.pending().filter(email__iexact=email).exists():
        raise ProjectError(
            _("%(email)s has an invitation to %(group)s already; revoke it to send a new one.")
            % {"email": email, "group": group}
        )
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        group=group,
        email=email,
        role=role,
        token_hash=token_hash(token),
        invited_by=actor,
        expires_at=timezone.now() + INVITATION_VALID_FOR,
    )
    send_invitation_mail(invitation.pk, token)
    return invitation, token


def find_invitation(token: str) -> Invitation | None:
    """The invitation whose link carries ``token``, in any state."""
    return Invitation.objects.select_related("group", "invited_by").filter(token_hash=token_hash(token)).first()


def check_invitation_usable(invitation: Invitation) -> None:
    """An invitation works once, until it expires, unless it was revoked."""
    if invitation.accepted_at is not None:
        raise ProjectError(_("This invitation has been used already."))
    if invitation.revoked_at is not None:
        raise ProjectError(_("This invitation was revoked by the group."))
    if invitation.is_expired:
        raise ProjectError(
            _("This invitation expired on %s. Ask the group for a new one.")
            % timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d")
        )


@transaction.atomic
def accept_invitation(invitation: Invitation, *, actor) -> Membership:
    """Make the invited person a member of the group with the invitation's role, and use the invitation up."""
    require(permissions.can_accept_invitation(actor, invitation))
    locked = Invitation.objects.select_for_update().select_related("group").get(pk=invitation.pk)
    check_invitation_usable(locked)
    if locked.group.memberships.filter(user=actor).exists():
        raise ProjectError(_("You are a member of %s already.") % locked.group)
    membership = Membership.objects.create(group=locked.group, user=actor, role=locked.role)
    locked.accepted_by = actor
    locked.accepted_at = timezone.now()
    locked.save(update_fields=["accepted_by", "accepted_at"])
    invitation.refresh_from_db()
    return membership


@transaction.atomic
def revoke_invitation(invitation: Invitation, *, actor) -> None:
    require(permissions.can_revoke_invitation(actor, invitation))
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not locked.is_pending:
        raise ProjectError(_("Only a pending invitation can be revoked."))
    locked.revoked_by = actor
    locked.revoked_at = timezone.now()
    locked.save(update_fields=["revoked_by", "revoked_at"])
    invitation.refresh_from_db()


def send_invitation_mail(invitation_id: int, token: str) -> None:
    """Queue the e-mail with the invitation's link, the one place outside the invitee's hands that holds its secret."""
    invitation = Invitation.objects.select_related("group", "invited_by").get(pk=invitation_id)
    inviter = full_name(invitation.invited_by)

    def compose() -> tuple[str, str]:
        subject = _("Invitation to the research group %s") % invitation.group
        body = _(
            "%(inviter)s invites you to join the research group %(group)s as %(role)s in the LU-ATMP portal.\n\n"
            "Log in and accept the invitation here (the link works once, until %(expires)s):\n%(url)s\n\n"
            "Log in with the account of this e-mail address.\n"
        ) % {
            "inviter": inviter,
            "group": invitation.group,
            "role": invitation.get_role_display().lower(),
            "expires": timezone.localtime(invitation.expires_at).strftime("%Y-%m-%d"),
            "url": settings.SITE_URL + reverse("projects:invitation", args=[token]),
        }
        return subject, body

    send_to([invitation.email], compose)


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


def check_record(project: AtmpProject) -> None:
    """The record's consistency rules; forms show them per field, other writers get them here."""
    problems = project.inconsistencies()
    if problems:
        raise ProjectError(" ".join(str(message) for message in problems.values()))


def check_step_class(project: AtmpProject, gmo_class: int) -> None:
    """A step's contained-use class is within the project's, which is its highest (``project`` as entered)."""
    if gmo_class > project.gmo_class:
        raise ProjectError(
            _("A step's contained-use class cannot exceed the project's (%(class)s); raise the project's class first.")
            % {"class": project.get_gmo_class_display().lower()}
        )


@transaction.atomic
def register_project(project: AtmpProject, *, actor, milestones=None, steps=None) -> AtmpProject:
    """Save a new project as a draft (it gets its reference code) with its milestones and steps; open its timeline.

    ``milestones`` and ``steps``, where given, are bound, valid formsets of the project's regulatory
    milestones and process steps.
    """
    check_can_register(project.group, actor=actor)
    check_project_lead(project.group, project.project_lead_id)
    check_record(project)
    project.status = ProjectStatus.DRAFT
    project.save()
    _save_formsets(project, milestones, steps)
    ProjectStatusChange.objects.create(
        project=project, from_status="", to_status=ProjectStatus.DRAFT, actor=actor, comment=_("Registered.")
    )
    return project


@transaction.atomic
def update_project(project: AtmpProject, *, actor, milestones=None, steps=None) -> AtmpProject:
    """Save changes to a project (a draft, unless an administrator corrects it) and, where given, its milestones
    and steps."""
    locked = AtmpProject.objects.select_for_update().select_related("group").get(pk=project.pk)
    check_can_edit(locked, actor=actor)
    check_project_lead(project.group, project.project_lead_id)
    check_record(project)
    project.save()
    _save_formsets(project, milestones, steps)
    return project


def _save_formsets(project: AtmpProject, *formsets) -> None:
    for formset in formsets:
        if formset is not None:
            formset.instance = project
            formset.save()


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

    def compose() -> tuple[str, str]:
        subject = _("%(code)s is now %(status)s") % {"code": project.code, "status": change.get_to_status_display()}
        body = _(
            "%(project)s\n\n%(actor)s changed the status from %(from)s to %(to)s.\n\n%(comment)s\n\n"
            "See the project: %(url)s\n"
        ) % {
            "project": f"{project.code} {project.title}",
            "actor": full_name(change.actor),
            "from": change.get_from_status_display(),
            "to": change.get_to_status_display(),
            "comment": change.comment,
            "url": settings.SITE_URL + reverse("projects:project_detail", args=[project.code]),
        }
        return subject, body

    send_to(reviewers() if to_reviewers else [project.group.pi, project.project_lead], compose)


def reviewers() -> QuerySet:
    """The centre's active reviewers with an e-mail address."""
    return get_user_model().objects.filter(groups__name=CENTRE_REVIEWERS, is_active=True).exclude(email="")


def send_to(recipients: Iterable, compose: Callable[[], tuple[str, str]]) -> None:
    """Queue a notice in the transaction of the change it tells of (``atmp_portal.mail``), one message per
    language of the ``recipients`` (users or addresses), ``compose`` giving its subject and body in that language.
    No one to tell, no mail."""
    for addresses in mail.in_their_languages(recipients):
        subject, body = compose()
        mail.enqueue(EmailMessage(subject, body, None, addresses))


# Project documents

# Accepted types, known by their first bytes: a name's extension says nothing about what a file is.
MAGIC_NUMBERS = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
)
# DOCX and XLSX are ZIP archives; the part each must hold tells them apart from any other archive.
OFFICE_PARTS = (
    ("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ".docx"),
    ("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ".xlsx"),
)


def sniff_content_type(file) -> tuple[str, str] | None:
    """The content type and extension of a PDF, DOCX, XLSX, PNG or JPEG file, read from its content; else None."""
    file.seek(0)
    head = file.read(8)
    file.seek(0)
    for magic, content_type, extension in MAGIC_NUMBERS:
        if head.startswith(magic):
            return content_type, extension
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(file) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return None
        finally:
            file.seek(0)
        for part, content_type, extension in OFFICE_PARTS:
            if part in names:
                return content_type, extension
    return None


def check_document_file(file) -> tuple[str, str]:
    """The upload's size and type; returns its content type and extension."""
    if file.size > settings.DOCUMENTS_MAX_BYTES:
        raise ProjectError(
            _("The file is %(size)s; documents may be at most %(limit)s.")
            % {"size": filesizeformat(file.size), "limit": filesizeformat(settings.DOCUMENTS_MAX_BYTES)}
        )
    if file.size == 0:
        raise ProjectError(_("The file is empty."))
    sniffed = sniff_content_type(file)
    if sniffed is None:
        raise ProjectError(_("Upload a PDF, Word (DOCX), Excel (XLSX), PNG or JPEG file; this file is none of them."))
    return sniffed


def sanitised_file_name(name: str, extension: str) -> str:
    """A file name safe on every storage: ASCII letters, digits and dashes, with the extension of its content."""
    stem = slugify(Path(name.replace("\\", "/")).stem)[:80] or "document"
    return f"{stem}{extension}"


@transaction.atomic
def upload_document(project: AtmpProject, *, actor, kind: str, title: str, document_date, file) -> ProjectDocument:
    """Store a new document, or the next version of the project's document of that type and title.

    Versions are numbered under a lock on the project; nothing stored is ever overwritten.
    """
    require(permissions.can_upload_document(actor, project))
    content_type, extension = check_document_file(file)
    AtmpProject.objects.select_for_update().filter(pk=project.pk).get()
    latest = project.documents.filter(kind=kind, title=title).aggregate(latest=Max("version"))["latest"]
    document = ProjectDocument(
        project=project,
        kind=kind,
        title=title,
        version=(latest or 0) + 1,
        document_date=document_date,
        original_name=Path(file.name.replace("\\", "/")).name[:255],
        content_type=content_type,
        size=file.size,
        uploaded_by=actor,
    )
    document.file.save(sanitised_file_name(file.name, extension), file, save=False)
    with recorded(actor, _("Document uploaded")):
        document.save()
    return document
