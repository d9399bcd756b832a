"""A clean room's GMP record beside its calendar: use, line clearance, cleaning, monitoring, deviations, holds.

Records of what happened are append-only in the database (``AppendOnly``): PostgreSQL refuses UPDATE and
DELETE on them, as on the audit trail. Signed records (``SignedRecord``) also carry the signer, the time
and the meaning of the signature; a correction is a new record that references the corrected one and
gives a reason.
"""

import pghistory
import pgtrigger
from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from atmp_portal import roles
from atmp_portal.counters import YearlyCounter
from facilities.models import CleanRoomGrade, ResourceKind
from projects.models import ResearchGroup


class SignatureMeaning(models.TextChoices):
    PERFORMED = "performed", _("Performed")
    REVIEWED = "reviewed", _("Reviewed")
    APPROVED = "approved", _("Approved")
    RELEASED = "released", _("Released")


class AppendOnly(models.Model):
    """A record the database keeps for ever as written."""

    class Meta:
        abstract = True
        triggers = [pgtrigger.Protect(name="append_only", operation=pgtrigger.Update | pgtrigger.Delete)]


class SignedRecord(AppendOnly):
    """An electronically signed record: who signed, when, and what the signature means."""

    MEANING = SignatureMeaning.PERFORMED

    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("signed by")
    )
    signed_at = models.DateTimeField(_("signed at"), default=timezone.now)
    meaning = models.CharField(_("meaning of the signature"), max_length=10, choices=SignatureMeaning.choices)
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="corrections",
        verbose_name=_("corrects"),
    )
    correction_reason = models.TextField(_("reason for the correction"), max_length=1000, blank=True)

    class Meta(AppendOnly.Meta):
        abstract = True


class Disinfection(models.TextChoices):
    AFTER_EACH_USE = "after_use", _("After each use")
    DAILY = "daily", _("Daily, on days of use")


@pghistory.track()
class RoomProgramme(models.Model):
    """A room's cleaning programme and line-clearance setting; rooms without one follow the defaults."""

    room = models.OneToOneField(
        "facilities.Resource",
        on_delete=models.CASCADE,
        related_name="programme",
        limit_choices_to={"kind": ResourceKind.ROOM},
        verbose_name=_("room"),
    )
    disinfection = models.CharField(
        _("routine disinfection"), max_length=10, choices=Disinfection.choices, default=Disinfection.AFTER_EACH_USE
    )
    sporicide_interval_days = models.PositiveSmallIntegerField(_("sporicidal agent at least every (days)"), default=7)
    clearance_between_batches = models.BooleanField(
        _("line clearance between batches"),
        default=False,
        help_text=_("Ask for a line clearance between two batches of the same project, not only between projects."),
    )

    class Meta:
        verbose_name = _("cleaning programme")
        verbose_name_plural = _("cleaning programmes")

    def __str__(self):
        return str(self.room)


@pghistory.track()
class ChecklistItem(models.Model):
    """One point of a room's line-clearance checklist, as the facility defines it."""

    room = models.ForeignKey(
        "facilities.Resource",
        on_delete=models.CASCADE,
        related_name="checklist_items",
        limit_choices_to={"kind": ResourceKind.ROOM},
        verbose_name=_("room"),
    )
    text = models.CharField(_("checklist item"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["room", "position", "pk"]
        verbose_name = _("line-clearance checklist item")
        verbose_name_plural = _("line-clearance checklist items")

    def __str__(self):
        return self.text


@pghistory.track()
class CleaningAgent(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    sporicidal = models.BooleanField(_("sporicidal"), default=False)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("cleaning agent")
        verbose_name_plural = _("cleaning agents")

    def __str__(self):
        return self.name


class UseKind(models.TextChoices):
    CHECK_IN = "check_in", _("Check-in")
    CHECK_OUT = "check_out", _("Check-out")
    NO_SHOW = "no_show", _("No-show")


class UseRecordQuerySet(models.QuerySet):
    def of_room(self, room):
        return self.filter(booking__resource=room)


class UseRecord(AppendOnly):
    """A booking's actual use: check-in (who entered, which batch), check-out, or a no-show."""

    booking = models.ForeignKey(
        "facilities.Booking", on_delete=models.PROTECT, related_name="use_records", verbose_name=_("booking")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=UseKind.choices)
    at = models.DateTimeField(_("time"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
        help_text=_("Empty for no-shows, which the portal marks."),
    )
    batch = models.CharField(_("batch"), max_length=100, blank=True)
    entrants = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="UseEntrant", related_name="+", verbose_name=_("entrants")
    )

    objects = UseRecordQuerySet.as_manager()

    class Meta(AppendOnly.Meta):
        ordering = ["at", "pk"]
        verbose_name = _("use record")
        verbose_name_plural = _("use records")
        constraints = [models.UniqueConstraint(fields=["booking", "kind"], name="one_use_record_of_each_kind")]

    def __str__(self):
        return f"{self.get_kind_display()} {self.booking}"


class UseEntrant(AppendOnly):
    use = models.ForeignKey(UseRecord, on_delete=models.PROTECT)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)

    class Meta(AppendOnly.Meta):
        verbose_name = _("entrant")
        verbose_name_plural = _("entrants")
        constraints = [models.UniqueConstraint(fields=["use", "user"], name="one_entry_per_entrant")]

    def __str__(self):
        return str(self.user)


class LineClearance(SignedRecord):
    """The signed check, after a room's use, that nothing of the previous product or batch remains."""

    MEANING = SignatureMeaning.PERFORMED

    room = models.ForeignKey(
        "facilities.Resource", on_delete=models.PROTECT, related_name="line_clearances", verbose_name=_("room")
    )
    items = models.JSONField(_("checklist items ticked"), default=list)
    note = models.TextField(_("note"), max_length=2000, blank=True)

    class Meta(SignedRecord.Meta):
        ordering = ["-signed_at", "-pk"]
        verbose_name = _("line clearance")
        verbose_name_plural = _("line clearances")

    def __str__(self):
        return f"{self.room} {self.signed_at:%Y-%m-%d %H:%M}"


class Cleaning(SignedRecord):
    MEANING = SignatureMeaning.PERFORMED

    room = models.ForeignKey(
        "facilities.Resource", on_delete=models.PROTECT, related_name="cleanings", verbose_name=_("room")
    )
    performed_at = models.DateTimeField(_("performed at"), default=timezone.now)
    agent = models.ForeignKey(CleaningAgent, on_delete=models.PROTECT, verbose_name=_("agent"))
    areas = models.CharField(_("areas"), max_length=300)

    class Meta(SignedRecord.Meta):
        ordering = ["-performed_at", "-pk"]
        verbose_name = _("cleaning and disinfection")
        verbose_name_plural = _("cleaning and disinfection")

    def __str__(self):
        return f"{self.room} {self.performed_at:%Y-%m-%d %H:%M} {self.agent}"


class EmMethod(models.TextChoices):
    ACTIVE_AIR = "air", _("Active air sample (CFU/m³)")
    SETTLE_PLATE = "settle", _("Settle plate (CFU/4 h)")
    CONTACT_PLATE = "contact", _("Contact plate (CFU/plate)")
    GLOVE_PRINT = "glove", _("Glove print (CFU/glove)")
    PARTICLES_05 = "p05", _("Non-viable particles ≥0.5 µm (per m³)")
    PARTICLES_5 = "p5", _("Non-viable particles ≥5 µm (per m³)")


class OccupancyState(models.TextChoices):
    AT_REST = "at_rest", _("At rest")
    IN_OPERATION = "in_operation", _("In operation")


@pghistory.track()
class AlertLimit(models.Model):
    """The facility's own alert limit for a grade, method and state (a trend signal below the action limit)."""

    grade = models.CharField(_("clean-room grade"), max_length=1, choices=CleanRoomGrade.choices)
    method = models.CharField(_("method"), max_length=10, choices=EmMethod.choices)
    state = models.CharField(_("occupancy state"), max_length=15, choices=OccupancyState.choices)
    limit = models.DecimalField(_("alert limit"), max_digits=12, decimal_places=1)

    class Meta:
        ordering = ["grade", "method", "state"]
        verbose_name = _("alert limit")
        verbose_name_plural = _("alert limits")
        constraints = [models.UniqueConstraint(fields=["grade", "method", "state"], name="one_alert_limit_each")]

    def __str__(self):
        return f"{self.get_grade_display()} {self.get_method_display()} {self.get_state_display()}: {self.limit}"


class EmResult(SignedRecord):
    """An environmental monitoring result, with the limits that applied when it was recorded."""

    MEANING = SignatureMeaning.PERFORMED

    room = models.ForeignKey(
        "facilities.Resource", on_delete=models.PROTECT, related_name="em_results", verbose_name=_("room")
    )
    sampling_point = models.CharField(_("sampling point"), max_length=100)
    grade = models.CharField(
        _("grade at the sampling point"),
        max_length=1,
        choices=CleanRoomGrade.choices,
        help_text=_("E.g. grade A for a point inside a safety cabinet in a grade B room."),
    )
    method = models.CharField(_("method"), max_length=10, choices=EmMethod.choices)
    state = models.CharField(_("occupancy state"), max_length=15, choices=OccupancyState.choices)
    sampled_at = models.DateTimeField(_("sampled at"))
    value = models.DecimalField(_("result"), max_digits=12, decimal_places=1)
    alert_limit = models.DecimalField(_("alert limit"), max_digits=12, decimal_places=1, null=True, blank=True)
    action_limit = models.DecimalField(_("action limit"), max_digits=12, decimal_places=1, null=True, blank=True)

    class Meta(SignedRecord.Meta):
        ordering = ["-sampled_at", "-pk"]
        verbose_name = _("environmental monitoring result")
        verbose_name_plural = _("environmental monitoring results")

    def __str__(self):
        return f"{self.room} {self.sampling_point} {self.get_method_display()}: {self.value}"

    @property
    def above_action(self) -> bool:
        return self.action_limit is not None and self.value > self.action_limit

    @property
    def above_alert(self) -> bool:
        return self.alert_limit is not None and self.value > self.alert_limit


class DeviationCategory(models.TextChoices):
    EM_EXCURSION = "em_excursion", _("Environmental monitoring excursion")
    EQUIPMENT_FAILURE = "equipment", _("Equipment failure")
    PROCEDURE = "procedure", _("Procedure")
    GOWNING = "gowning", _("Gowning")
    MATERIAL = "material", _("Material")
    OTHER = "other", _("Other")


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor")
    MAJOR = "major", _("Major")
    CRITICAL = "critical", _("Critical")


# Deviations of these severities put their room (or equipment) on hold.
HOLDING_SEVERITIES = (Severity.MAJOR, Severity.CRITICAL)


class DeviationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    UNDER_INVESTIGATION = "under_investigation", _("Under investigation")
    CLOSED = "closed", _("Closed")


class DeviationCounter(YearlyCounter):
    """The last deviation number given per year."""

    class Meta:
        verbose_name = _("deviation counter")
        verbose_name_plural = _("deviation counters")


class DeviationQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status=DeviationStatus.CLOSED)

    def holding(self):
        """Open major and critical deviations: each holds its room."""
        return self.open().filter(severity__in=HOLDING_SEVERITIES)

    def of_room(self, room):
        return self.filter(models.Q(room=room) | models.Q(equipment__room=room))

    def visible_to(self, user):
        """Facility staff and QA see every deviation; others those they reported and those of their projects."""
        if roles.is_facility_staff(user) or roles.is_quality_assurance(user):
            return self.all()
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            models.Q(reported_by=user) | models.Q(project__group__in=ResearchGroup.objects.with_member(user))
        )


@pghistory.track()
class Deviation(models.Model):
    code = models.CharField(_("reference"), max_length=20, unique=True, editable=False)
    room = models.ForeignKey(
        "facilities.Resource",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deviations",
        limit_choices_to={"kind": ResourceKind.ROOM},
        verbose_name=_("room"),
    )
    equipment = models.ForeignKey(
        "facilities.Resource",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="equipment_deviations",
        limit_choices_to={"kind": ResourceKind.EQUIPMENT},
        verbose_name=_("equipment"),
    )
    booking = models.ForeignKey(
        "facilities.Booking",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deviations",
        verbose_name=_("booking"),
    )
    project = models.ForeignKey(
        "projects.AtmpProject",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deviations",
        verbose_name=_("ATMP project"),
    )
    em_result = models.ForeignKey(
        EmResult,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deviations",
        verbose_name=_("environmental monitoring result"),
    )
    category = models.CharField(_("category"), max_length=15, choices=DeviationCategory.choices)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    description = models.TextField(_("description"), max_length=10000)
    immediate_action = models.TextField(_("immediate action"), max_length=5000, blank=True)
    investigation = models.TextField(_("investigation"), max_length=10000, blank=True)
    capa = models.TextField(_("CAPA (corrective and preventive actions)"), max_length=10000, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=DeviationStatus.choices, default=DeviationStatus.OPEN)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("reported by")
    )
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)

    objects = DeviationQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at", "-pk"]
        verbose_name = _("deviation")
        verbose_name_plural = _("deviations")

    def __str__(self):
        return self.code

    def get_absolute_url(self):
        return reverse("logbook:deviation_detail", args=[self.pk])

    @property
    def holds_room(self) -> bool:
        return self.severity in HOLDING_SEVERITIES and self.status != DeviationStatus.CLOSED

    @property
    def affected_room(self):
        return self.room or (self.equipment.room if self.equipment else None)


class DeviationClosure(SignedRecord):
    """QA's signed approval that closes a deviation."""

    MEANING = SignatureMeaning.APPROVED

    deviation = models.ForeignKey(
        Deviation, on_delete=models.PROTECT, related_name="closures", verbose_name=_("deviation")
    )
    note = models.TextField(_("note"), max_length=2000, blank=True)

    class Meta(SignedRecord.Meta):
        verbose_name = _("deviation closure")
        verbose_name_plural = _("deviation closures")

    def __str__(self):
        return f"{self.deviation} {self.signed_at:%Y-%m-%d}"


class HoldCause(models.TextChoices):
    EM_EXCURSION = "em_excursion", _("Environmental monitoring action-limit excursion")
    DEVIATION = "deviation", _("Open major or critical deviation")
    QUARANTINE = "quarantine", _("Quarantine")


class RoomHold(AppendOnly):
    """A room put on hold; it stays on hold until QA signs a release after it."""

    room = models.ForeignKey(
        "facilities.Resource", on_delete=models.PROTECT, related_name="holds", verbose_name=_("room")
    )
    cause = models.CharField(_("cause"), max_length=15, choices=HoldCause.choices)
    deviation = models.ForeignKey(
        Deviation, on_delete=models.PROTECT, null=True, blank=True, related_name="holds", verbose_name=_("deviation")
    )
    note = models.TextField(_("note"), max_length=2000, blank=True)
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("placed by")
    )
    placed_at = models.DateTimeField(_("since"), default=timezone.now)

    class Meta(AppendOnly.Meta):
        ordering = ["-placed_at", "-pk"]
        verbose_name = _("room hold")
        verbose_name_plural = _("room holds")

    def __str__(self):
        return f"{self.room}: {self.get_cause_display()}"


class RoomRelease(SignedRecord):
    """QA's signed release of a room from hold."""

    MEANING = SignatureMeaning.RELEASED

    room = models.ForeignKey(
        "facilities.Resource", on_delete=models.PROTECT, related_name="releases", verbose_name=_("room")
    )
    note = models.TextField(_("note"), max_length=2000, blank=True)

    class Meta(SignedRecord.Meta):
        ordering = ["-signed_at", "-pk"]
        verbose_name = _("room release")
        verbose_name_plural = _("room releases")

    def __str__(self):
        return f"{self.room} {self.signed_at:%Y-%m-%d %H:%M}"
