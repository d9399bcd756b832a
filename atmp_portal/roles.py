"""The portal's site-wide roles.

Facility staff, centre reviewers and quality assurance are Django groups; administrators are staff
users or superusers. Research-group roles (PI, manager, member) live in
``projects.Membership``.
"""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

FACILITY_STAFF = "Facility staff"
CENTRE_REVIEWERS = "Centre reviewers"
QUALITY_ASSURANCE = "Quality assurance"
ROLE_GROUPS = (FACILITY_STAFF, CENTRE_REVIEWERS, QUALITY_ASSURANCE)

User = AbstractBaseUser | AnonymousUser


def _role_names(user: User) -> frozenset[str]:
    # At most one query per request and user, however many checks a page makes; none for the signed-in
    # user, whom atmp_portal.auth_backends loads with ``site_role_names``.
    if not user.is_authenticated:
        return frozenset()
    if not hasattr(user, "site_role_names"):
        user.site_role_names = frozenset(user.groups.filter(name__in=ROLE_GROUPS).values_list("name", flat=True))
    return user.site_role_names


def is_administrator(user: User) -> bool:
    return user.is_authenticated and user.is_active and (user.is_superuser or user.is_staff)


def is_facility_staff(user: User) -> bool:
    return is_administrator(user) or FACILITY_STAFF in _role_names(user)


def is_centre_reviewer(user: User) -> bool:
    return is_administrator(user) or CENTRE_REVIEWERS in _role_names(user)


def is_quality_assurance(user: User) -> bool:
    """QA reviews and signs records, closes deviations and releases rooms from hold."""
    return is_administrator(user) or QUALITY_ASSURANCE in _role_names(user)


def is_centre_staff(user: User) -> bool:
    """The centre's own people: its reviewers and its facility staff (and administrators)."""
    return is_centre_reviewer(user) or is_facility_staff(user)
