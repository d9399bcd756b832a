"""A project's regulatory milestones and the timeline of its status changes."""

import pghistory
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .projects import AtmpProject, ProjectStatus


class MilestoneKind(models.TextChoices):
    CAT_CLASSIFICATION = "cat_classification", _("CAT classification")
    SCIENTIFIC_ADVICE = "scientific_advice", _("Scientific advice")
    ORPHAN_DESIGNATION = "orphan_designation", _("Orphan designation")
    PRIME = "prime", _("PRIME eligibility")
    NATIONAL_SCIENTIFIC_ADVICE = "national_advice", _("National scientific advice (Läkemedelsverket)")
    INNOVATION_TASK_FORCE = "itf_meeting", _("Innovation Task Force meeting")
    SME_CERTIFICATION = "sme_certification", _("SME ATMP certification (Reg. 1394/2007 Art. 18)")
    PAEDIATRIC_INVESTIGATION_PLAN = "pip", _("Paediatric investigation plan (PIP) or waiver")
    GMO_PERMIT = "gmo_permit", _("GMO notification or permit (Swedish Work Environment Authority)")
    CLINICAL_TRIAL_APPLICATION = "clinical_trial_application", _("Clinical trial application (CTA)")
    HOSPITAL_EXEMPTION = "hospital_exemption", _("Manufacturing authorisation / hospital exemption permit")
    MARKETING_AUTHORISATION_APPLICATION = "maa", _("Marketing authorisation application (MAA)")
    OTHER = "other", _("Other")


class MilestoneOutcome(models.TextChoices):
    PENDING = "pending", pgettext_lazy("milestone outcome", "Pending")
    POSITIVE = "positive", pgettext_lazy("milestone outcome", "Positive")
    NEGATIVE = "negative", pgettext_lazy("milestone outcome", "Negative")
    WITHDRAWN = "withdrawn", pgettext_lazy("milestone outcome", "Withdrawn")
    # Only a CAT classification concludes this.
    NOT_AN_ATMP = "not_atmp", _("Not an ATMP")


@pghistory.track()
class RegulatoryMilestone(models.Model):
    """A regulatory procedure of a project: applied for (or planned) on ``date``, decided on ``outcome_date``."""

    project = models.ForeignKey(
        AtmpProject, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("ATMP project")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=MilestoneKind.choices)
    date = models.DateField(_("date applied or planned"))
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=MilestoneOutcome.choices, default=MilestoneOutcome.PENDING
    )
    outcome_date = models.DateField(_("date of opinion or decision"), null=True, blank=True)
    reference = models.CharField(
        _("reference"), max_length=100, blank=True, help_text=_("E.g. the EMA procedure or CTIS number.")
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["date", "pk"]
        verbose_name = _("regulatory milestone")
        verbose_name_plural = _("regulatory milestones")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(outcome_date__gte=models.F("date")) | models.Q(outcome_date__isnull=True),
                name="milestone_outcome_after_date",
                violation_error_message=_("The opinion or decision comes before the application."),
            ),
            models.CheckConstraint(
                condition=~models.Q(outcome=MilestoneOutcome.NOT_AN_ATMP)
                | models.Q(kind=MilestoneKind.CAT_CLASSIFICATION),
                name="milestone_not_atmp_only_from_cat",
                violation_error_message=_("Only a CAT classification concludes “not an ATMP”."),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} ({self.date:%Y-%m-%d})"


class ProjectStatusChange(models.Model):
    """One dated entry in a project's timeline: who moved it from which status to which, and why."""

    project = models.ForeignKey(
        AtmpProject, on_delete=models.CASCADE, related_name="status_changes", verbose_name=_("ATMP project")
    )
    from_status = models.CharField(_("from status"), max_length=20, choices=ProjectStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=20, choices=ProjectStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="project_status_changes",
        verbose_name=_("by"),
    )
    comment = models.TextField(_("comment"), max_length=2000, blank=True)
    at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self):
        return f"{self.project.code}: {self.from_status or '-'} → {self.to_status}"
