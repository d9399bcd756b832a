"""Who may do what with API tokens: one ``can_…`` function per question."""

from .models import ApiToken


def can_revoke_token(user, token: ApiToken) -> bool:
    """A token is personal: only its owner revokes it (an administrator deactivates the user instead)."""
    return user.is_authenticated and token.user_id == user.pk


def can_write_through(token: ApiToken) -> bool:
    """Only a ``read write`` token books and cancels; a ``read`` token only reads."""
    return token.may_write
