"""Invitations to join a research group, sent by e-mail as a link that works once."""

import hashlib

import pghistory
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .groups import MembershipRole, ResearchGroup


class InvitationRole(models.TextChoices):
    """The roles an invitation gives: the PI role is handed on inside the group, never by e-mail."""

    MANAGER = MembershipRole.MANAGER.value, MembershipRole.MANAGER.label
    MEMBER = MembershipRole.MEMBER.value, MembershipRole.MEMBER.label


def token_hash(token: str) -> str:
    """What the database keeps of an invitation's secret: its SHA-256, so a leaked table opens no group."""
    return hashlib.sha256(token.encode()).hexdigest()


class InvitationQuerySet(models.QuerySet):
    def pending(self):
        """Neither accepted nor revoked, and not yet expired."""
        return self.filter(accepted_at=None, revoked_at=None, expires_at__gt=timezone.now())


@pghistory.track(exclude=["token_hash"])
class Invitation(models.Model):
    group = models.ForeignKey(
        ResearchGroup, on_delete=models.CASCADE, related_name="invitations", verbose_name=_("research group")
    )
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=10, choices=InvitationRole.choices, default=InvitationRole.MEMBER)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("invited by")
    )
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self):
        return f"{self.email} → {self.group}"

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and not self.is_expired
