"""Personal data (GDPR): what the portal holds about a person, and anonymising a person who has left."""

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.db import transaction
from django.utils import timezone

from api.models import ApiToken
from audit.services import TRACKED_MODELS
from facilities.models import Booking, Qualification
from projects.models import GroupApplication, Invitation, Membership


def _iso(value):
    return value.isoformat() if value else None


def personal_data(user) -> dict:
    """Everything the portal holds about ``user``, ready for JSON: profile, memberships, qualifications,
    bookings, group applications, invitations to their address, API tokens (never their secrets) and the
    changes they made (the audit trail)."""
    memberships = Membership.objects.filter(user=user).select_related("group").order_by("group__name")
    qualifications = Qualification.objects.filter(user=user).select_related("resource").order_by("valid_from")
    bookings = (
        Booking.objects.booked_or_entered_by(user)
        .select_related("resource", "project", "booked_by")
        .prefetch_related("entrants")
        .order_by("period")
    )
    applications = GroupApplication.objects.filter(applicant=user).order_by("created_at")
    invitations = Invitation.objects.filter(email__iexact=user.email).select_related("group") if user.email else []
    return {
        "exported_at": timezone.now().isoformat(),
        "profile": {
            "username": user.get_username(),
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
        },
        "memberships": [{"group": m.group.name, "role": m.role, "joined_at": _iso(m.joined_at)} for m in memberships],
        "qualifications": [
            {
                "kind": q.kind,
                "grade": q.grade,
                "resource": q.resource.name if q.resource else None,
                "valid_from": _iso(q.valid_from),
                "valid_until": _iso(q.valid_until),
                "note": q.note,
            }
            for q in qualifications
        ],
        "bookings": [
            {
                "resource": b.resource.name,
                "project": b.project.code,
                "start": _iso(b.period.lower),
                "end": _iso(b.period.upper),
                "booked_by_you": b.booked_by == user,
                "entrants": [person.get_username() for person in b.entrants.all()],
                "purpose": b.purpose,
                "status": b.status,
                "cancellation_reason": b.cancellation_reason,
            }
            for b in bookings
        ],
        "group_applications": [
            {
                "name": a.name,
                "organisation_unit": a.organisation_unit,
                "department": a.department,
                "cost_centre": a.cost_centre,
                "description": a.description,
                "status": a.status,
                "applied_at": _iso(a.created_at),
                "decision_comment": a.decision_comment,
            }
            for a in applications
        ],
        "invitations": [
            {
                "group": i.group.name,
                "email": i.email,
                "role": i.role,
                "sent_at": _iso(i.created_at),
                "accepted_at": _iso(i.accepted_at),
                "revoked_at": _iso(i.revoked_at),
            }
            for i in invitations
        ],
        "api_tokens": [
            {
                "name": t.name,
                "scope": t.scope,
                "created_at": _iso(t.created_at),
                "expires_at": _iso(t.expires_at),
                "revoked_at": _iso(t.revoked_at),
            }
            for t in ApiToken.objects.filter(user=user).order_by("created_at")
        ],
        "recorded_changes": [
            {"object": name, "object_id": event.pgh_obj_id, "event": event.pgh_label, "at": _iso(event.pgh_created_at)}
            for name, model in TRACKED_MODELS.items()
            for event in model.pgh_event_model.objects.filter(pgh_context__metadata__user=user.pk).order_by(
                "pgh_created_at"
            )
        ],
    }


def pseudonym(user) -> str:
    return f"former-user-{user.pk}"


@transaction.atomic
def anonymise_user(user) -> None:
    """Replace a departed person's name, e-mail and username by a pseudonym, and shut the account.

    Bookings, projects and memberships stay, now under the pseudonym. The audit trail is append-only
    and is not rewritten: it refers to people by id, so it shows the pseudonym too; free text written
    before (a purpose, a comment) keeps what it said.
    """
    old_username = user.get_username()
    user.username = pseudonym(user)
    user.first_name = user.last_name = user.email = ""
    user.is_active = user.is_staff = user.is_superuser = False
    user.set_unusable_password()
    user.save()
    # Failed-login records hold the username and address: no need to keep them.
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username=old_username).delete()
