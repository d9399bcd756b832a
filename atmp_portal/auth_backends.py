from axes.backends import AxesStandaloneBackend
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group
from django.db import connections, router

from atmp_portal import roles


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
        # Written out: this query runs on every request, and through the ORM building it and the user
        # cost more than PostgreSQL takes to answer it.
        user_model = get_user_model()
        fields = [field.attname for field in user_model._meta.concrete_fields]
        columns = ", ".join(f"u.{field.column}" for field in user_model._meta.concrete_fields)
        database = router.db_for_read(user_model)
        with connections[database].cursor() as cursor:
            cursor.execute(
                f"SELECT {columns}, ARRAY("
                f"SELECT g.name FROM {Group._meta.db_table} g JOIN {user_model.groups.through._meta.db_table} ug "
                f"ON ug.group_id = g.id WHERE ug.user_id = u.id AND g.name = ANY(%s)"
                f") FROM {user_model._meta.db_table} u WHERE u.id = %s",
                [list(roles.ROLE_GROUPS), user_id],
            )
            row = cursor.fetchone()
        if row is None:
            return None
        user = user_model.from_db(database, fields, row[:-1])
        user.site_role_names = frozenset(row[-1])
        return user if self.user_can_authenticate(user) else None


class PasswordBackend(SignedInUserWithRoles, ModelBackend):
    """Django's username and password login."""
