"""Applications for a new research group, which a centre reviewer approves or declines."""

import pghistory
from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .groups import OrganisationUnit, ResearchGroup


class ApplicationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a decision")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")


class GroupApplicationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status=ApplicationStatus.PENDING)


@pghistory.track()
class GroupApplication(models.Model):
    """A user's application for a research group with themselves as its PI."""

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="group_applications",
        verbose_name=_("applicant"),
    )
    name = models.CharField(_("name of the group"), max_length=200)
    organisation_unit = models.CharField(_("organisation unit"), max_length=20, choices=OrganisationUnit.choices)
    department = models.CharField(
        _("department"), max_length=200, blank=True, help_text=_("E.g. the department or company division.")
    )
    cost_centre = models.CharField(_("cost centre"), max_length=40, help_text=_("Where facility use is billed."))
    description = models.TextField(
        _("description"), max_length=5000, help_text=_("What the group works on and what it needs.")
    )
    status = models.CharField(
        _("status"), max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.PENDING
    )
    created_at = models.DateTimeField(_("applied"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_comment = models.TextField(_("comment"), max_length=2000, blank=True)
    group = models.OneToOneField(
        ResearchGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="application",
        verbose_name=_("research group"),
    )

    objects = GroupApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("group application")
        verbose_name_plural = _("group applications")

    def __str__(self):
        return self.name

    @property
    def is_pending(self) -> bool:
        return self.status == ApplicationStatus.PENDING
