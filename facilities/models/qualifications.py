"""Users' gowning qualifications and equipment training."""

import datetime

import pghistory
from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from atmp_portal.people import full_name

from .resources import GRADE_ORDER, Resource


class QualificationKind(models.TextChoices):
    GOWNING = "gowning", _("Gowning qualification")
    TRAINING = "training", _("Equipment training")


def _expiry_window(days: int) -> tuple[datetime.date, datetime.date]:
    """The first and last day a qualification may end on to count as expiring within ``days``."""
    today = timezone.localdate()
    return today, today + datetime.timedelta(days=days)


class QualificationQuerySet(models.QuerySet):
    def valid_on(self, day: datetime.date):
        return self.filter(valid_from__lte=day, valid_until__gte=day)

    def expiring_within(self, days: int):
        first, last = _expiry_window(days)
        return self.filter(valid_until__gte=first, valid_until__lte=last)


@pghistory.track()
class Qualification(models.Model):
    """A user's gowning qualification for a grade, or training on one resource."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="qualifications", verbose_name=_("user")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=QualificationKind.choices)
    grade = models.CharField(
        _("gowning grade"),
        max_length=1,
        choices=[(g.value, g.label) for g in GRADE_ORDER],
        blank=True,
        help_text=_("Gowning only; covers this grade and every less strict one."),
    )
    resource = models.ForeignKey(
        Resource,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="qualifications",
        verbose_name=_("resource"),
        help_text=_("Training only."),
    )
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    valid_until = models.DateField(_("valid until"))
    certified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("certified by"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    expiry_warning_sent_at = models.DateTimeField(_("expiry warning sent"), null=True, blank=True, editable=False)

    objects = QualificationQuerySet.as_manager()

    class Meta:
        ordering = ["user__username", "kind", "grade", "resource__name"]
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind=QualificationKind.GOWNING, resource__isnull=True) & ~models.Q(grade="")
                | models.Q(kind=QualificationKind.TRAINING, resource__isnull=False, grade=""),
                name="qualification_gowning_grade_or_training_resource",
                violation_error_message=_(
                    "A gowning qualification names a grade and no resource; training names a resource and no grade."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(valid_until__gte=models.F("valid_from")),
                name="qualification_valid_period",
                violation_error_message=_("A qualification cannot end before it starts."),
            ),
        ]

    def __str__(self):
        what = self.get_grade_display() if self.kind == QualificationKind.GOWNING else self.resource
        return f"{full_name(self.user)}: {self.get_kind_display()} {what}"

    def expires_within(self, days: int) -> bool:
        """Whether this qualification is among ``Qualification.objects.expiring_within(days)``."""
        first, last = _expiry_window(days)
        return first <= self.valid_until <= last
