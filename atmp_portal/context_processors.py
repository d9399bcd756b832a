from django.contrib.auth.models import AnonymousUser
from django.utils.functional import SimpleLazyObject

from atmp_portal import roles


def navigation(request):
    """The current user's site-wide roles, for the navigation to show each role its pages."""
    # A request refused before the middleware ran (e.g. a disallowed host: 400) has no user.
    user = getattr(request, "user", AnonymousUser())
    return {
        "user_roles": SimpleLazyObject(
            lambda: {
                "administrator": roles.is_administrator(user),
                "facility_staff": roles.is_facility_staff(user),
                "centre_reviewer": roles.is_centre_reviewer(user),
            }
        )
    }
