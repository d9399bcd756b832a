"""Who may read the audit trail."""

from atmp_portal import roles

# The records centre reviewers oversee; the facility's records are for facility staff.
PROJECT_RECORDS = frozenset(
    {"group", "membership", "group_application", "invitation", "project", "milestone", "document"}
)
# The GMP records quality assurance reviews.
QUALITY_RECORDS = frozenset({"deviation", "resource", "booking"})


def can_view_history(user, model_name: str) -> bool:
    """Facility staff and administrators read every history; centre reviewers that of groups and projects,
    quality assurance that of deviations, rooms and bookings."""
    return (
        roles.is_facility_staff(user)
        or (roles.is_centre_reviewer(user) and model_name in PROJECT_RECORDS)
        or (roles.is_quality_assurance(user) and model_name in QUALITY_RECORDS)
    )
