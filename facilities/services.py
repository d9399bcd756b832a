"""Every booking, closure and qualification write, and the booking rules of DESIGN.md.

Pages, the admin and ``seed_demo`` call these functions; each rule that fails raises ``BookingError``
with a message that tells the user what to change. Each write takes the acting user and refuses
(``PermissionDenied``) one who may not make it, so a page, the admin and a command cannot differ.
"""

import bisect
import datetime
import functools
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.db.models import F, QuerySet
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from atmp_portal import sql
from atmp_portal.people import full_name
from atmp_portal.roles import FACILITY_STAFF
from atmp_portal.rules import RuleError, require
from audit.services import recorded
from projects.models import AtmpProject, GmoClass, Membership, ProcessStep

from . import notifications, permissions
from .models import (
    ACTIVE_STATUSES,
    GRADE_IN_SENTENCE,
    Booking,
    BookingStatus,
    CalendarFeed,
    Closure,
    NotificationPreferences,
    OpeningException,
    ProtectionLevel,
    Qualification,
    QualificationKind,
    QualificationState,
    Resource,
    grades_covering,
    new_feed_token,
)
from .opening import OpeningDays, bookable_hours
from .periods import (
    add_months,
    changeover_of,
    closure_covers,
    days_of,
    describe_period,
    local_datetime,
    local_days,
    overlap,
    widened,
)


class BookingError(RuleError):
    """A booking rule refused a change; the message is for the user."""


@dataclass(frozen=True)
class Recurrence:
    """Repeat a booking on these weekdays (0 = Monday) up to and including ``until``."""

    weekdays: frozenset[int]
    until: datetime.date


def check_resource_in_use(resource: Resource) -> None:
    if not resource.active:
        raise BookingError(_("%(resource)s is not in use; choose another resource.") % {"resource": resource})


# Rule 1: who books for which project.


def check_project_admitted(project: AtmpProject) -> None:
    if not project.is_admitted:
        raise BookingError(
            _("%(project)s is %(status)s: only accepted or active projects may book the facility.")
            % {"project": project, "status": project.get_status_display().lower()}
        )


def check_membership(project: AtmpProject, may_book: bool) -> None:
    """``may_book``: a member of the project's group, or facility staff booking on its behalf."""
    if not may_book:
        raise BookingError(
            _("Only members of %(group)s may book for %(project)s; choose one of your own group's projects.")
            % {"group": project.group, "project": project}
        )


def check_project(project: AtmpProject, may_book: bool) -> None:
    """Rule 1."""
    check_project_admitted(project)
    check_membership(project, may_book)


# Rule 2: containment, equipment status and qualifications.


def check_containment(resource: Resource, project: AtmpProject, step: ProcessStep | None = None) -> None:
    """The room's protection level covers the contained-use class of the step booked.

    The class belongs to each activity: a class 1 step of a class 2 project may use a level 1 room.
    A booking that names no step is measured by the project's own, highest class.
    """
    room = resource.containing_room
    if room is None or project.gmo_class == GmoClass.NONE:
        return
    if step is not None and step.project_id != project.pk:
        raise BookingError(_("Choose a process step of %(project)s.") % {"project": project})
    what = step or project
    if what.gmo_class <= room.protection_level:
        return
    if room.protection_level == ProtectionLevel.NONE:
        room_level = _("is not approved for GMO work")
    else:
        room_level = _("has protection level %(level)s (approved for contained use class %(level)s only)") % {
            "level": room.protection_level
        }
    message = _(
        "%(what)s is %(class)s, and %(room)s %(room_level)s; book a room of protection level %(needed)s or higher."
    ) % {
        "what": _("The step “%(step)s”") % {"step": step.name} if step else project,
        "class": what.get_gmo_class_display().lower(),
        "room": room,
        "room_level": room_level,
        "needed": what.gmo_class,
    }
    if step is None:
        message += " " + _("If the booking is for a process step of a lower class, choose that step.")
    raise BookingError(message)


def check_qualified(resource: Resource, days: list[datetime.date]) -> None:
    """A room, or equipment and the room it stands in, is booked only while qualified and before its
    requalification date (rule 9)."""
    for item in [resource] if resource.is_room or resource.room is None else [resource, resource.room]:
        if item.qualification_status != QualificationState.QUALIFIED:
            raise BookingError(
                _("%(resource)s cannot be booked: its status is “%(status)s”. Ask facility staff when it is back.")
                % {"resource": item, "status": item.get_qualification_status_display()}
            )
        if item.requalification_due and item.requalification_due < days[-1]:
            raise BookingError(
                _("%(resource)s is due for requalification on %(date)s; book it before that date.")
                % {"resource": item, "date": formats.date_format(item.requalification_due)}
            )


def check_calibrated(resource: Resource, days: list[datetime.date]) -> None:
    """Equipment is booked only before its calibration date."""
    if resource.calibration_due and resource.calibration_due < days[-1]:
        raise BookingError(
            _("%(resource)s is due for calibration on %(date)s; book it before that date.")
            % {"resource": resource, "date": formats.date_format(resource.calibration_due)}
        )


def check_requalification_interval(resource: Resource) -> None:
    """A graded room's or zone's requalification date lies at most the facility's interval for its grade ahead."""
    months = resource.facility.requalification_months(resource.grade)
    if months is None or resource.requalification_due is None:
        return
    if resource.requalification_due > add_months(timezone.localdate(), months):
        raise BookingError(
            _(
                "%(grade)s is requalified at least every %(months)s months; set the next requalification "
                "at most %(months)s months ahead."
            )
            % {"grade": resource.get_grade_display(), "months": months}
        )


def requalify(resource: Resource, *, by, qualified_on: datetime.date) -> Resource:
    """Record a graded room's or zone's requalification: qualified, next due after the facility's interval."""
    require(permissions.can_manage_facility(by))
    months = resource.facility.requalification_months(resource.grade)
    if months is None:
        raise BookingError(
            _("%(resource)s has no clean-room grade; set its next requalification by hand.") % {"resource": resource}
        )
    resource.qualification_status = QualificationState.QUALIFIED
    resource.requalification_due = add_months(qualified_on, months)
    with recorded(by, reason=_("Requalified on %(date)s.") % {"date": qualified_on.isoformat()}):
        resource.save(update_fields=["qualification_status", "requalification_due"])
    return resource


def _uncovered_days(qualifications: Iterable[Qualification], days: list[datetime.date]) -> list[datetime.date]:
    return [day for day in days if not any(q.valid_from <= day <= q.valid_until for q in qualifications)]


def check_gowning(resource: Resource, days: list[datetime.date], qualifications: list[Qualification], person) -> None:
    """``person`` holds a gowning qualification for the room's grade, or a stricter one, valid on every day."""
    room = resource.containing_room
    grades = grades_covering(room.grade) if room else []
    if not grades:
        return
    gowning = [q for q in qualifications if q.kind == QualificationKind.GOWNING and q.grade in grades]
    missing = _uncovered_days(gowning, days)
    if missing:
        raise BookingError(
            _(
                "%(person)s holds no valid gowning qualification for %(grade)s (or a stricter grade) on %(date)s; "
                "ask facility staff to qualify or requalify them, or name another entrant."
            )
            % {
                "person": full_name(person),
                "grade": GRADE_IN_SENTENCE[room.grade],
                "date": formats.date_format(missing[0]),
            }
        )


def check_training(resource: Resource, days: list[datetime.date], qualifications: list[Qualification], person) -> None:
    """``person`` holds valid training on a resource that requires it, on every day."""
    if not resource.training_required:
        return
    training = [q for q in qualifications if q.kind == QualificationKind.TRAINING and q.resource_id == resource.pk]
    missing = _uncovered_days(training, days)
    if missing:
        raise BookingError(
            _(
                "%(person)s needs valid training on %(resource)s on %(date)s; "
                "ask facility staff to record it, or name another entrant."
            )
            % {"person": full_name(person), "resource": resource, "date": formats.date_format(missing[0])}
        )


def check_entrant_eligible(project: AtmpProject, person, eligible: bool) -> None:
    """Entrants are members of the project's group or facility staff."""
    if not eligible:
        raise BookingError(
            _("%(person)s is neither a member of %(group)s nor facility staff; name only them as entrants.")
            % {"person": full_name(person), "group": project.group}
        )


def check_access(
    resource: Resource,
    project: AtmpProject,
    period: DateTimeTZRange,
    entrants: list,
    qualifications: dict[int, list[Qualification]],
    eligible: set[int],
    step: ProcessStep | None = None,
) -> None:
    """Rules 2 and 7 for each entrant. ``qualifications``: each entrant's, all of them (they are few);
    ``eligible``: the ids of the entrants who are group members or facility staff."""
    days = days_of(period)
    check_containment(resource, project, step)
    check_qualified(resource, days)
    check_calibrated(resource, days)
    for person in entrants:
        check_entrant_eligible(project, person, person.pk in eligible)
        check_gowning(resource, days, qualifications.get(person.pk, []), person)
        check_training(resource, days, qualifications.get(person.pk, []), person)


# Rule 4: time, duration and occupancy.


def check_period_order(period: DateTimeTZRange) -> None:
    if period.upper <= period.lower:
        raise BookingError(_("The end must be after the start."))


def check_not_past(period: DateTimeTZRange) -> None:
    if period.lower < timezone.now():
        raise BookingError(_("The start is in the past; choose a time from now on."))


def check_lead_time(resource: Resource, period: DateTimeTZRange) -> None:
    if period.lower < timezone.now() + datetime.timedelta(hours=resource.lead_time_hours):
        raise BookingError(
            _("%(resource)s must be booked at least %(hours)s hours ahead; choose a later start.")
            % {"resource": resource, "hours": resource.lead_time_hours}
        )


def check_horizon(resource: Resource, period: DateTimeTZRange) -> None:
    if period.lower > timezone.now() + datetime.timedelta(days=resource.booking_horizon_days):
        raise BookingError(
            _("%(resource)s can be booked at most %(days)s days ahead; choose an earlier start.")
            % {"resource": resource, "days": resource.booking_horizon_days}
        )


def check_open_day(resource: Resource, period: DateTimeTZRange, opening: OpeningDays) -> None:
    """Not on a public holiday or a closed day of the facility, unless the resource runs around the clock."""
    if resource.round_the_clock:
        return
    for day in days_of(period):
        reason = opening.closed_reason(day)
        if reason:
            raise BookingError(
                _("%(facility)s is closed on %(date)s (%(reason)s); choose another day.")
                % {"facility": resource.facility, "date": formats.date_format(day), "reason": reason}
            )


def check_opening_hours(resource: Resource, period: DateTimeTZRange, opening: OpeningDays) -> None:
    """Inside the opening hours of one open day of the resource's facility, unless it runs around the clock."""
    if resource.round_the_clock:
        return
    facility = resource.facility
    start, end = timezone.localtime(period.lower), timezone.localtime(period.upper)
    hours = opening.hours(start.date())
    if hours is not None and start.date() == end.date() and hours.lower <= period.lower and period.upper <= hours.upper:
        return
    exception = opening.exception_on(start.date())
    if exception is not None and not exception.closed:
        raise BookingError(
            _("On %(date)s %(facility)s is open %(hours)s (%(reason)s); book inside those hours.")
            % {
                "date": formats.date_format(start.date()),
                "facility": facility,
                "hours": opening.describe(start.date()),
                "reason": exception.note,
            }
        )
    raise BookingError(
        _("%(facility)s is open %(days)s from %(opens)s to %(closes)s; book inside the opening hours of one day.")
        % {
            "facility": facility,
            "days": facility.open_weekday_names,
            "opens": f"{facility.opens_at:%H:%M}",
            "closes": f"{facility.closes_at:%H:%M}",
        }
    )


def check_duration(resource: Resource, period: DateTimeTZRange) -> None:
    minutes = (period.upper - period.lower).total_seconds() / 60
    if minutes < resource.min_duration_minutes:
        raise BookingError(
            _("Bookings of %(resource)s last at least %(minutes)s minutes; choose a later end.")
            % {"resource": resource, "minutes": resource.min_duration_minutes}
        )
    if resource.round_the_clock:
        if period.upper - period.lower > datetime.timedelta(days=resource.max_days):
            raise BookingError(
                _("Bookings of %(resource)s last at most %(days)s days; choose an earlier end.")
                % {"resource": resource, "days": resource.max_days}
            )
    elif minutes > resource.max_duration_minutes:
        raise BookingError(
            _("Bookings of %(resource)s last at most %(minutes)s minutes; choose an earlier end or book in parts.")
            % {"resource": resource, "minutes": resource.max_duration_minutes}
        )


def check_occupancy(resource: Resource, persons: int) -> None:
    """``persons``: the number of entrants (rule 7)."""
    if persons < 1:
        raise BookingError(_("Name at least one person who will enter."))
    limit = resource.occupancy_limit
    if limit is not None and persons > limit:
        raise BookingError(
            _("%(resource)s holds at most %(limit)s persons; name fewer entrants.")
            % {"resource": resource, "limit": limit}
        )


def check_timing(resource: Resource, period: DateTimeTZRange, persons: int) -> None:
    """Rule 4 without the opening hours (they need the facility's exception days, ``check_opening``), in the
    order a user fixes it: a valid period first, then when, how long and for how many."""
    check_period_order(period)
    check_not_past(period)
    check_lead_time(resource, period)
    check_horizon(resource, period)
    check_duration(resource, period)
    check_occupancy(resource, persons)


# Rule 3: overlaps, closures and changeover.


class Occupancy:
    """The live bookings and closures of one resource in a window.

    Rule 3 is answered from them in memory, so that a search can test many periods of the window and
    the calendar can ask it for every cell.
    """

    def __init__(self, resource: Resource, closures: Iterable[Closure], bookings: Iterable[Booking]):
        self.resource = resource
        self.closures = [closure for closure in closures if closure_covers(closure, resource)]
        self.bookings = sorted(
            (booking for booking in bookings if booking.resource_id == resource.pk), key=lambda b: b.period.lower
        )
        self._starts = [booking.period.lower for booking in self.bookings]
        self._longest = max((b.period.upper - b.period.lower for b in self.bookings), default=datetime.timedelta())

    @classmethod
    def load(cls, resource: Resource, window: DateTimeTZRange) -> "Occupancy":
        """Two queries: the closures and the live bookings of the resource in ``window``."""
        closures = Closure.objects.affecting(resource).overlapping(window)
        bookings = Booking.objects.of_resources_overlapping([resource.pk], window)
        return cls(resource, closures.select_related("resource", "facility"), bookings.select_related("project"))

    def closure_in_the_way(self, period: DateTimeTZRange) -> Closure | None:
        return next((closure for closure in self.closures if overlap(closure.period, period)), None)

    def _bookings_overlapping(self, period: DateTimeTZRange) -> Iterable[Booking]:
        """The bookings overlapping ``period``, by start: a calendar asks for each free stretch of a week, so only
        those starting less than the longest booking's length before ``period`` are read."""
        first = bisect.bisect_right(self._starts, period.lower - self._longest)
        last = bisect.bisect_left(self._starts, period.upper)
        return (booking for booking in self.bookings[first:last] if overlap(booking.period, period))

    def booking_in_the_way(self, period: DateTimeTZRange) -> Booking | None:
        return next(iter(self._bookings_overlapping(period)), None)

    def changeover_neighbour(self, project: AtmpProject | None, period: DateTimeTZRange) -> Booking | None:
        """Another project's booking closer to ``period`` than the room's changeover time.

        ``project`` None: a project other than every neighbour's (as the calendar shows it to nobody in particular).
        """
        gap = changeover_of(self.resource)
        if not gap:
            return None
        around = widened(period, gap)
        project_id = project.pk if project else None
        return next(
            (b for b in self._bookings_overlapping(around) if b.project_id != project_id),
            None,
        )

    def conflict(self, period: DateTimeTZRange) -> str | None:
        """Name the closure or booking in the way of ``period``, in local time."""
        closure = self.closure_in_the_way(period)
        if closure:
            return _("%(what)s is closed for %(reason)s %(when)s; choose another time.") % {
                "what": closure.resource or closure.facility,
                "reason": closure.get_reason_display().lower(),
                "when": describe_period(closure.period),
            }
        other = self.booking_in_the_way(period)
        if other:
            return _("%(resource)s is already booked %(when)s (%(project)s); choose another time.") % {
                "resource": self.resource,
                "when": describe_period(other.period),
                "project": other.project.code,
            }
        return None

    def changeover_conflict(self, project: AtmpProject, period: DateTimeTZRange) -> str | None:
        neighbour = self.changeover_neighbour(project, period)
        if neighbour is None:
            return None
        return _(
            "%(resource)s needs %(minutes)s minutes of changeover after another project's booking "
            "%(when)s (%(project)s); move your booking further away from it."
        ) % {
            "resource": self.resource,
            "minutes": self.resource.changeover_minutes,
            "when": describe_period(neighbour.period),
            "project": neighbour.project.code,
        }


def conflict_message(resource: Resource, period: DateTimeTZRange) -> str:
    """Name the booking or closure in the way of ``period``, in local time."""
    return Occupancy.load(resource, period).conflict(period) or _(
        "%(resource)s is already booked at that time; choose another time."
    ) % {"resource": resource}


def check_availability(project: AtmpProject, period: DateTimeTZRange, occupancy: Occupancy) -> None:
    problem = occupancy.conflict(period) or occupancy.changeover_conflict(project, period)
    if problem:
        raise BookingError(problem)


def possible_entrants(group_ids: Iterable[int]) -> list:
    """The users who may enter for projects of the groups ``group_ids``: their members and facility staff, by name;
    one query, written out (``atmp_portal.sql``): every booking form shows them."""
    return sql.instances(get_user_model(), _possible_entrants(), {"groups": list(group_ids), "staff": FACILITY_STAFF})


@functools.cache
def _possible_entrants() -> str:
    return (
        f"SELECT {sql.columns(get_user_model(), 'u')} FROM {get_user_model()._meta.db_table} u "
        f"WHERE {_may_enter('u')} ORDER BY u.last_name, u.first_name, u.username"
    )


def _may_enter(user: str) -> str:
    """SQL: the user of the alias ``user`` may enter for projects of the groups ``%(groups)s``: an active member of
    one, or active facility staff (``roles.is_facility_staff``: their group is ``%(staff)s``). Two id subqueries
    rather than an OR across joins: no DISTINCT over every user, half the time."""
    users = get_user_model()
    return (
        f"{user}.is_active AND ({user}.id IN (SELECT m.user_id FROM {Membership._meta.db_table} m "
        "WHERE m.group_id = ANY(%(groups)s)) "
        f"OR {user}.is_staff OR {user}.is_superuser OR {user}.id IN (SELECT ug.user_id "
        f"FROM {users.groups.through._meta.db_table} ug JOIN {Group._meta.db_table} g ON g.id = ug.group_id "
        "WHERE g.name = %(staff)s))"
    )


@dataclass
class RuleData:
    """What the booking rules read from the database for one booker, their entrants, a resource, project and window."""

    may_book: bool
    qualifications: dict[int, list[Qualification]]
    eligible: set[int]
    opening: OpeningDays
    occupancy: Occupancy
    hold: "RoomHoldNotice | None" = None

    @classmethod
    def load(
        cls, user, resource: Resource, project: AtmpProject, window: DateTimeTZRange, entrants: list
    ) -> "RuleData":
        """One query (``_rule_reads``): run after the resource's row lock, it sees every booking and closure
        committed before the lock was granted."""
        ids = [person.pk for person in entrants]
        room = resource.containing_room
        covering = [pk for pk in (resource.pk, resource.room_id) if pk is not None]
        first_day, last_day = _first_and_last_day(window)
        around = widened(window, changeover_of(resource))
        member, eligible, qualifications, exceptions, closures, bookings, *holds = sql.rows(
            Resource,
            _rule_reads(),
            {
                "user": user.pk,
                "groups": [project.group_id],
                "entrants": ids,
                "staff": FACILITY_STAFF,
                "facility": resource.facility_id,
                "first_day": first_day,
                "last_day": last_day,
                "covering": covering,
                "window": around,
                "live": list(ACTIVE_STATUSES),
                "resource_key": f"{{[{resource.pk},{resource.pk}]}}",
                "room": room.pk if room else None,
            },
        )[0]
        held_by = {}
        for qualification in (sql.from_json(Qualification, values) for values in qualifications):
            held_by.setdefault(qualification.user_id, []).append(qualification)
        return cls(
            may_book=permissions.can_book_on_behalf(user) or member,
            qualifications=held_by,
            eligible=set(eligible),
            opening=OpeningDays(resource.facility, [sql.from_json(OpeningException, values) for values in exceptions]),
            occupancy=Occupancy(
                resource,
                [_closure_of(resource, values) for values in closures],
                [_booking_with_code(values, code) for values, code in bookings],
            ),
            hold=next(
                (
                    source.notice(room, value)
                    for source, value in zip(room_hold_sources, holds, strict=True)
                    if value is not None
                ),
                None,
            ),
        )


def _closure_of(resource: Resource, values: list) -> Closure:
    """A closure covering ``resource`` read by ``_rule_reads``, with the facility or resource it closes."""
    closure = sql.from_json(Closure, values)
    if closure.facility_id == resource.facility_id:
        closure.facility = resource.facility
    if closure.resource_id is not None:
        closure.resource = resource if closure.resource_id == resource.pk else resource.room
    return closure


def _booking_with_code(values: list, code: str) -> Booking:
    """A live booking read by ``_rule_reads``, with its project's code (all a refusal names of it)."""
    booking = sql.from_json(Booking, values)
    booking.project = AtmpProject(pk=booking.project_id, code=code)
    return booking


@functools.cache
def _rule_reads() -> str:
    """Everything ``RuleData`` holds, in one row: whether the booker is a member of the project's group; which
    entrants may enter (``possible_entrants``); the entrants' qualifications; the facility's opening exceptions
    on the window's days; the closures (``Closure.objects.affecting``) and live bookings
    (``Booking.objects.of_resources_overlapping``, by the exclusion constraint's key) in the window widened by
    the changeover; and the room's hold in force from each ``room_hold_sources`` (a JSON value, NULL: none)."""
    holds = "".join(f", {source.in_force('%(room)s')}" for source in room_hold_sources)
    return (
        f"SELECT EXISTS (SELECT FROM {Membership._meta.db_table} m "
        "WHERE m.user_id = %(user)s AND m.group_id = ANY(%(groups)s)), "
        f"ARRAY(SELECT u.id FROM {get_user_model()._meta.db_table} u "
        f"WHERE u.id = ANY(%(entrants)s) AND {_may_enter('u')}), "
        f"ARRAY(SELECT {sql.json_columns(Qualification, 'q')} FROM {Qualification._meta.db_table} q "
        "WHERE q.user_id = ANY(%(entrants)s)), "
        f"ARRAY(SELECT {sql.json_columns(OpeningException, 'e')} FROM {OpeningException._meta.db_table} e "
        "WHERE e.facility_id = %(facility)s AND e.first_day <= %(last_day)s AND e.last_day >= %(first_day)s), "
        f"ARRAY(SELECT {sql.json_columns(Closure, 'c')} FROM {Closure._meta.db_table} c "
        "WHERE (c.resource_id IS NULL AND c.facility_id = %(facility)s OR c.resource_id = ANY(%(covering)s)) "
        "AND c.period && %(window)s), "
        f"ARRAY(SELECT json_build_array({sql.json_columns(Booking, 'b')}, p.code) FROM {Booking._meta.db_table} b "
        f"JOIN {AtmpProject._meta.db_table} p ON p.id = b.project_id "
        "WHERE int8range(b.resource_id, b.resource_id, '[]') <@ %(resource_key)s::int8multirange "
        "AND b.period && %(window)s AND b.status = ANY(%(live)s))"
        f"{holds}"
    )


def _first_and_last_day(window: DateTimeTZRange) -> tuple[datetime.date, datetime.date]:
    days = days_of(window)
    return days[0], days[-1]


def check_opening(resource: Resource, period: DateTimeTZRange, opening: OpeningDays) -> None:
    """Rules 4 and 8: an open day, inside its opening hours, unless the resource runs around the clock."""
    check_open_day(resource, period, opening)
    check_opening_hours(resource, period, opening)


def _check_resource_and_timing(resource: Resource, period: DateTimeTZRange, persons: int) -> None:
    # First and without queries: the period must be valid before it is queried.
    check_resource_in_use(resource)
    check_timing(resource, period, persons)


def _check_loaded(
    resource: Resource,
    project: AtmpProject,
    period: DateTimeTZRange,
    entrants: list,
    data: RuleData,
    step: ProcessStep | None = None,
) -> None:
    check_room_released(data.hold)
    check_opening(resource, period, data.opening)
    check_project(project, data.may_book)
    check_access(resource, project, period, entrants, data.qualifications, data.eligible, step)
    check_availability(project, period, data.occupancy)


# Rule 9: a room on hold refuses bookings. The room logbook knows the holds; it registers here where they are read:
# for some rooms in one query (the calendars), and in SQL, within the one query of the booking rules (``RuleData``).
@dataclass(frozen=True)
class RoomHoldNotice:
    since: datetime.datetime
    message: str


@dataclass(frozen=True)
class RoomHoldSource:
    """``notices``: the hold of each of some rooms on hold, by room id (released rooms absent), in one query.
    ``in_force``: given an SQL expression of a room's id, a subquery of that room's hold as one JSON value (NULL when
    it is released); ``notice``: the room's notice from that value."""

    notices: Callable[[list[Resource]], dict[int, RoomHoldNotice]]
    in_force: Callable[[str], str]
    notice: Callable[[Resource, object], RoomHoldNotice]


room_hold_sources: list[RoomHoldSource] = []


def holds_of(rooms: list[Resource]) -> dict[int, RoomHoldNotice]:
    """The hold of each of ``rooms`` on hold, by room id."""
    holds: dict[int, RoomHoldNotice] = {}
    for source in room_hold_sources:
        holds.update(source.notices(rooms))
    return holds


def check_room_released(hold: RoomHoldNotice | None) -> None:
    """A room on hold (and the equipment in it) refuses bookings until quality assurance releases it; ``hold``:
    the room's, from ``RuleData``."""
    if hold:
        raise BookingError(hold.message)


def check_slot(
    resource: Resource,
    project: AtmpProject | None,
    period: DateTimeTZRange,
    occupancy: Occupancy,
    opening: OpeningDays,
) -> None:
    """The rules a calendar answers for a free cell from what it has loaded: timing, opening, overlap and
    changeover (``project`` None: against every project). The rest depend on who books, for whom."""
    _check_resource_and_timing(resource, period, 1)
    check_opening(resource, period, opening)
    check_availability(project, period, occupancy)


def check_booking(
    user,
    resource: Resource,
    project: AtmpProject,
    period: DateTimeTZRange,
    entrants: Iterable | None = None,
    step: ProcessStep | None = None,
) -> None:
    """Every rule a new booking must pass; raises ``BookingError`` with the first one that fails.

    ``entrants``: the people who will enter, the booker alone if not named. Writes nothing: it
    answers "would this booking be allowed?".
    """
    entrants = _entrants(user, entrants)
    _check_resource_and_timing(resource, period, len(entrants))
    _check_loaded(resource, project, period, entrants, RuleData.load(user, resource, project, period, entrants), step)


def _entrants(user, entrants: Iterable | None) -> list:
    """The named entrants, each once; the booker alone if none were named."""
    if entrants is None:
        return [user]
    return list({person.pk: person for person in entrants}.values())


FREE_SEARCH_MAX_DAYS = 31
FREE_SEARCH_STEP = datetime.timedelta(minutes=30)


@dataclass(frozen=True)
class FreeSlot:
    resource: Resource
    start: datetime.datetime
    end: datetime.datetime


def _check_search_days(first_day: datetime.date, last_day: datetime.date) -> None:
    if last_day < first_day:
        raise BookingError(_("The last day is before the first; choose a later last day."))
    if (last_day - first_day).days >= FREE_SEARCH_MAX_DAYS:
        raise BookingError(
            _("Search at most %(days)s days at a time; choose a shorter range.") % {"days": FREE_SEARCH_MAX_DAYS}
        )


def _candidates(
    resource: Resource,
    duration: datetime.timedelta,
    first_day: datetime.date,
    last_day: datetime.date,
    opening: OpeningDays,
):
    """Periods of ``duration`` starting every 30 minutes of the resource's bookable hours."""
    for offset in range((last_day - first_day).days + 1):
        hours = bookable_hours(resource, first_day + datetime.timedelta(days=offset), opening)
        if hours is None:
            continue
        start = hours.lower
        while start + duration <= hours.upper:
            yield DateTimeTZRange(start, start + duration)
            start += FREE_SEARCH_STEP


def free_slots(
    user,
    resources: Iterable[Resource],
    project: AtmpProject,
    duration: datetime.timedelta,
    first_day: datetime.date,
    last_day: datetime.date,
) -> list[FreeSlot]:
    """The periods of ``duration``, starting every 30 minutes of opening hours, that ``user`` could book.

    Each candidate passes the rules of ``check_booking`` on data loaded once per resource: a few
    queries per resource, however many candidates; a room on hold has none. At most 31 days are searched.
    ``user`` enters alone.
    """
    _check_search_days(first_day, last_day)
    window = local_days(first_day, last_day)
    found = []
    for resource in resources:
        data = RuleData.load(user, resource, project, window, [user])
        if data.hold:
            continue  # a room on hold has no free time until it is released
        for period in _candidates(resource, duration, first_day, last_day, data.opening):
            try:
                _check_resource_and_timing(resource, period, 1)
                _check_loaded(resource, project, period, [user], data)
            except BookingError:
                continue
            found.append(FreeSlot(resource, period.lower, period.upper))
    return found


# A series has at most this many dates: each one is checked against every rule in one transaction.
MAX_SERIES_DATES = 100


def check_series_window(resource: Resource, recurrence: Recurrence) -> None:
    """A series ends inside the resource's how-far-ahead window; asked before any date is counted."""
    last_day = timezone.localdate() + datetime.timedelta(days=resource.booking_horizon_days)
    if recurrence.until > last_day:
        raise BookingError(
            _(
                "%(resource)s can be booked at most %(days)s days ahead, so a series may repeat until %(date)s "
                "at the latest; choose an earlier repeat end date."
            )
            % {"resource": resource, "days": resource.booking_horizon_days, "date": formats.date_format(last_day)}
        )


def check_series_length(count: int) -> None:
    if count > MAX_SERIES_DATES:
        raise BookingError(
            _(
                "A series has at most %(max)s dates and this one would have %(count)s; "
                "choose fewer weekdays or an earlier repeat end date."
            )
            % {"max": MAX_SERIES_DATES, "count": count}
        )


CLOSURE_SERIES_MAX_DAYS = 366


def check_closure_series_window(start: datetime.date, recurrence: Recurrence) -> None:
    last_day = start + datetime.timedelta(days=CLOSURE_SERIES_MAX_DAYS)
    if recurrence.until > last_day:
        raise BookingError(
            _("A recurring closure repeats for at most a year, until %(date)s; choose an earlier repeat end date.")
            % {"date": formats.date_format(last_day)}
        )


def occurrences(
    period: DateTimeTZRange, recurrence: Recurrence | None, resource: Resource | None
) -> list[DateTimeTZRange]:
    """The periods of a booking (or of a closure: ``resource`` None) and its repeats, each at the same local
    wall-clock times.

    A series is bounded by the resource's how-far-ahead window (a closure's by a year) and by ``MAX_SERIES_DATES``.
    """
    start, end = timezone.localtime(period.lower), timezone.localtime(period.upper)
    if recurrence is None:
        return [DateTimeTZRange(start, end)]
    if recurrence.until < start.date():
        raise BookingError(_("The repeat end date is before the first booking; choose a later date."))
    if not recurrence.weekdays:
        raise BookingError(_("Choose the weekdays to repeat the booking on."))
    if resource is None:
        check_closure_series_window(start.date(), recurrence)
    else:
        check_series_window(resource, recurrence)
    length = end.date() - start.date()
    periods = []
    day = start.date()
    while day <= recurrence.until:
        if day.weekday() in recurrence.weekdays or day == start.date():
            periods.append(DateTimeTZRange(local_datetime(day, start.time()), local_datetime(day + length, end.time())))
        day += datetime.timedelta(days=1)
    check_series_length(len(periods))
    return periods


def _lock(resources: Iterable[Resource]) -> None:
    # Row locks on the resources, in a fixed order: bookings of one resource check and insert one at a time.
    sql.rows(Resource, _LOCK_RESOURCES, [sorted({resource.pk for resource in resources})])


_LOCK_RESOURCES = f"SELECT id FROM {Resource._meta.db_table} WHERE id = ANY(%s) ORDER BY id FOR UPDATE"


def check_equipment_in_room(room: Resource, equipment: list[Resource]) -> None:
    """Equipment booked with a room stands in it (rule 6)."""
    for item in equipment:
        if item.room_id != room.pk:
            raise BookingError(
                _("%(item)s does not stand in %(room)s; book it separately.") % {"item": item, "room": room}
            )


def _refusal(problems: list[tuple[DateTimeTZRange, str]], total: int) -> BookingError:
    """One date's refusal as it is; a series' refusal lists each date that cannot be booked (rule 6)."""
    if total == 1:
        return BookingError(problems[0][1])
    return BookingError(
        _("No booking was made: %(count)s of %(total)s dates cannot be booked. %(dates)s")
        % {
            "count": len(problems),
            "total": total,
            "dates": " ".join(
                f"{formats.date_format(timezone.localtime(p.lower), 'WEEKDAY_DATE_FORMAT')}: {m}" for p, m in problems
            ),
        }
    )


def create_booking(
    *,
    by,
    resource: Resource,
    project: AtmpProject,
    period: DateTimeTZRange,
    purpose: str,
    entrants: Iterable | None = None,
    equipment: Iterable[Resource] = (),
    recurrence: Recurrence | None = None,
    step: ProcessStep | None = None,
) -> list[Booking]:
    """Book ``resource`` (and equipment in the same room) for ``by``, once or recurring; all or nothing.

    ``entrants``: the people who will enter, each checked (the booker alone if none are named).
    Returns the bookings made, the first booking first. A resource that needs approval gets
    ``requested`` bookings, others ``approved`` ones.
    """
    entrants = _entrants(by, entrants)
    equipment = list(equipment)
    check_equipment_in_room(resource, equipment)
    periods = occurrences(period, recurrence, resource)
    series = uuid.uuid4() if len(periods) > 1 else None
    try:
        with transaction.atomic():
            _lock([resource, *equipment])
            problems = _problems(by, [resource, *equipment], project, periods, entrants, step)
            if problems:
                raise _refusal(problems, len(periods))
            return _insert_all(by, resource, equipment, project, step, periods, entrants, purpose, series)
    except IntegrityError as error:
        # A booking that slipped past the checks (another connection, a race): the same message.
        if getattr(error.__cause__, "pgcode", None) != "23P01":  # exclusion_violation
            raise
        raise BookingError(conflict_message(resource, periods[0])) from error


def _problems(
    by, items: list[Resource], project: AtmpProject, periods: list[DateTimeTZRange], entrants: list, step=None
):
    """Each date's first refusal, from ``check_booking``'s rules on data loaded once per resource for the
    whole series (a few queries per resource, however many dates)."""
    problems, valid = [], []
    for each in periods:
        try:
            for item in items:  # first and without queries: a period must be valid before it is queried
                _check_resource_and_timing(item, each, len(entrants))
        except BookingError as error:
            problems.append((each, error.message))
        else:
            valid.append(each)
    if valid:
        window = DateTimeTZRange(valid[0].lower, max(each.upper for each in valid))
        data = {item.pk: RuleData.load(by, item, project, window, entrants) for item in items}
        for each in valid:
            try:
                for item in items:
                    _check_loaded(item, project, each, entrants, data[item.pk], step)
            except BookingError as error:
                problems.append((each, error.message))
    return sorted(problems, key=lambda problem: problem[0].lower)


def _insert_all(by, resource, equipment, project, step, periods, entrants, purpose, series) -> list[Booking]:
    bookings = []
    for period in periods:
        parent = _insert(by, resource, project, step, period, purpose, series, None)
        bookings.append(parent)
        for item in equipment:
            bookings.append(_insert(by, item, project, step, period, purpose, series, parent))
    Booking.entrants.through.objects.bulk_create(
        Booking.entrants.through(booking_id=booking.pk, user_id=person.pk)
        for booking in bookings
        for person in entrants
    )
    # One e-mail per series: a request to facility staff, or the confirmation of a booking approved at once.
    dates = [b for b in bookings if b.parent_id is None]
    event = "requested" if dates[0].status == BookingStatus.REQUESTED else "confirmed"
    notifications.booking_changed(event, dates[0], series_dates=_series_dates(dates))
    return bookings


def _series_dates(bookings: list[Booking]) -> list[Booking] | None:
    """A series' bookings, for its one e-mail; None for a single booking."""
    return bookings if len(bookings) > 1 else None


def _insert(user, resource, project, step, period, purpose, series, parent) -> Booking:
    # Equipment booked with a room that needs approval waits for the room's decision.
    waits = resource.requires_approval or (parent is not None and parent.status == BookingStatus.REQUESTED)
    status = BookingStatus.REQUESTED if waits else BookingStatus.APPROVED
    fields = {"decided_at": timezone.now()} if status == BookingStatus.APPROVED else {}
    return Booking.objects.create(
        resource=resource,
        period=period,
        project=project,
        step=step,
        booked_by=user,
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
    """Approve a request and the equipment requests that wait for it."""
    require(permissions.can_decide_booking(by))
    locked = _locked(booking)
    if locked.status != BookingStatus.REQUESTED:
        raise BookingError(_("Only requested bookings can be approved; this one is %s.") % locked.get_status_display())
    for each in [locked, *locked.equipment_bookings.filter(status=BookingStatus.REQUESTED)]:
        _decide(each, by, BookingStatus.APPROVED, comment)
    notifications.booking_changed("approved", locked)
    return locked


def series_bookings(series: uuid.UUID) -> QuerySet:
    """The dates of a series: its room (or single resource) bookings, without the equipment booked with them."""
    return Booking.objects.filter(series=series, parent__isnull=True).order_by("period")


def _locked_series(series: uuid.UUID, statuses) -> list[Booking]:
    return list(Booking.objects.select_for_update().filter(series=series, status__in=statuses).order_by("period", "pk"))


def _first_date(bookings: list[Booking]) -> Booking:
    return next((b for b in bookings if b.parent_id is None), bookings[0])


@transaction.atomic
def approve_series(series: uuid.UUID, by, comment: str = "") -> list[Booking]:
    """Approve every requested date of a series, with the equipment booked with them; one e-mail."""
    require(permissions.can_decide_booking(by))
    requested = _locked_series(series, [BookingStatus.REQUESTED])
    if not requested:
        raise BookingError(_("No date of this series waits for a decision."))
    for booking in requested:
        _decide(booking, by, BookingStatus.APPROVED, comment)
    dates = [b for b in requested if b.parent_id is None]
    notifications.booking_changed("approved", _first_date(requested), series_dates=_series_dates(dates))
    return requested


@transaction.atomic
def reject_series(series: uuid.UUID, by, comment: str) -> list[Booking]:
    """Reject every requested date of a series and release the equipment booked with them; one e-mail."""
    require(permissions.can_decide_booking(by))
    if not comment.strip():
        raise BookingError(_("Say why the booking is rejected: the booker reads the comment."))
    requested = _locked_series(series, [BookingStatus.REQUESTED])
    if not requested:
        raise BookingError(_("No date of this series waits for a decision."))
    dates = [b for b in requested if b.parent_id is None]
    for booking in dates:
        _decide(booking, by, BookingStatus.REJECTED, comment.strip())
    released = Booking.objects.filter(parent__in=dates).active()
    _cancel([*released, *(b for b in requested if b.parent_id is not None)], by, comment.strip())
    notifications.booking_changed("rejected", _first_date(requested), series_dates=_series_dates(dates))
    return requested


@transaction.atomic
def cancel_series(series: uuid.UUID, by, reason: str, from_day: datetime.date | None = None) -> list[Booking]:
    """Cancel the live dates of a series, all or those from ``from_day`` on, with one reason and one e-mail.

    The booker cancels the dates that have not started; facility staff any.
    """
    live = _locked_series(series, ACTIVE_STATUSES)
    if not live:
        raise BookingError(_("No date of this series is live."))
    require(permissions.can_cancel_booking(by, live[0]))
    if not reason.strip():
        raise BookingError(_("Give a reason for cancelling."))
    if from_day is not None:
        live = [b for b in live if b.start.date() >= from_day]
    if not permissions.can_cancel_started_booking(by):
        live = [b for b in live if not b.has_started]
    if not live:
        raise BookingError(_("No date of this series from that day on can still be cancelled."))
    _cancel(live, by, reason.strip())
    dates = [b for b in live if b.parent_id is None]
    notifications.booking_changed("cancelled", _first_date(live), series_dates=_series_dates(dates))
    return live


@transaction.atomic
def reject_booking(booking: Booking, by, comment: str) -> Booking:
    """Reject a request; equipment requested with the room is released with it."""
    require(permissions.can_decide_booking(by))
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
    booking.sequence += 1  # calendar programs replace the event with a higher sequence
    with recorded(by, reason=comment):
        booking.save(update_fields=["status", "decided_by", "decided_at", "decision_comment", "sequence", "updated_at"])


@transaction.atomic
def cancel_booking(booking: Booking, by, reason: str) -> Booking:
    """Cancel a live booking and the equipment booked with it; the booker before the start, staff any time."""
    require(permissions.can_cancel_booking(by, booking))
    if not reason.strip():
        raise BookingError(_("Give a reason for cancelling."))
    locked = _locked(booking)
    if not locked.is_active:
        raise BookingError(_("This booking is already %s.") % locked.get_status_display().lower())
    if locked.has_started and not permissions.can_cancel_started_booking(by):
        raise BookingError(_("The booking has started and can no longer be cancelled; contact facility staff."))
    _cancel([locked, *locked.equipment_bookings.active()], by, reason.strip())
    notifications.booking_changed("cancelled", locked)
    return locked


def _cancel(bookings: Iterable[Booking], by, reason: str) -> None:
    with recorded(by, reason=reason):
        Booking.objects.filter(pk__in=[b.pk for b in bookings]).update(
            status=BookingStatus.CANCELLED,
            cancelled_by=by,
            cancelled_at=timezone.now(),
            cancellation_reason=reason,
            sequence=F("sequence") + 1,
            updated_at=timezone.now(),
        )


def correct_booking_purpose(booking: Booking, *, by, purpose: str, reason: str) -> Booking:
    """Facility staff correct a booking's purpose; the audit trail keeps the reason."""
    require(permissions.can_manage_facility(by))
    booking.purpose = purpose
    with recorded(by, reason=reason):
        booking.save(update_fields=["purpose", "updated_at"])
    return booking


def resources_covered_by(closure: Closure) -> list[Resource]:
    """The resources of the closure's facility that it closes."""
    return [
        resource
        for resource in Resource.objects.filter(facility=closure.facility_id).only("pk", "facility", "room")
        if closure_covers(closure, resource)
    ]


def bookings_affected_by(closure: Closure) -> QuerySet:
    """Live bookings the closure overlaps."""
    return (
        Booking.objects.active()
        .overlapping(closure.period)
        .filter(resource__in=[resource.pk for resource in resources_covered_by(closure)])
        .with_details()
    )


def check_closure(closure: Closure, *, cancel_affected: bool = False) -> list[Booking]:
    """Refuse a closure that is not valid, or that is in the way of bookings unless ``cancel_affected``.

    Returns the bookings it would cancel.
    """
    return check_closures([closure], cancel_affected=cancel_affected)


def check_closures(closures: list[Closure], *, cancel_affected: bool = False) -> list[Booking]:
    """``check_closure`` for the closures of a series: the bookings they would cancel, each once."""
    affected: dict[int, Booking] = {}
    for closure in closures:
        check_period_order(closure.period)
        if closure.resource_id and closure.resource.facility_id != closure.facility_id:
            raise BookingError(
                _("%(resource)s is not in %(facility)s.") % {"resource": closure.resource, "facility": closure.facility}
            )
        affected |= {booking.pk: booking for booking in bookings_affected_by(closure)}
    if affected and not cancel_affected:
        raise BookingError(
            ngettext(
                "%(count)s booking overlaps the closure; confirm to cancel it.",
                "%(count)s bookings overlap the closure; confirm to cancel them.",
                len(affected),
            )
            % {"count": len(affected)}
        )
    return sorted(affected.values(), key=lambda booking: booking.period.lower)


def _cancel_for(closure: Closure, affected: list[Booking], by) -> None:
    reason = _("Closed for %(reason)s.") % {"reason": closure.get_reason_display().lower()}
    _cancel(affected, by, f"{reason} {closure.note}".strip())
    for booking in affected:
        notifications.booking_changed("cancelled", booking)


def closures_of(closure: Closure, recurrence: Recurrence | None) -> list[Closure]:
    """The closure, or one closure per date of ``recurrence``, sharing a series; not saved."""
    periods = occurrences(closure.period, recurrence, None)
    if len(periods) == 1:
        return [closure]
    series = uuid.uuid4()
    fields = {
        "facility": closure.facility,
        "resource": closure.resource,
        "reason": closure.reason,
        "note": closure.note,
    }
    return [Closure(period=period, series=series, **fields) for period in periods]


@transaction.atomic
def create_closure(
    closure: Closure, by, *, cancel_affected: bool = False, recurrence: Recurrence | None = None
) -> list[Booking]:
    """Save a closure, or one per date of ``recurrence`` (e.g. cleaning every Friday 15:00-17:00); bookings in
    their way are refused unless ``cancel_affected``, then cancelled with its reason.

    Returns the bookings cancelled.
    """
    require(permissions.can_manage_facility(by))
    _lock(resources_covered_by(closure))  # as create_booking does: no booking slips in meanwhile
    closures = closures_of(closure, recurrence)
    affected = check_closures(closures, cancel_affected=cancel_affected)
    for each in closures:
        each.created_by = by
        each.save()
    _cancel_for(closure, affected, by)
    return affected


@transaction.atomic
def update_closure(closure: Closure, by, *, reason: str, cancel_affected: bool = False) -> list[Booking]:
    """Save a corrected closure (period, scope, reason, note); the audit trail keeps ``reason``.

    Bookings it now covers (it was widened) are refused unless ``cancel_affected``, then cancelled.
    """
    require(permissions.can_manage_facility(by))
    if not reason.strip():
        raise BookingError(_("Say why the closure is changed: the audit trail keeps it."))
    _lock(resources_covered_by(closure))
    affected = check_closure(closure, cancel_affected=cancel_affected)
    _cancel_for(closure, affected, by)
    # Last: one request's changes share one audit context, whose reason is the one set last.
    with recorded(by, reason=reason.strip()):
        closure.save()
    return affected


def delete_closure(closure: Closure, by, reason: str = "") -> None:
    """Lift a closure; the bookings it cancelled stay cancelled. The audit trail keeps ``reason``."""
    require(permissions.can_manage_facility(by))
    with recorded(by, reason=reason.strip() or _("Closure lifted.")):
        closure.delete()


def check_qualification(qualification: Qualification) -> None:
    if qualification.valid_until < qualification.valid_from:
        raise BookingError(_("A qualification cannot end before it starts."))


def record_qualification(qualification: Qualification, by, reason: str = "") -> Qualification:
    """Record a gowning qualification or training, certified by ``by``; the audit trail keeps the reason."""
    require(permissions.can_manage_facility(by))
    check_qualification(qualification)
    qualification.certified_by = by
    with recorded(by, reason=reason or _("Qualification certified.")):
        qualification.save()
    return qualification


def renew_qualification(qualification: Qualification, valid_until: datetime.date, by) -> Qualification:
    """Extend a qualification after requalification."""
    require(permissions.can_manage_facility(by))
    if valid_until <= qualification.valid_until:
        raise BookingError(
            _("The new end date must be after the current one, %(date)s.")
            % {"date": formats.date_format(qualification.valid_until)}
        )
    reason = _("Requalified until %(date)s.") % {"date": valid_until.isoformat()}
    qualification.valid_until = valid_until
    qualification.expiry_warning_sent_at = None  # the new end date earns its own warning
    return record_qualification(qualification, by, reason)


def delete_qualification(qualification: Qualification, by) -> None:
    require(permissions.can_manage_facility(by))
    with recorded(by, reason=_("Qualification withdrawn.")):
        qualification.delete()


def feed_of(user) -> CalendarFeed:
    """The user's calendar feed, made with a fresh token on first use."""
    feed, _created = CalendarFeed.objects.get_or_create(user=user)
    return feed


def regenerate_feed_token(user) -> CalendarFeed:
    """Give the user's calendar a new secret address; the old one stops working at once."""
    feed, _created = CalendarFeed.objects.update_or_create(user=user, defaults={"token": new_feed_token()})
    return feed


def language_of(user) -> str:
    """The language the portal writes to ``user`` in: the one they chose, else the site's."""
    chosen = NotificationPreferences.objects.filter(user=user).values_list("language", flat=True).first()
    return chosen or settings.LANGUAGE_CODE


def remember_language(user, language: str) -> None:
    """Keep ``language`` (one of ``LANGUAGES``) as the language of the portal's e-mails and feeds to ``user``."""
    if language in dict(settings.LANGUAGES):
        NotificationPreferences.objects.update_or_create(user=user, defaults={"language": language})
