"""What every app's rules share: the refusal they raise and the way a permission is demanded.

A service refuses a change by raising a subclass of :class:`RuleError` with a message for the user;
pages, the admin, the API and commands show that message as it is. "Who may" is a ``can_…``
question in the app's ``permissions.py``; views and services demand its answer with
:func:`require`, so a page, the admin and a command cannot differ.
"""

from django.core.exceptions import PermissionDenied


class RuleError(Exception):
    """A business rule refused a change; the message is for the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def require(allowed: bool) -> None:
    """Refuse with 403 unless a permission question said yes."""
    if not allowed:
        raise PermissionDenied
