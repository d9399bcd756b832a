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
