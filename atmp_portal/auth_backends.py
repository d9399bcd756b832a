from axes.backends import AxesStandaloneBackend


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
