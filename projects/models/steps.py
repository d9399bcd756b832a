"""A project's process steps: the activities it does in the facility, each with its contained-use class."""

import pghistory
from django.db import models
from django.utils.translation import gettext_lazy as _

from .projects import AtmpProject, GmoClass


@pghistory.track()
class ProcessStep(models.Model):
    """One activity of a project, e.g. "lentiviral transduction" (class 2) or "cryopreservation" (class 1).

    The GMO class is a property of each activity (Directive 2009/41/EC): a booking names its step, and
    the room's protection level must cover the step's class, not the project's highest one.
    """

    project = models.ForeignKey(
        AtmpProject, on_delete=models.CASCADE, related_name="steps", verbose_name=_("ATMP project")
    )
    name = models.CharField(_("name"), max_length=200)
    gmo_class = models.PositiveSmallIntegerField(
        _("GMO contained-use class"), choices=GmoClass.choices, default=GmoClass.NONE
    )

    class Meta:
        ordering = ["project", "pk"]
        verbose_name = _("process step")
        verbose_name_plural = _("process steps")
        constraints = [models.UniqueConstraint(fields=["project", "name"], name="process_step_unique_name")]

    def __str__(self):
        return _("%(name)s (%(class)s)") % {"name": self.name, "class": self.get_gmo_class_display()}
