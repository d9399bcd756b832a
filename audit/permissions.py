"""Who may read the audit trail."""

from atmp_portal import roles


def can_view_history(user) -> bool:
    """Facility staff, centre reviewers and administrators read the history of any tracked object."""
    return roles.is_facility_staff(user) or roles.is_centre_reviewer(user)
