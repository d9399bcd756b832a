"""The project workflow: its steps from status to status, who takes each, and taking one.

Every step leaves a dated timeline entry with its comment and tells those who need to know.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import recorded

from . import permissions
from .models import AtmpProject, ProjectStatus, ProjectStatusChange
from .services import ProjectError, send_status_mail


@dataclass(frozen=True)
class Transition:
    """One step of the project workflow: from which statuses, to which, who may take it."""

    name: str
    label: str
    sources: tuple[str, ...]
    target: str
    allowed: Callable[[object, AtmpProject], bool]
    comment_required: bool = False
    # Who hears about it: the centre's reviewers, or the project's PI and lead.
    notify_reviewers: bool = False
    # A step with no way back is taken on its own confirmation page, not straight from the project's page.
    final: bool = False

    @property
    def url_name(self) -> str:
        return f"projects:project_{self.name}"


S = ProjectStatus
P = permissions
TRANSITIONS: dict[str, Transition] = {
    t.name: t
    for t in (
        Transition("submit", gettext_lazy("Submit to the centre"), (S.DRAFT,), S.SUBMITTED, P.can_speak_for_project,
                   notify_reviewers=True),
        Transition("start_review", gettext_lazy("Start review"), (S.SUBMITTED,), S.UNDER_REVIEW,
                   P.can_review_project),
        Transition("accept", gettext_lazy("Accept"), (S.UNDER_REVIEW,), S.ACCEPTED, P.can_review_project),
        Transition("reject", gettext_lazy("Reject"), (S.UNDER_REVIEW,), S.REJECTED, P.can_review_project,
                   comment_required=True, final=True),
        Transition("request_changes", gettext_lazy("Request changes"), (S.SUBMITTED, S.UNDER_REVIEW), S.DRAFT,
                   P.can_review_project, comment_required=True),
        Transition("activate", gettext_lazy("Start work in the facility"), (S.ACCEPTED,), S.ACTIVE,
                   P.can_run_project_in_facility),
        Transition("complete", gettext_lazy("Complete"), (S.ACTIVE,), S.COMPLETED, P.can_run_project_in_facility),
        Transition("withdraw", gettext_lazy("Withdraw"), (S.DRAFT, S.SUBMITTED, S.UNDER_REVIEW, S.ACCEPTED, S.ACTIVE),
                   S.WITHDRAWN, P.can_speak_for_project, notify_reviewers=True, final=True),
    )
}  # fmt: skip


def available_transitions(user, project: AtmpProject) -> list[Transition]:
    """The workflow steps this user may take on the project now, for its buttons."""
    return [t for t in TRANSITIONS.values() if permissions.can_transition(user, project, t)]


@transaction.atomic
def transition_project(project: AtmpProject, name: str, *, actor, comment: str = "", notify: bool = True):
    """Move the project one step along the workflow, leave a timeline entry and tell who needs to know.

    The project row is locked, so two reviewers deciding at once cannot both succeed.
    """
    transition = TRANSITIONS[name]
    locked = AtmpProject.objects.select_for_update().select_related("group").get(pk=project.pk)
    if not permissions.can_transition(actor, locked, transition):
        raise ProjectError(
            _("%(action)s is not possible: the project is %(status)s, or you may not do this.")
            % {"action": transition.label, "status": locked.get_status_display()}
        )
    comment = comment.strip()
    if transition.comment_required and not comment:
        raise ProjectError(_("%(action)s needs a comment saying why.") % {"action": transition.label})
    change = ProjectStatusChange.objects.create(
        project=locked, from_status=locked.status, to_status=transition.target, actor=actor, comment=comment
    )
    locked.status = transition.target
    with recorded(actor, reason=comment):
        locked.save(update_fields=["status", "updated_at"])
    project.status = locked.status
    if notify:
        send_status_mail(change.pk, transition.notify_reviewers)
    return change
