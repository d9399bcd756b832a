"""Personal API tokens: made, revoked and recognised here, for the token page and the API's authentication."""

import datetime
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from atmp_portal.rules import RuleError, require
from audit.services import recorded

from . import permissions
from .models import ApiToken, TokenScope, token_digest

# Tokens start with this, so that a secret scanner (and a person) recognises one in a log or a repository.
TOKEN_PREFIX = "atmp_"
EXPIRY_CHOICES_DAYS = (30, 90, 365)


class TokenError(RuleError):
    """A token rule refused a change; the message is for the user."""


def create_token(user, *, name: str, scope: str, valid_days: int) -> tuple[ApiToken, str]:
    """Make a token for ``user``; returns it with its secret, which is shown once and stored only as a digest."""
    if valid_days not in EXPIRY_CHOICES_DAYS:
        raise TokenError(_("Choose how long the token is valid: 30, 90 or 365 days."))
    if scope not in TokenScope.values:
        raise TokenError(_("Choose the scope of the token: read, or read and write."))
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name.strip(),
        scope=scope,
        prefix=secret[: len(TOKEN_PREFIX) + 4],
        digest=token_digest(secret),
        expires_at=timezone.now() + datetime.timedelta(days=valid_days),
    )
    with recorded(user, reason=_("API token created.")):
        token.save()
    return token, secret


@transaction.atomic
def revoke_token(token: ApiToken, *, by) -> ApiToken:
    """Stop a token at once; the audit trail keeps who revoked it."""
    require(permissions.can_revoke_token(by, token))
    locked = ApiToken.objects.select_for_update().get(pk=token.pk)
    if locked.revoked_at is not None:
        raise TokenError(_("This token is already revoked."))
    locked.revoked_at = timezone.now()
    with recorded(by, reason=_("API token revoked.")):
        locked.save(update_fields=["revoked_at"])
    return locked


def token_for(secret: str) -> ApiToken | None:
    """The usable token with this secret, with its user; None for an unknown, expired or revoked one."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 100:
        return None
    return ApiToken.objects.usable().select_related("user").filter(digest=token_digest(secret)).first()
