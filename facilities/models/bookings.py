"""Bookings of resources; the database refuses two live bookings of one resource that overlap."""

import datetime

import pghistory
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.expressions import ArraySubquery
from django.contrib.postgres.fields import BigIntegerRangeField, DateTimeRangeField, RangeOperators
from django.contrib.postgres.functions import RandomUUID
from django.contrib.postgres.indexes import GistIndex
from django.db import models
from django.db.models.functions import Lower, Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from atmp_portal import roles
from facilities.usage_totals import forgetting_booked_periods
from projects.models import ResearchGroup

from .resources import Resource


class BookingStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    # Swedish: "avslagen" (en bokning), a project is "avslaget".
    REJECTED = "rejected", pgettext_lazy("booking status", "Rejected")
    CANCELLED = "cancelled", _("Cancelled")


# Bookings in these states hold their slot.
ACTIVE_STATUSES = (BookingStatus.REQUESTED, BookingStatus.APPROVED)

# The badge colour of a status in lists; the status is written in it, so colour is not needed to read it.
_STATUS_BADGES = {BookingStatus.APPROVED: "text-bg-success", BookingStatus.REQUESTED: "text-bg-warning"}


def status_badge(status: str) -> str:
    """The Bootstrap badge class that shows a booking ``status``."""
    return _STATUS_BADGES.get(status, "text-bg-secondary")


def resource_key(resource):
    """The exclusion constraint's key for a resource column or id: int8range stands in for btree_gist."""
    value = resource if hasattr(resource, "resolve_expression") else models.Value(resource)
    return _id_range(value, value)


def _id_range(first, last):
    return models.Func(first, last, models.Value("[]"), function="int8range", output_field=BigIntegerRangeField())


def entered_by(user) -> models.Q:
    """Bookings that name ``user`` as an entrant; a subquery, so that no booking is listed twice."""
    return models.Q(pk__in=Booking.entrants.through.objects.filter(user=user).values("booking_id"))


class BookingQuerySet(models.QuerySet):
    def active(self):
        return self.filter(status__in=ACTIVE_STATUSES)

    def involving(self, user):
        """The user's own bookings, those they enter and those of the projects of their research groups."""
        return self.filter(
            models.Q(booked_by=user)
            | entered_by(user)
            | models.Q(project__group__in=ResearchGroup.objects.with_member(user))
        )

    def booked_or_entered_by(self, user):
        """The bookings ``user`` made or will enter: their own list, dashboard and e-mails.

        One ``IN`` over the union of the two: as an ``OR`` of them PostgreSQL reads every booking of the
        centre; as a union it reads the user's own through the booker's and the entrants' indexes.
        """
        booked = Booking.objects.filter(booked_by=user).order_by().values("pk")
        entered = Booking.entrants.through.objects.filter(user=user).values("booking_id")
        return self.filter(pk__in=booked.union(entered, all=True))

    def visible_to(self, user):
        """The bookings ``user`` may see in full: facility staff every one, others those involving them."""
        if roles.is_facility_staff(user):
            return self.all()
        if not user.is_authenticated:
            return self.none()
        return self.involving(user)

    def with_visibility(self, user):
        """Each booking annotated ``visible``: whether ``user`` may see it in full, as ``visible_to`` answers it."""
        if roles.is_facility_staff(user):
            return self.annotate(visible=models.Value(True))
        return self.annotate(
            visible=models.Exists(self.model.objects.visible_to(user).filter(pk=models.OuterRef("pk")))
        )

    def of_resources_overlapping(self, resource_ids, period):
        """Live bookings of these resources that overlap ``period``.

        Asked by the exclusion constraint's key, so that its GiST index finds them by resource and period at once:
        the key within a multirange of the ids' keys (one condition the index answers, where an OR of one key per
        resource or ``resource_id = ANY`` leaves it the period's bookings of every resource, and the span from the
        lowest id to the highest those of every resource numbered between them).
        """
        resource_ids = sorted({int(pk) for pk in resource_ids})
        if not resource_ids:
            return self.none()
        # One parameter, e.g. '{[24,24],[124,124]}', however many resources: a report asks for hundreds.
        keys = models.Value("{" + ",".join(f"[{pk},{pk}]" for pk in resource_ids) + "}")
        any_key = models.Func(keys, template="%(expressions)s::int8multirange", output_field=BigIntegerRangeField())
        return (
            self.active()
            .alias(resource_key=resource_key(models.F("resource")))
            .filter(resource_key__contained_by=any_key, period__overlap=period)
        )

    def for_resource(self, resource: Resource):
        return self.filter(resource=resource)

    def overlapping(self, period):
        return self.filter(period__overlap=period)

    def upcoming(self):
        return self.filter(period__endswith__gt=timezone.now()).order_by("period")

    def past(self):
        return self.filter(period__endswith__lte=timezone.now()).order_by("-period")

    def pending(self):
        return self.filter(status=BookingStatus.REQUESTED).order_by("period")

    def one_row_per_series(self):
        """These bookings with a series shown once, by its first date here, and ``series_starts``: the starts of
        its dates here. Equipment waiting for its room's decision is left to the room's row."""
        rows = self.exclude(parent__status=BookingStatus.REQUESTED)
        first_of_series = rows.filter(series__isnull=False).order_by("series", "period").distinct("series").values("pk")
        starts = rows.filter(series=models.OuterRef("series"), parent__isnull=True).order_by("period")
        return rows.filter(models.Q(series__isnull=True) | models.Q(pk__in=first_of_series)).annotate(
            series_starts=ArraySubquery(starts.values(start=Lower("period")))
        )

    def with_details(self):
        return self.select_related("resource", "resource__facility", "project", "project__group", "booked_by", "step")

    def with_entrants(self):
        return self.prefetch_related(
            models.Prefetch("entrants", queryset=get_user_model().objects.order_by("username"))
        )

    def first_with_details(self, count: int):
        """The first ``count`` of these bookings, in their order, with their details; one query."""
        return self._first(count).with_details()

    def _first(self, count: int):
        """The first ``count`` of these bookings, in their order, for joins to be added to.

        The limit is taken before the joins: joined first, PostgreSQL hashes every project and user to
        pick a few rows, which grows with the centre.
        """
        ordering = self.query.order_by or self.model._meta.ordering
        first = self.values("pk")[:count]
        return self.model.objects.filter(pk__in=first).order_by(*ordering)


# The calendar fields are bookkeeping for calendar programs: the status changes that move them are tracked.
@pghistory.track(exclude=["uid", "sequence", "updated_at"])
class Booking(models.Model):
    resource = models.ForeignKey(
        Resource, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("resource")
    )
    period = DateTimeRangeField(_("period"))
    project = models.ForeignKey(
        "projects.AtmpProject", on_delete=models.PROTECT, related_name="bookings", verbose_name=_("ATMP project")
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings", verbose_name=_("booked by")
    )
    step = models.ForeignKey(
        "projects.ProcessStep",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="bookings",
        verbose_name=_("process step"),
        help_text=_("For a GMO project: the step done, whose contained-use class the room must be approved for."),
    )
    entrants = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="entered_bookings",
        verbose_name=_("entrants"),
        help_text=_("The people who will enter; their number is the booking's occupancy."),
    )
    purpose = models.CharField(_("purpose"), max_length=500)
    status = models.CharField(
        _("status"), max_length=10, choices=BookingStatus.choices, default=BookingStatus.REQUESTED
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("decision comment"), max_length=1000, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancellation_reason = models.TextField(_("cancellation reason"), max_length=1000, blank=True)
    series = models.UUIDField(
        _("recurring series"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_("Shared by the bookings of one series."),
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="equipment_bookings",
        verbose_name=_("room booking"),
        help_text=_("For equipment booked together with its room."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # The calendar event's identity in e-mails and feeds alike; the database draws it, existing rows included.
    uid = models.UUIDField(_("calendar UID"), db_default=RandomUUID(), unique=True, editable=False)
    sequence = models.PositiveIntegerField(
        _("calendar sequence"),
        default=0,
        editable=False,
        help_text=_("Counts the changes sent to calendars, so that they take the newest."),
    )
    reminder_sent_at = models.DateTimeField(_("reminder sent"), null=True, blank=True, editable=False)

    objects = BookingQuerySet.as_manager()

    class Meta:
        ordering = ["period"]
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        constraints = [
            # The database refuses two live bookings of one resource that overlap. int8range on the key
            # stands in for btree_gist, which the embedded server lacks.
            ExclusionConstraint(
                name="booking_no_overlap",
                expressions=[
                    (
                        models.Func(
                            models.F("resource"),
                            models.F("resource"),
                            models.Value("[]"),
                            function="int8range",
                            output_field=models.TextField(),
                        ),
                        RangeOperators.EQUAL,
                    ),
                    ("period", RangeOperators.OVERLAPS),
                ],
                condition=models.Q(status__in=ACTIVE_STATUSES),
            ),
            models.CheckConstraint(
                condition=models.Q(period__startswith__lt=Upper("period")), name="booking_period_order"
            ),
        ]
        # Pages ask for what is still ahead; with years of history these find it without reading the past.
        indexes = [
            models.Index(
                "resource",
                Upper("period"),
                name="booking_resource_live_end",
                condition=models.Q(status__in=ACTIVE_STATUSES),
            ),
            models.Index(Upper("period"), name="booking_requested_end", condition=models.Q(status="requested")),
            # Live bookings overlapping a period at every resource (today's, a week's): the exclusion
            # constraint's index leads with the resource and reads a period's bookings of the centre slowly.
            GistIndex(fields=["period"], name="booking_live_period", condition=models.Q(status__in=ACTIVE_STATUSES)),
        ]
        triggers = forgetting_booked_periods()

    def __str__(self):
        return f"{self.resource} {self.start:%Y-%m-%d %H:%M}"

    def get_absolute_url(self):
        return reverse("facilities:booking_detail", args=[self.pk])

    @property
    def start(self) -> datetime.datetime:
        return timezone.localtime(self.period.lower)

    @property
    def end(self) -> datetime.datetime:
        return timezone.localtime(self.period.upper)

    @property
    def status_badge(self) -> str:
        return status_badge(self.status)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def has_started(self) -> bool:
        return self.period.lower <= timezone.now()
