"""Every logbook write and rule: signatures, check-in and check-out, line clearance, cleaning, environmental
monitoring, deviations, holds and releases.

Pages, the admin and commands call these functions; a rule that fails raises ``LogbookError`` with a
message for the user, and each write demands its ``can_…`` permission of the acting user.
"""

import datetime
import functools
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from atmp_portal import sql
from atmp_portal.people import full_name
from atmp_portal.rules import RuleError, require
from facilities import notifications
from facilities import services as booking_services
from facilities.models import Booking, BookingStatus, CleanRoomGrade, Resource

from . import permissions
from .models import (
    AlertLimit,
    Cleaning,
    CleaningAgent,
    Deviation,
    DeviationCategory,
    DeviationClosure,
    DeviationCounter,
    DeviationStatus,
    Disinfection,
    EmMethod,
    EmResult,
    HoldCause,
    LineClearance,
    OccupancyState,
    RoomHold,
    RoomProgramme,
    RoomRelease,
    Severity,
    SignedRecord,
    UseEntrant,
    UseKind,
    UseRecord,
)

# Check-in opens this long before a booking's start; a booking not checked in this long after it is a no-show.
CHECK_IN_OPENS = datetime.timedelta(minutes=30)
NO_SHOW_AFTER = datetime.timedelta(minutes=30)
# The hourly run marks no-shows of bookings that started within this window (older ones on their next read).
NO_SHOW_SWEEP = datetime.timedelta(days=2)

# The line-clearance checklist of a room whose facility has not defined its own.
DEFAULT_CHECKLIST = [
    gettext_noop("Materials, labels and documents of the previous product removed"),
    gettext_noop("Surfaces cleaned and disinfected"),
    gettext_noop("Waste removed"),
    gettext_noop("Equipment cleared and cleaned"),
]


class LogbookError(RuleError):
    """A logbook rule refused a change; the message is for the user."""


def _when(moment: datetime.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


# Electronic signatures


def check_password(user, password: str) -> None:
    """A signature asks for the signer's password again; a wrong one refuses and nothing is written."""
    if not password or not user.check_password(password):
        raise LogbookError(_("The password is not correct: nothing was signed. Enter your own password to sign."))


def _sign(record: SignedRecord, by, password: str) -> SignedRecord:
    check_password(by, password)
    record.signed_by, record.signed_at, record.meaning = by, timezone.now(), record.MEANING
    record.save()
    return record


def correct(original: SignedRecord, *, by, password: str, reason: str, **changes) -> SignedRecord:
    """Correct a signed record with a new signed record that references it; the original stays as it was."""
    require(permissions.can_correct_record(by, original))
    if not reason.strip():
        raise LogbookError(_("Give the reason for the correction."))
    model = type(original)
    fields = {
        field.name: getattr(original, field.name)
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in ("signed_by", "signed_at", "meaning", "corrects")
    }
    fields.update(changes, correction_reason=reason.strip())
    correction = model(corrects=original, **fields)
    if isinstance(correction, EmResult):  # a corrected grade, method or state has its own limits
        correction.alert_limit = alert_limit(correction.grade, correction.method, correction.state)
        correction.action_limit = action_limit(correction.grade, correction.method, correction.state)
    return _sign(correction, by, password)


# Holds and releases


def holds_in_force(rooms=None):
    """The holds of ``rooms`` (of every room when None) that no release has followed: none signed at or after them."""
    released_after = RoomRelease.objects.filter(room=OuterRef("room"), signed_at__gte=OuterRef("placed_at"))
    holds = RoomHold.objects.filter(~Exists(released_after))
    return holds if rooms is None else holds.filter(room__in=rooms)


def current_holds(rooms) -> dict[int, RoomHold]:
    """The first hold of each room on hold since its last release, by room id, each with its deviation's code
    (``deviation_code``); one query, asking the rule of ``holds_in_force``."""
    room_ids = [room.pk for room in rooms]
    holds = sql.instances(RoomHold, _first_holds_in_force(), [room_ids], annotations=("deviation_code",))
    return {hold.room_id: hold for hold in holds}


@functools.cache
def _first_holds_in_force() -> str:
    # Every calendar, booking and logbook page asks it.
    return (
        f"SELECT DISTINCT ON (h.room_id) {sql.columns(RoomHold, 'h')}, d.code {_holds_in_force('h.room_id = ANY(%s)')} "
        "ORDER BY h.room_id, h.placed_at, h.id"
    )


def _holds_in_force(room_condition: str) -> str:
    """FROM and WHERE of the holds in force of the rooms ``room_condition`` names, with their deviations (``d``)."""
    return (
        f"FROM {RoomHold._meta.db_table} h LEFT JOIN {Deviation._meta.db_table} d ON d.id = h.deviation_id "
        f"WHERE {room_condition} AND NOT EXISTS (SELECT FROM {RoomRelease._meta.db_table} r "
        "WHERE r.room_id = h.room_id AND r.signed_at >= h.placed_at)"
    )


def resources_in_rooms_on_hold() -> str:
    """SQL of the ids of the rooms on hold (those with holds in force) and of the equipment standing in them, as one
    array for ``= ANY(…)``: read first, by id, a list of the bookings in them uses the index on their resource,
    where a join on the resource would read every live booking of the centre to find the few in those rooms."""
    rooms = f"SELECT h.room_id {_holds_in_force('TRUE')}"
    return f"ARRAY(SELECT id FROM {Resource._meta.db_table} WHERE id IN ({rooms}) OR room_id IN ({rooms}))"


def hold_in_force(room_id: str) -> str:
    """A subquery of the first hold in force of the room whose id is the SQL ``room_id``, as one JSON value with its
    deviation's code (NULL when released), as ``hold_notice`` reads it: the booking rules' single query asks it."""
    return (
        f"(SELECT json_build_array({sql.json_columns(RoomHold, 'h')}, d.code) "
        f"{_holds_in_force(f'h.room_id = {room_id}')} ORDER BY h.placed_at, h.id LIMIT 1)"
    )


def hold_notice(room: Resource, value: list) -> booking_services.RoomHoldNotice:
    """The notice of ``room``'s hold from the value ``hold_in_force`` read."""
    columns, code = value
    hold = sql.from_json(RoomHold, columns)
    hold.deviation_code = code
    return booking_services.RoomHoldNotice(hold.placed_at, describe_hold(room, hold))


def describe_hold(room: Resource, hold: RoomHold) -> str:
    """Why and since when ``room`` is on hold; ``hold`` from ``current_holds``."""
    return _("%(room)s is on hold since %(since)s (%(cause)s) until quality assurance releases it.") % {
        "room": room,
        "since": _when(hold.placed_at),
        "cause": hold.deviation_code or hold.get_cause_display().lower(),
    }


def hold_notices(rooms: list[Resource]) -> dict[int, booking_services.RoomHoldNotice]:
    """Since when and why each of ``rooms`` on hold is held, by room id; one query (the calendars ask this)."""
    holds = current_holds(rooms)
    return {
        room.pk: booking_services.RoomHoldNotice(holds[room.pk].placed_at, describe_hold(room, holds[room.pk]))
        for room in rooms
        if room.pk in holds
    }


HOLD_SOURCE = booking_services.RoomHoldSource(notices=hold_notices, in_force=hold_in_force, notice=hold_notice)


def hold_message(room: Resource) -> str | None:
    """Why and since when ``room`` is on hold, or None when it is released."""
    notice = hold_notices([room]).get(room.pk)
    return notice.message if notice else None


def hold_room(room: Resource, *, by, cause: str, deviation: Deviation | None = None, note: str = "") -> RoomHold:
    """Put a room on hold and tell the bookers of its live bookings ahead (and their project leads).

    A quarantine is placed by facility staff or QA, other causes by the rule that found them.
    """
    if cause == HoldCause.QUARANTINE:
        require(permissions.can_place_hold(by))
        if not note.strip():
            raise LogbookError(_("Say why the room is quarantined."))
    already_held = room.pk in current_holds([room])
    hold = RoomHold.objects.create(room=room, cause=cause, deviation=deviation, note=note.strip(), placed_by=by)
    if not already_held:
        ahead = Booking.objects.active().filter(Q(resource=room) | Q(resource__room=room), parent__isnull=True)
        for booking in ahead.upcoming():
            notifications.booking_changed("on_hold", booking)
    return hold


@transaction.atomic
def release_room(room: Resource, *, by, password: str, note: str = "") -> RoomRelease:
    """QA's signed release of a room on hold, once no open major or critical deviation holds it."""
    require(permissions.can_release_room(by))
    Resource.objects.select_for_update().get(pk=room.pk)
    if room.pk not in current_holds([room]):
        raise LogbookError(_("%(room)s is not on hold.") % {"room": room})
    holding = Deviation.objects.holding().of_room(room).order_by("code").first()
    if holding:
        raise LogbookError(
            _("%(deviation)s is still open and holds %(room)s; close it before releasing the room.")
            % {"deviation": holding.code, "room": room}
        )
    return _sign(RoomRelease(room=room, note=note.strip()), by, password)


# Check-in, check-out and no-shows


def programme_of(room: Resource) -> RoomProgramme:
    """The room's cleaning programme, or the defaults for a room without one."""
    try:
        return room.programme
    except RoomProgramme.DoesNotExist:
        return RoomProgramme(room=room)


def _no_show_candidates():
    return Booking.objects.filter(status=BookingStatus.APPROVED, parent__isnull=True, use_records__isnull=True)


def mark_no_shows(now: datetime.datetime | None = None) -> int:
    """Mark approved bookings not checked in 30 minutes after their start (within the sweep window)."""
    now = now or timezone.now()
    late = _no_show_candidates().filter(
        period__startswith__lte=now - NO_SHOW_AFTER, period__startswith__gt=now - NO_SHOW_SWEEP
    )
    records = UseRecord.objects.bulk_create(UseRecord(booking=b, kind=UseKind.NO_SHOW, at=now) for b in late)
    return len(records)


def mark_no_show_of(booking: Booking, now: datetime.datetime | None = None) -> bool:
    """Mark one booking a no-show if it is one (on reading it); whether it is one now."""
    now = now or timezone.now()
    if booking.status != BookingStatus.APPROVED or booking.parent_id or booking.period.lower > now - NO_SHOW_AFTER:
        return False
    if not _no_show_candidates().filter(pk=booking.pk).exists():
        return booking.use_records.filter(kind=UseKind.NO_SHOW).exists()
    UseRecord.objects.create(booking=booking, kind=UseKind.NO_SHOW, at=now)
    return True


def previous_use(booking: Booking) -> UseRecord | None:
    """The last check-in of another booking of the same room before this one."""
    return (
        UseRecord.objects.of_room(booking.resource_id)
        .filter(kind=UseKind.CHECK_IN, at__lt=timezone.now())
        .exclude(booking=booking)
        .select_related("booking__project")
        .order_by("-at", "-pk")
        .first()
    )


def use_ended_at(use: UseRecord) -> datetime.datetime:
    """When a use ended: its check-out, or its check-in where it was never checked out."""
    out = UseRecord.objects.filter(booking=use.booking_id, kind=UseKind.CHECK_OUT).values_list("at", flat=True).first()
    return out or use.at


def clearance_refusal(booking: Booking, batch: str) -> str | None:
    """Why a check-in needs a line clearance first, or None.

    A clearance is needed after another project's use of the room, or another batch's where the room's
    programme asks for it, and must be signed after that use ended.
    """
    room = booking.resource
    if not room.is_room:
        return None
    before = previous_use(booking)
    if before is None:
        return None
    other_project = before.booking.project_id != booking.project_id
    other_batch = programme_of(room).clearance_between_batches and before.batch != batch
    if not (other_project or other_batch):
        return None
    ended = use_ended_at(before)
    if LineClearance.objects.filter(room=room, signed_at__gt=ended).exists():
        return None
    return _(
        "%(room)s was last used by %(project)s until %(when)s: a signed line clearance is needed before this check-in."
    ) % {"room": room, "project": before.booking.project.code, "when": _when(ended)}


def check_check_in(booking: Booking, batch: str = "", now: datetime.datetime | None = None) -> None:
    """Every rule a check-in must pass; raises ``LogbookError`` with the first one that fails."""
    now = now or timezone.now()
    if booking.status != BookingStatus.APPROVED:
        raise LogbookError(_("Only approved bookings can be checked in."))
    if booking.use_records.filter(kind__in=[UseKind.CHECK_IN, UseKind.NO_SHOW]).exists():
        raise LogbookError(_("This booking is already checked in or marked as a no-show."))
    if now < booking.period.lower - CHECK_IN_OPENS:
        raise LogbookError(
            _("Check-in opens at %(time)s, 30 minutes before the start.")
            % {"time": _when(booking.period.lower - CHECK_IN_OPENS)}
        )
    if now > booking.period.lower + NO_SHOW_AFTER:
        raise LogbookError(_("The booking was not checked in within 30 minutes of its start and is a no-show."))
    room = booking.resource.containing_room
    problem = hold_message(room) if room else None
    problem = problem or clearance_refusal(booking, batch)
    if problem:
        raise LogbookError(problem)


@transaction.atomic
def check_in(booking: Booking, *, by, entrants, batch: str = "") -> UseRecord:
    """Record the actual start of a booking, who entered and which batch."""
    require(permissions.can_record_use(by, booking))
    booking = Booking.objects.select_for_update(of=("self",)).select_related("resource__room").get(pk=booking.pk)
    entrants = list({person.pk: person for person in entrants}.values())
    if not entrants:
        raise LogbookError(_("Tick who enters the room."))
    check_entrants_named(booking, entrants)
    check_check_in(booking, batch.strip())
    use = UseRecord.objects.create(booking=booking, kind=UseKind.CHECK_IN, recorded_by=by, batch=batch.strip())
    UseEntrant.objects.bulk_create(UseEntrant(use=use, user=user) for user in entrants)
    return use


def check_entrants_named(booking: Booking, entrants: list) -> None:
    """Only the booking's named entrants enter under it: they are the ones its rules checked."""
    named = set(booking.entrants.values_list("pk", flat=True))
    others = [person for person in entrants if person.pk not in named]
    if others:
        raise LogbookError(
            _("%(people)s is not named as an entrant of this booking; add them to a booking of their own.")
            % {"people": ", ".join(full_name(person) for person in others)}
        )


@transaction.atomic
def check_out(booking: Booking, *, by) -> UseRecord:
    """Record the actual end of a checked-in booking."""
    require(permissions.can_record_use(by, booking))
    booking = Booking.objects.select_for_update().get(pk=booking.pk)
    kinds = set(booking.use_records.values_list("kind", flat=True))
    if UseKind.CHECK_IN not in kinds:
        raise LogbookError(_("Check in before checking out."))
    if UseKind.CHECK_OUT in kinds:
        raise LogbookError(_("This booking is already checked out."))
    return UseRecord.objects.create(booking=booking, kind=UseKind.CHECK_OUT, recorded_by=by)


# Line clearance


def checklist_of(room: Resource) -> list[str]:
    """The room's line-clearance checklist, or the default one."""
    items = [item.text for item in room.checklist_items.all()]
    return items or [_(text) for text in DEFAULT_CHECKLIST]


def open_clearance(room: Resource) -> UseRecord | None:
    """The last use of the room when no line clearance was signed after it ended."""
    last = (
        UseRecord.objects.of_room(room)
        .filter(kind=UseKind.CHECK_IN)
        .select_related("booking__project")
        .order_by("-at", "-pk")
        .first()
    )
    if last is None or LineClearance.objects.filter(room=room, signed_at__gt=use_ended_at(last)).exists():
        return None
    return last


def sign_clearance(room: Resource, *, by, password: str, ticked: list[str], note: str = "") -> LineClearance:
    """Sign a room's line clearance, performed, with every checklist item ticked."""
    require(permissions.can_record_in_room(by, room))
    missing = [item for item in checklist_of(room) if item not in ticked]
    if missing:
        raise LogbookError(_("Tick every checklist item; not ticked: %(items)s.") % {"items": "; ".join(missing)})
    return _sign(LineClearance(room=room, items=list(ticked), note=note.strip()), by, password)


# Cleaning and disinfection


def record_cleaning(
    room: Resource, *, by, password: str, agent: CleaningAgent, areas: str, performed_at: datetime.datetime
) -> Cleaning:
    require(permissions.can_record_in_room(by, room))
    if performed_at > timezone.now():
        raise LogbookError(_("The cleaning cannot be in the future."))
    return _sign(Cleaning(room=room, agent=agent, areas=areas.strip(), performed_at=performed_at), by, password)


def sporicide_due(programme: RoomProgramme, last_sporicidal: Cleaning | None) -> datetime.date | None:
    """The day the room's next sporicidal cleaning is due; None if it never had one (due now)."""
    if last_sporicidal is None:
        return None
    performed = timezone.localtime(last_sporicidal.performed_at).date()
    return performed + datetime.timedelta(days=programme.sporicide_interval_days)


def is_cleaning_overdue(
    programme: RoomProgramme,
    last_cleaning: Cleaning | None,
    last_sporicidal: Cleaning | None,
    last_use_end: datetime.datetime | None,
) -> bool:
    """Sporicide past due, or a use not followed by the routine disinfection its programme asks."""
    due = sporicide_due(programme, last_sporicidal)
    if due is None or due < timezone.localdate():
        return True
    if last_use_end is None or (last_cleaning and last_cleaning.performed_at >= last_use_end):
        return False
    if programme.disinfection == Disinfection.DAILY:
        return timezone.localtime(last_use_end).date() < timezone.localdate()
    return True


# Environmental monitoring

_VIABLE = (EmMethod.ACTIVE_AIR, EmMethod.SETTLE_PLATE, EmMethod.CONTACT_PLATE, EmMethod.GLOVE_PRINT)
# EU GMP Annex 1 (2022) Table 6, maximum action limits for viable counts (in operation; used at rest too).
# Grade A: any growth is an excursion (limit 0). Air, settle, contact, glove.
VIABLE_ACTION_LIMITS = {
    CleanRoomGrade.A_IN_B: (0, 0, 0, 0),
    CleanRoomGrade.B: (10, 5, 5, 5),
    CleanRoomGrade.C: (100, 50, 25, None),
    CleanRoomGrade.D: (200, 100, 50, None),
}
# Annex 1 (2022) Table 1: maximum particles per m³ (≥0.5 µm, ≥5 µm) at rest and in operation; None: not set.
PARTICLE_LIMITS = {
    (CleanRoomGrade.A_IN_B, OccupancyState.AT_REST): (3520, None),
    (CleanRoomGrade.A_IN_B, OccupancyState.IN_OPERATION): (3520, None),
    (CleanRoomGrade.B, OccupancyState.AT_REST): (3520, None),
    (CleanRoomGrade.B, OccupancyState.IN_OPERATION): (352000, 2930),
    (CleanRoomGrade.C, OccupancyState.AT_REST): (352000, 2930),
    (CleanRoomGrade.C, OccupancyState.IN_OPERATION): (3520000, 29300),
    (CleanRoomGrade.D, OccupancyState.AT_REST): (3520000, 29300),
    (CleanRoomGrade.D, OccupancyState.IN_OPERATION): (None, None),
}


def action_limit(grade: str, method: str, state: str) -> Decimal | None:
    """The Annex 1 action limit of a grade, method and occupancy state; None where Annex 1 sets none."""
    if method in _VIABLE:
        limits = VIABLE_ACTION_LIMITS.get(grade)
        value = limits[_VIABLE.index(method)] if limits else None
    else:
        limits = PARTICLE_LIMITS.get((grade, state))
        value = limits[0 if method == EmMethod.PARTICLES_05 else 1] if limits else None
    return None if value is None else Decimal(value)


def alert_limit(grade: str, method: str, state: str) -> Decimal | None:
    """The facility's own alert limit; None where it has not set one."""
    return AlertLimit.objects.filter(grade=grade, method=method, state=state).values_list("limit", flat=True).first()


@transaction.atomic
def record_em_result(
    room: Resource,
    *,
    by,
    password: str,
    sampling_point: str,
    grade: str,
    method: str,
    state: str,
    sampled_at: datetime.datetime,
    value: Decimal,
) -> EmResult:
    """Record a result with the limits that apply; above the action limit it opens a deviation and holds the room."""
    require(permissions.can_record_monitoring(by))
    if value < 0:
        raise LogbookError(_("A result cannot be negative."))
    if sampled_at > timezone.now():
        raise LogbookError(_("The sampling time cannot be in the future."))
    result = EmResult(
        room=room,
        sampling_point=sampling_point.strip(),
        grade=grade,
        method=method,
        state=state,
        sampled_at=sampled_at,
        value=value,
        alert_limit=alert_limit(grade, method, state),
        action_limit=action_limit(grade, method, state),
    )
    _sign(result, by, password)
    act_on_result(result, by=by)
    return result


def act_on_result(result: EmResult, *, by) -> Deviation | None:
    """Above its action limit a result opens a major deviation that holds the room."""
    if not result.above_action:
        return None
    return _open_deviation(
        by=by,
        room=result.room,
        em_result=result,
        category=DeviationCategory.EM_EXCURSION,
        severity=Severity.MAJOR,
        description=_("%(method)s at %(point)s: %(value)s, above the action limit %(limit)s.")
        % {
            "method": result.get_method_display(),
            "point": result.sampling_point,
            "value": result.value,
            "limit": result.action_limit,
        },
        hold_cause=HoldCause.EM_EXCURSION,
    )


# Deviations


def next_deviation_code(year: int) -> str:
    """``DEV-YYYY-NNNN``, distinct under concurrency."""
    (number,) = DeviationCounter.take(year)
    return f"DEV-{year}-{number:04d}"


def _open_deviation(*, by, hold_cause: str = HoldCause.DEVIATION, **fields) -> Deviation:
    deviation = Deviation(reported_by=by, code=next_deviation_code(timezone.localdate().year), **fields)
    deviation.save()
    room = deviation.affected_room
    if deviation.holds_room and room:
        hold_room(room, by=by, cause=hold_cause, deviation=deviation)
    return deviation


@transaction.atomic
def report_deviation(*, by, **fields) -> Deviation:
    """Anyone reports a deviation; a major or critical one on a room or its equipment puts the room on hold."""
    require(permissions.can_report_deviation(by))
    if not (fields.get("description") or "").strip():
        raise LogbookError(_("Describe the deviation."))
    return _open_deviation(by=by, **fields)


def update_investigation(deviation: Deviation, *, by, investigation: str, capa: str) -> Deviation:
    """Record the investigation and CAPA; the deviation is then under investigation."""
    require(permissions.can_investigate_deviation(by))
    if deviation.status == DeviationStatus.CLOSED:
        raise LogbookError(_("%(code)s is closed.") % {"code": deviation.code})
    deviation.investigation, deviation.capa = investigation.strip(), capa.strip()
    deviation.status = DeviationStatus.UNDER_INVESTIGATION
    deviation.save(update_fields=["investigation", "capa", "status"])
    return deviation


@transaction.atomic
def close_deviation(deviation: Deviation, *, by, password: str, note: str = "") -> DeviationClosure:
    """QA closes a deviation with a signed approval, once its investigation and CAPA are written."""
    require(permissions.can_close_deviation(by))
    deviation = Deviation.objects.select_for_update().get(pk=deviation.pk)
    if deviation.status == DeviationStatus.CLOSED:
        raise LogbookError(_("%(code)s is already closed.") % {"code": deviation.code})
    if not (deviation.investigation and deviation.capa):
        raise LogbookError(_("Record the investigation and the CAPA before closing the deviation."))
    closure = _sign(DeviationClosure(deviation=deviation, note=note.strip()), by, password)
    deviation.status = DeviationStatus.CLOSED
    deviation.save(update_fields=["status"])
    return closure
