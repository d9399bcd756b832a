import functools

from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group

from atmp_portal import roles, sql


class LoginLockBackend(AxesStandaloneBackend):
    """django-axes' lock on web log-ins.

    Authentication without a request (the test client's ``login``, the shell) has no address to lock
    and cannot come from the web, so it passes on to the next backend instead of failing.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username, password, **kwargs)


def is_not_a_password_login(request, credentials) -> bool:
    """django-axes counts wrong passwords only (AXES_WHITELIST_CALLABLE): a refused university login
    carries no username, and must neither lock the address it came from (a whole campus may share one)
    nor store the identity provider's answer."""
    return not (credentials or {}).get("username")


class SignedInUserWithRoles:
    """Loads the signed-in user of each request together with their site-wide role names (for
    atmp_portal.roles): one query on every page, where the user and then their roles took two."""

    def get_user(self, user_id):
        # Written out and prepared (atmp_portal.sql): this query runs on every request.
        found = sql.instances(get_user_model(), _user_with_role_names(), [list(roles.ROLE_GROUPS), user_id],
                              annotations=("site_role_names",), prepared="signed_in_user")  # fmt: skip
        if not found:
            return None
        user = found[0]
        user.site_role_names = frozenset(user.site_role_names)
        return user if self.user_can_authenticate(user) else None


@functools.cache
def _user_with_role_names() -> str:
    user_model = get_user_model()
    return (
        f"SELECT {sql.columns(user_model, 'u')}, ARRAY("
        f"SELECT g.name FROM {Group._meta.db_table} g JOIN {user_model.groups.through._meta.db_table} ug "
        f"ON ug.group_id = g.id WHERE ug.user_id = u.id AND g.name = ANY(%s)"
        f") FROM {user_model._meta.db_table} u WHERE u.id = %s"
    )


class PasswordBackend(SignedInUserWithRoles, ModelBackend):
    """Django's username and password login."""
