"""Who may read the audit trail."""

from atmp_portal import roles

# The records centre reviewers oversee; the facility's records are for facility staff.
PROJECT_RECORDS = frozenset({"group", "membership", "group_application", "invitation", "project", "milestone"})


def can_view_history(user, model_name: str) -> bool:
    """Facility staff and administrators read every history; centre reviewers that of groups and projects."""
    return roles.is_facility_staff(user) or (roles.is_centre_reviewer(user) and model_name in PROJECT_RECORDS)
