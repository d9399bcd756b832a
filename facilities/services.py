"""Every booking, closure and qualification write, and the booking rules of DESIGN.md.

Pages, the admin and ``seed_demo`` call these functions; each rule that fails
raises ``BookingError`` with a message that tells the user what to change.
"""

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import Q, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from atmp_portal.rules import RuleError
from audit.services import recorded
from projects.models import AtmpProject, ResearchGroup

from . import notifications
from .models import (
    Booking,
    BookingStatus,
    CalendarFeed,
    Closure,
    EquipmentQualificationStatus,
    Qualification,
    QualificationKind,
    Resource,
    grades_covering,
    new_feed_token,
)


class BookingError(RuleError):
    """A booking rule refused a change; the message is for the user."""


@dataclass(frozen=True)
class Recurrence:
    """Repeat a booking on these weekdays (0 = Monday) up to and including ``until``."""

    weekdays: frozenset[int]
    until: datetime.date


def local_datetime(day: datetime.date, time: datetime.time) -> datetime.datetime:
    """``day`` at wall-clock ``time`` in the portal's time zone, with that day's UTC offset."""
    return datetime.datetime.combine(day, time, tzinfo=timezone.get_current_timezone())


def describe_period(period: DateTimeTZRange) -> str:
    """E.g. “on Mon 2 Dec 2026 from 09:00 to 13:00”, in local time."""
    start, end = timezone.localtime(period.lower), timezone.localtime(period.upper)
    if start.date() != end.date():
        return _("from %(start)s to %(end)s") % {
            "start": formats.date_format(start, "D j M Y H:i"),
            "end": formats.date_format(end, "D j M Y H:i"),
        }
    return _("on %(day)s from %(start)s to %(end)s") % {
        "day": formats.date_format(start, "D j M Y"),
        "start": f"{start:%H:%M}",
        "end": f"{end:%H:%M}",
    }


# Rule 1: who books for which project.


def check_project(project: AtmpProject, is_member: bool) -> None:
    if not project.is_admitted:
        raise BookingError(
            _("%(project)s is %(status)s: only accepted or active projects may book the facility.")
            % {"project": project, "status": project.get_status_display().lower()}
        )
    if not is_member:
        raise BookingError(
            _("Only members of %(group)s may book for %(project)s; choose one of your own group's projects.")
            % {"group": project.group, "project": project}
        )


# Rule 2: qualifications, equipment status and containment.


def _booking_days(period: DateTimeTZRange) -> list[datetime.date]:
    first = timezone.localtime(period.lower).date()
    last = timezone.localtime(period.upper - datetime.timedelta(microseconds=1)).date()
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


def _uncovered_days(qualifications: Iterable[Qualification], days: list[datetime.date]) -> list[datetime.date]:
    return [day for day in days if not any(q.valid_from <= day <= q.valid_until for q in qualifications)]


def check_access(
    resource: Resource, project: AtmpProject, period: DateTimeTZRange, qualifications: list[Qualification]
) -> None:
    """``qualifications``: the booker's, all of them (they are few); the rule picks those that count."""
    room = resource.containing_room
    days = _booking_days(period)
    if room is not None and project.gmo_class > room.max_gmo_class:
        raise BookingError(
            _(
                "%(room)s is approved for %(allowed)s only and %(project)s is %(class)s; "
                "book a room approved for that containment class."
            )
            % {
                "room": room,
                "allowed": room.get_max_gmo_class_display().lower(),
                "project": project,
                "class": project.get_gmo_class_display().lower(),
            }
        )
    if not resource.is_room:
        if resource.qualification_status != EquipmentQualificationStatus.QUALIFIED:
            raise BookingError(
                _("%(resource)s cannot be booked: its status is “%(status)s”. Ask facility staff when it is back.")
                % {"resource": resource, "status": resource.get_qualification_status_display()}
            )
        if resource.requalification_due and resource.requalification_due < days[-1]:
            raise BookingError(
                _("%(resource)s is due for requalification on %(date)s; book it before that date.")
                % {"resource": resource, "date": formats.date_format(resource.requalification_due)}
            )
    grades = grades_covering(room.grade) if room else []
    if grades:
        gowning = [q for q in qualifications if q.kind == QualificationKind.GOWNING and q.grade in grades]
        missing = _uncovered_days(gowning, days)
        if missing:
            raise BookingError(
                _(
                    "You hold no valid gowning qualification for %(grade)s (or a stricter grade) on %(date)s; "
                    "ask facility staff to qualify or requalify you."
                )
                % {"grade": room.get_grade_display(), "date": formats.date_format(missing[0])}
            )
    if resource.training_required:
        training = [q for q in qualifications if q.kind == QualificationKind.TRAINING and q.resource_id == resource.pk]
        missing = _uncovered_days(training, days)
        if missing:
            raise BookingError(
                _("You need valid training on %(resource)s on %(date)s; ask facility staff to record it.")
                % {"resource": resource, "date": formats.date_format(missing[0])}
            )


# Rule 4: time, duration and occupancy.


def check_timing(resource: Resource, period: DateTimeTZRange, persons: int) -> None:
    start, end = timezone.localtime(period.lower), timezone.localtime(period.upper)
    now = timezone.now()
    if end <= start:
        raise BookingError(_("The end must be after the start."))
    if start < now:
        raise BookingError(_("The start is in the past; choose a time from now on."))
    if start < now + datetime.timedelta(hours=resource.lead_time_hours):
        raise BookingError(
            _("%(resource)s must be booked at least %(hours)s hours ahead; choose a later start.")
            % {"resource": resource, "hours": resource.lead_time_hours}
        )
    if start > now + datetime.timedelta(days=resource.booking_horizon_days):
        raise BookingError(
            _("%(resource)s can be booked at most %(days)s days ahead; choose an earlier start.")
            % {"resource": resource, "days": resource.booking_horizon_days}
        )
    facility = resource.facility
    if (
        start.weekday() not in facility.open_weekdays
        or start.date() != end.date()
        or start.time() < facility.opens_at
        or end.time() > facility.closes_at
    ):
        raise BookingError(
            _("%(facility)s is open %(days)s from %(opens)s to %(closes)s; book inside the opening hours of one day.")
            % {
                "facility": facility,
                "days": facility.open_weekday_names,
                "opens": f"{facility.opens_at:%H:%M}",
                "closes": f"{facility.closes_at:%H:%M}",
            }
        )
    minutes = (period.upper - period.lower).total_seconds() / 60
    if minutes < resource.min_duration_minutes:
        raise BookingError(
            _("Bookings of %(resource)s last at least %(minutes)s minutes; choose a later end.")
            % {"resource": resource, "minutes": resource.min_duration_minutes}
        )
    if minutes > resource.max_duration_minutes:
        raise BookingError(
            _("Bookings of %(resource)s last at most %(minutes)s minutes; choose an earlier end or book in parts.")
            % {"resource": resource, "minutes": resource.max_duration_minutes}
        )
    limit = resource.occupancy_limit
    if persons < 1:
        raise BookingError(_("A booking is for at least one person."))
    if limit is not None and persons > limit:
        raise BookingError(
            _("%(resource)s holds at most %(limit)s persons; book for fewer persons.")
            % {"resource": resource, "limit": limit}
        )


# Rule 3: overlaps, closures and changeover.


class Occupancy:
    """The live bookings and closures of one resource in a window, loaded once (two queries).

    Rule 3 is answered from them in memory, so that a search can test many periods of the window.
    """

    def __init__(self, resource: Resource, window: DateTimeTZRange):
        self.resource = resource
        self.closures = list(
            Closure.objects.affecting(resource).overlapping(window).select_related("resource", "facility")
        )
        self.bookings = list(
            Booking.objects.active().for_resource(resource).overlapping(window).select_related("project")
        )

    def conflict(self, period: DateTimeTZRange) -> str | None:
        """Name the closure or booking in the way of ``period``, in local time."""
        for closure in self.closures:
            if _overlap(closure.period, period):
                return _("%(what)s is closed for %(reason)s %(when)s; choose another time.") % {
                    "what": closure.resource or closure.facility,
                    "reason": closure.get_reason_display().lower(),
                    "when": describe_period(closure.period),
                }
        for other in self.bookings:
            if _overlap(other.period, period):
                return _("%(resource)s is already booked %(when)s (%(project)s); choose another time.") % {
                    "resource": self.resource,
                    "when": describe_period(other.period),
                    "project": other.project.code,
                }
        return None

    def changeover_conflict(self, project: AtmpProject, period: DateTimeTZRange) -> str | None:
        """Another project's booking closer to ``period`` than the room's changeover time."""
        gap = changeover_of(self.resource)
        if not gap:
            return None
        around = widened(period, gap)
        for neighbour in self.bookings:
            if neighbour.project_id != project.pk and _overlap(neighbour.period, around):
                return _(
                    "%(resource)s needs %(minutes)s minutes of changeover after another project's booking "
                    "%(when)s (%(project)s); move your booking further away from it."
                ) % {
                    "resource": self.resource,
                    "minutes": self.resource.changeover_minutes,
                    "when": describe_period(neighbour.period),
                    "project": neighbour.project.code,
                }
        return None


def _overlap(a: DateTimeTZRange, b: DateTimeTZRange) -> bool:
    # Half-open ranges, as tstzrange '[)'.
    return a.lower < b.upper and b.lower < a.upper


def changeover_of(resource: Resource) -> datetime.timedelta:
    """Line clearance between two projects applies to rooms only."""
    return datetime.timedelta(minutes=resource.changeover_minutes if resource.is_room else 0)


def widened(period: DateTimeTZRange, margin: datetime.timedelta) -> DateTimeTZRange:
    return DateTimeTZRange(period.lower - margin, period.upper + margin)


def conflict_message(resource: Resource, period: DateTimeTZRange) -> str:
    """Name the booking or closure in the way of ``period``, in local time."""
    return Occupancy(resource, period).conflict(period) or _(
        "%(resource)s is already booked at that time; choose another time."
    ) % {"resource": resource}


def check_availability(project: AtmpProject, period: DateTimeTZRange, occupancy: Occupancy) -> None:
    problem = occupancy.conflict(period) or occupancy.changeover_conflict(project, period)
    if problem:
        raise BookingError(problem)


@dataclass
class RuleData:
    """What the booking rules read from the database for one user, resource, project and window."""

    is_member: bool
    qualifications: list[Qualification]
    occupancy: Occupancy

    @classmethod
    def load(cls, user, resource: Resource, project: AtmpProject, window: DateTimeTZRange) -> "RuleData":
        return cls(
            is_member=ResearchGroup.objects.with_member(user).filter(pk=project.group_id).exists(),
            qualifications=list(Qualification.objects.filter(user=user)),
            occupancy=Occupancy(resource, widened(window, changeover_of(resource))),
        )


def check_booking(
    user,
    resource: Resource,
    project: AtmpProject,
    period: DateTimeTZRange,
    persons: int,
    data: RuleData | None = None,
) -> None:
    """Every rule a new booking must pass; raises ``BookingError`` with the first one that fails.

    Writes nothing: it answers "would this booking be allowed?". ``data`` loaded once for a
    wider window lets a search ask that for many periods without more queries.
    """
    if not resource.active:
        raise BookingError(_("%(resource)s is not in use; choose another resource.") % {"resource": resource})
    check_timing(resource, period, persons)  # first: the period must be valid before it is queried
    data = data or RuleData.load(user, resource, project, period)
    check_project(project, data.is_member)
    check_access(resource, project, period, data.qualifications)
    check_availability(project, period, data.occupancy)


FREE_SEARCH_MAX_DAYS = 31
FREE_SEARCH_STEP = datetime.timedelta(minutes=30)


@dataclass(frozen=True)
class FreeSlot:
    resource: Resource
    start: datetime.datetime
    end: datetime.datetime


def free_slots(
    user,
    resources: Iterable[Resource],
    project: AtmpProject,
    duration: datetime.timedelta,
    first_day: datetime.date,
    last_day: datetime.date,
    persons: int = 1,
) -> list[FreeSlot]:
    """The periods of ``duration``, starting every 30 minutes of opening hours, that ``user`` could book.

    Each candidate passes ``check_booking`` itself, on data loaded once per resource: a few
    queries per resource, however many candidates. At most 31 days are searched.
    """
    if last_day < first_day:
        raise BookingError(_("The last day is before the first; choose a later last day."))
    if (last_day - first_day).days >= FREE_SEARCH_MAX_DAYS:
        raise BookingError(
            _("Search at most %(days)s days at a time; choose a shorter range.") % {"days": FREE_SEARCH_MAX_DAYS}
        )
    window = DateTimeTZRange(
        local_datetime(first_day, datetime.time()),
        local_datetime(last_day + datetime.timedelta(days=1), datetime.time()),
    )
    found = []
    for resource in resources:
        data = RuleData.load(user, resource, project, window)
        facility = resource.facility
        day = first_day
        while day <= last_day:
            if day.weekday() in facility.open_weekdays:
                start, closing = local_datetime(day, facility.opens_at), local_datetime(day, facility.closes_at)
                while start + duration <= closing:
                    period = DateTimeTZRange(start, start + duration)
                    try:
                        check_booking(user, resource, project, period, persons, data)
                    except BookingError:
                        pass
                    else:
                        found.append(FreeSlot(resource, start, start + duration))
                    start += FREE_SEARCH_STEP
            day += datetime.timedelta(days=1)
    return found


# A series has at most this many dates: each one is checked against every rule in one transaction.
MAX_SERIES_DATES = 100


def occurrences(start: datetime.datetime, end: datetime.datetime, recurrence: Recurrence | None, horizon_days: int):
    """The periods of a booking and its repeats, each at the same local wall-clock times; a series ends
    within the resource's ``horizon_days`` and has at most MAX_SERIES_DATES dates."""
    start, end = timezone.localtime(start), timezone.localtime(end)
    if recurrence is None:
        return [DateTimeTZRange(start, end)]
    if recurrence.until < start.date():
        raise BookingError(_("The repeat end date is before the first booking; choose a later date."))
    if recurrence.until > timezone.localdate() + datetime.timedelta(days=horizon_days):
        raise BookingError(
            _("This resource can be booked at most %(days)s days ahead; choose an earlier repeat end date.")
            % {"days": horizon_days}
        )
    if not recurrence.weekdays:
        raise BookingError(_("Choose the weekdays to repeat the booking on."))
    length = end.date() - start.date()
    periods = []
    day = start.date()
    while day <= recurrence.until:
        if day.weekday() in recurrence.weekdays or day == start.date():
            periods.append(DateTimeTZRange(local_datetime(day, start.time()), local_datetime(day + length, end.time())))
        day += datetime.timedelta(days=1)
    if len(periods) > MAX_SERIES_DATES:
        raise BookingError(
            _("A series has at most %(max)s dates, this one %(count)s; choose an earlier repeat end date.")
            % {"max": MAX_SERIES_DATES, "count": len(periods)}
        )
    return periods


def _lock(resources: QuerySet) -> None:
    # Row locks on the resources, in a fixed order: bookings of one resource check and insert one at a time.
    list(resources.select_for_update().order_by("pk"))


def create_booking(
    user,
    resource: Resource,
    project: AtmpProject,
    start: datetime.datetime,
    end: datetime.datetime,
    persons: int,
    purpose: str,
    equipment: Iterable[Resource] = (),
    recurrence: Recurrence | None = None,
) -> list[Booking]:
    """Book ``resource`` (and equipment in the same room) once or recurring; all or nothing.

    Returns the bookings made, the first booking first. A resource that needs approval gets
    ``requested`` bookings, others ``approved`` ones.
    """
    equipment = list(equipment)
    for item in equipment:
        if item.room_id != resource.pk:
            raise BookingError(
                _("%(item)s does not stand in %(room)s; book it separately.") % {"item": item, "room": resource}
            )
    periods = occurrences(start, end, recurrence, resource.booking_horizon_days)
    series = uuid.uuid4() if len(periods) > 1 else None
    try:
        with transaction.atomic():
            _lock(Resource.objects.filter(pk__in=[resource.pk, *(item.pk for item in equipment)]))
            problems = []
            for period in periods:
                try:
                    for item in [resource, *equipment]:
                        check_booking(user, item, project, period, persons if item is resource else 1)
                except BookingError as error:
                    problems.append((period, error.message))
            if len(periods) == 1 and problems:
                raise BookingError(problems[0][1])
            if problems:
                raise BookingError(
                    _("No booking was made: %(count)s of %(total)s dates cannot be booked. %(dates)s")
                    % {
                        "count": len(problems),
                        "total": len(periods),
                        "dates": " ".join(
                            f"{formats.date_format(timezone.localtime(p.lower), 'D j M Y')}: {m}" for p, m in problems
                        ),
                    }
                )
            bookings = []
            for period in periods:
                parent = _insert(user, resource, project, period, persons, purpose, series, None)
                bookings.append(parent)
                for item in equipment:
                    bookings.append(_insert(user, item, project, period, 1, purpose, series, parent))
                if parent.status == BookingStatus.REQUESTED:
                    notifications.booking_changed("requested", parent)
            return bookings
    except IntegrityError as error:
        # A booking that slipped past the checks (another connection, the admin, a race): the same message.
        if getattr(error.__cause__, "pgcode", None) != "23P01":  # exclusion_violation
            raise
        raise BookingError(conflict_message(resource, periods[0])) from error


def _insert(user, resource, project, period, persons, purpose, series, parent) -> Booking:
    status = BookingStatus.REQUESTED if resource.requires_approval else BookingStatus.APPROVED
    fields = {"decided_at": timezone.now()} if status == BookingStatus.APPROVED else {}
    return Booking.objects.create(
        resource=resource,
        period=period,
        project=project,
        booked_by=user,
        persons=persons,
        purpose=purpose,
        status=status,
        series=series,
        parent=parent,
        **fields,
    )


def _locked(booking: Booking) -> Booking:
    return Booking.objects.select_for_update().get(pk=booking.pk)


@transaction.atomic
def approve_booking(booking: Booking, by, comment: str = "") -> Booking:
    locked = _locked(booking)
    if locked.status != BookingStatus.REQUESTED:
        raise BookingError(_("Only requested bookings can be approved; this one is %s.") % locked.get_status_display())
    _decide(locked, by, BookingStatus.APPROVED, comment)
    notifications.booking_changed("approved", locked)
    return locked


@transaction.atomic
def reject_booking(booking: Booking, by, comment: str) -> Booking:
    """Reject a request; equipment requested with the room is released with it."""
    if not comment.strip():
        raise BookingError(_("Say why the booking is rejected: the booker reads the comment."))
    locked = _locked(booking)
    if locked.status != BookingStatus.REQUESTED:
        raise BookingError(_("Only requested bookings can be rejected; this one is %s.") % locked.get_status_display())
    _decide(locked, by, BookingStatus.REJECTED, comment.strip())
    _cancel(locked.equipment_bookings.active(), by, comment.strip())
    notifications.booking_changed("rejected", locked)
    return locked


def _decide(booking: Booking, by, status: str, comment: str) -> None:
    booking.status, booking.decided_by, booking.decided_at, booking.decision_comment = (
        status,
        by,
        timezone.now(),
        comment,
    )
    with recorded(by, reason=comment):
        booking.save(update_fields=["status", "decided_by", "decided_at", "decision_comment"])


@transaction.atomic
def cancel_booking(booking: Booking, by, reason: str, *, staff: bool = False) -> Booking:
    """Cancel a live booking and the equipment booked with it; users before the start, staff any time."""
    if not reason.strip():
        raise BookingError(_("Give a reason for cancelling."))
    locked = _locked(booking)
    if not locked.is_active:
        raise BookingError(_("This booking is already %s.") % locked.get_status_display().lower())
    if locked.has_started and not staff:
        raise BookingError(_("The booking has started and can no longer be cancelled; contact facility staff."))
    _cancel([locked, *locked.equipment_bookings.active()], by, reason.strip())
    notifications.booking_changed("cancelled", locked)
    return locked


def _cancel(bookings: Iterable[Booking], by, reason: str) -> None:
    with recorded(by, reason=reason):
        Booking.objects.filter(pk__in=[b.pk for b in bookings]).update(
            status=BookingStatus.CANCELLED, cancelled_by=by, cancelled_at=timezone.now(), cancellation_reason=reason
        )


def resources_covered_by(closure: Closure) -> QuerySet:
    """Its resource and, for a room, the equipment in it; without a resource, the whole facility."""
    if closure.resource_id:
        return Resource.objects.filter(Q(pk=closure.resource_id) | Q(room=closure.resource_id))
    return Resource.objects.filter(facility=closure.facility_id)


def bookings_affected_by(closure: Closure) -> QuerySet:
    """Live bookings the closure overlaps."""
    return (
        Booking.objects.active()
        .overlapping(closure.period)
        .filter(resource__in=resources_covered_by(closure))
        .with_details()
    )


@transaction.atomic
def create_closure(closure: Closure, by, *, cancel_affected: bool = False) -> list[Booking]:
    """Save a closure; bookings in its way are refused unless ``cancel_affected``, then cancelled with its reason.

    Returns the bookings cancelled.
    """
    if closure.period.upper <= closure.period.lower:
        raise BookingError(_("The end must be after the start."))
    if closure.resource_id and closure.resource.facility_id != closure.facility_id:
        raise BookingError(
            _("%(resource)s is not in %(facility)s.") % {"resource": closure.resource, "facility": closure.facility}
        )
    _lock(resources_covered_by(closure))  # as create_booking does: no booking slips in meanwhile
    affected = list(bookings_affected_by(closure))
    if affected and not cancel_affected:
        raise BookingError(
            ngettext(
                "%(count)s booking overlaps the closure; confirm to cancel it.",
                "%(count)s bookings overlap the closure; confirm to cancel them.",
                len(affected),
            )
            % {"count": len(affected)}
        )
    closure.created_by = by
    closure.save()
    reason = _("Closed for %(reason)s.") % {"reason": closure.get_reason_display().lower()}
    _cancel(affected, by, f"{reason} {closure.note}".strip())
    for booking in affected:
        notifications.booking_changed("cancelled", booking)
    return affected


def record_qualification(qualification: Qualification, by, reason: str = "") -> Qualification:
    """Record a gowning qualification or training, certified by ``by``; the audit trail keeps the reason."""
    if qualification.valid_until < qualification.valid_from:
        raise BookingError(_("A qualification cannot end before it starts."))
    qualification.certified_by = by
    with recorded(by, reason=reason or _("Qualification certified.")):
        qualification.save()
    return qualification


def renew_qualification(qualification: Qualification, valid_until: datetime.date, by) -> Qualification:
    """Extend a qualification after requalification."""
    if valid_until <= qualification.valid_until:
        raise BookingError(
            _("The new end date must be after the current one, %(date)s.")
            % {"date": formats.date_format(qualification.valid_until)}
        )
    reason = _("Requalified until %(date)s.") % {"date": valid_until.isoformat()}
    qualification.valid_until = valid_until
    qualification.expiry_warning_sent_at = None  # the new end date earns its own warning
    return record_qualification(qualification, by, reason)


def feed_of(user) -> CalendarFeed:
    """The user's calendar feed, made with a fresh token on first use."""
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


def regenerate_feed_token(user) -> CalendarFeed:
    """Give the user's calendar a new secret address; the old one stops working at once."""
    feed, _created = CalendarFeed.objects.update_or_create(user=user, defaults={"token": new_feed_token()})
    return feed
