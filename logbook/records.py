"""Reading the logbook: a room's entries newest first, and the rooms' status board; fixed numbers of queries."""

import datetime
from dataclasses import dataclass

from django.db.models import CharField, DurationField, ExpressionWrapper, F, Max, Q, Value
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from atmp_portal.exports import Column, Kind, Table
from atmp_portal.people import full_name
from facilities.models import Booking, Resource, ResourceKind
from facilities.periods import local_days

from . import services
from .models import (
    Cleaning,
    Deviation,
    EmResult,
    LineClearance,
    RoomHold,
    RoomProgramme,
    RoomRelease,
    UseKind,
    UseRecord,
)

# Each kind of entry: its label, its model and the time it is filed under.
KINDS = {
    "use": (gettext_lazy("Check-in and check-out"), UseRecord, "at"),
    "clearance": (gettext_lazy("Line clearance"), LineClearance, "signed_at"),
    "cleaning": (gettext_lazy("Cleaning and disinfection"), Cleaning, "performed_at"),
    "em": (gettext_lazy("Environmental monitoring"), EmResult, "sampled_at"),
    "deviation": (gettext_lazy("Deviation"), Deviation, "reported_at"),
    "hold": (gettext_lazy("On hold"), RoomHold, "placed_at"),
    "release": (gettext_lazy("Release"), RoomRelease, "signed_at"),
}
KIND_CHOICES = [(kind, label) for kind, (label, _model, _field) in KINDS.items()]

_RELATED = {
    "use": ("booking__project", "recorded_by"),
    "clearance": ("signed_by", "corrects"),
    "cleaning": ("signed_by", "agent", "corrects"),
    "em": ("signed_by", "corrects"),
    "deviation": ("reported_by",),
    "hold": ("placed_by", "deviation"),
    "release": ("signed_by", "corrects"),
}


def _of_room(kind: str, room: Resource):
    model = KINDS[kind][1]
    if kind == "use":
        return UseRecord.objects.of_room(room)
    if kind == "deviation":
        return Deviation.objects.of_room(room)
    return model.objects.filter(room=room)


def entry_rows(room: Resource, kind: str = "", first_day=None, last_day=None):
    """``(kind, time, pk)`` of the room's entries, newest first, as one UNION query (pages take slices of it)."""
    parts = []
    for name in [kind] if kind else KINDS:
        field = KINDS[name][2]
        rows = _of_room(name, room).annotate(
            entry_kind=Value(name, output_field=CharField()),
            entry_at=F(field),
            entry_pk=F("pk"),
        )
        if first_day:
            rows = rows.filter(**{f"{field}__gte": local_days(first_day, first_day).lower})
        if last_day:
            rows = rows.filter(**{f"{field}__lt": local_days(last_day, last_day).upper})
        parts.append(rows.order_by().values_list("entry_kind", "entry_at", "entry_pk"))
    union = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    return union.order_by("-entry_at", "-entry_pk")


@dataclass
class Entry:
    at: datetime.datetime
    kind: str
    kind_label: str
    record: object
    summary: str
    by: object
    meaning: str
    correct_url: str = ""


def _corrected(record, summary: str) -> str:
    """A correction says which entry it corrects and why; the corrected entry stays as it was signed."""
    original = getattr(record, "corrects", None)
    if original is None:
        return summary
    return _("Correction of the entry signed %(time)s (%(reason)s): %(summary)s") % {
        "time": formats.date_format(timezone.localtime(original.signed_at), "DATETIME_FORMAT"),
        "reason": record.correction_reason,
        "summary": summary,
    }


def _summary(kind: str, record) -> str:
    if kind == "use":
        text = f"{record.get_kind_display()}: {record.booking.project.code}"
        return f"{text}, {_('batch')} {record.batch}" if record.batch else text
    if kind == "clearance":
        return "; ".join(record.items)
    if kind == "cleaning":
        sporicidal = f" ({_('sporicidal')})" if record.agent.sporicidal else ""
        return f"{record.agent}{sporicidal}: {record.areas}"
    if kind == "em":
        flag = _("above action limit") if record.above_action else _("above alert limit") if record.above_alert else ""
        text = f"{record.sampling_point}, {record.get_method_display()}, {record.get_state_display()}: {record.value}"
        return f"{text} ({flag})" if flag else text
    if kind == "deviation":
        return f"{record.code} {record.get_severity_display()}: {record.description}"
    if kind == "hold":
        return f"{record.deviation.code if record.deviation else record.get_cause_display()} {record.note}".strip()
    return record.note


# Who made each kind of entry; the others are signed.
_BY = {"use": "recorded_by", "deviation": "reported_by", "hold": "placed_by"}


def load_entries(rows) -> list[Entry]:
    """The records of ``(kind, time, pk)`` rows, in their order; one query per kind present."""
    rows = list(rows)
    by_kind: dict[str, list[int]] = {}
    for kind, _at, pk in rows:
        by_kind.setdefault(kind, []).append(pk)
    records = {}
    for kind, pks in by_kind.items():
        model = KINDS[kind][1]
        for record in model.objects.filter(pk__in=pks).select_related(*_RELATED[kind]):
            records[kind, record.pk] = record
    entries = []
    for kind, at, pk in rows:
        record = records[kind, pk]
        entries.append(
            Entry(
                at=timezone.localtime(at),
                kind=kind,
                kind_label=str(KINDS[kind][0]),
                record=record,
                summary=_corrected(record, _summary(kind, record)),
                by=getattr(record, _BY.get(kind, "signed_by")),
                meaning=record.get_meaning_display() if hasattr(record, "meaning") else "",
            )
        )
    return entries


def logbook_table(entries: list[Entry]) -> Table:
    """The room's entries as one table for CSV."""
    return Table(
        _("Logbook"),
        [
            Column(_("Time"), Kind.DATETIME),
            Column(_("Kind")),
            Column(_("Entry")),
            Column(_("By")),
            Column(_("Signature")),
        ],
        [(entry.at, entry.kind_label, entry.summary, full_name(entry.by), entry.meaning) for entry in entries],
    )


# The status board


@dataclass
class RoomStatus:
    room: Resource
    status: str
    status_label: str
    hold: RoomHold | None
    hold_message: str
    last_cleaning: Cleaning | None
    sporicide_due: datetime.date | None
    last_em: EmResult | None
    open_deviations: list[Deviation]


STATUS_LABELS = {
    "released": gettext_lazy("Released"),
    "awaiting_clearance": gettext_lazy("Awaiting line clearance"),
    "cleaning_overdue": gettext_lazy("Cleaning overdue"),
    "on_hold": gettext_lazy("On hold"),
}


def _latest_per_room(queryset, field: str) -> dict[int, object]:
    """The newest record of each room, by room id: one DISTINCT ON query."""
    return {record.room_id: record for record in queryset.order_by("room_id", f"-{field}", "-pk").distinct("room_id")}


def _latest_cleanings(rooms: list[Resource]) -> tuple[dict[int, Cleaning], dict[int, Cleaning]]:
    """The newest cleaning of each room, and its newest sporicidal one, by room id: one DISTINCT ON query for the
    newest of each kind of agent, the newer of the two being the newest of all."""
    latest: dict[int, Cleaning] = {}
    sporicidal: dict[int, Cleaning] = {}
    newest_per_kind = (
        Cleaning.objects.filter(room__in=rooms)
        .select_related("agent")
        .order_by("room_id", "agent__sporicidal", "-performed_at", "-pk")
        .distinct("room_id", "agent__sporicidal")
    )
    for cleaning in newest_per_kind:
        if cleaning.agent.sporicidal:
            sporicidal[cleaning.room_id] = cleaning
        newer = latest.get(cleaning.room_id)
        if newer is None or (cleaning.performed_at, cleaning.pk) > (newer.performed_at, newer.pk):
            latest[cleaning.room_id] = cleaning
    return latest, sporicidal


def facility_rooms(facility) -> list[Resource]:
    """The facility's active rooms by name, each with its cleaning programme (if it has one); one query."""
    return list(facility.resources.active().filter(kind=ResourceKind.ROOM).select_related("programme").order_by("name"))


def room_statuses(rooms: list[Resource]) -> list[RoomStatus]:
    """Every room's status, last cleaning, sporicide due, last EM result and open deviations; 6 queries.

    ``rooms`` come from ``facility_rooms``, their programmes loaded with them.
    """
    holds = services.current_holds(rooms)
    cleanings, sporicidal = _latest_cleanings(rooms)
    clearances = _latest_per_room(LineClearance.objects.filter(room__in=rooms), "signed_at")
    em = _latest_per_room(EmResult.objects.filter(room__in=rooms), "sampled_at")
    last_uses = {
        use.booking.resource_id: use
        for use in UseRecord.objects.filter(booking__resource__in=rooms, kind__in=[UseKind.CHECK_IN, UseKind.CHECK_OUT])
        .select_related("booking")
        .order_by("booking__resource_id", "-at", "-pk")
        .distinct("booking__resource_id")
    }
    deviations: dict[int, list[Deviation]] = {}
    open_deviations = (
        Deviation.objects.open()
        .filter(Q(room__in=rooms) | Q(equipment__room__in=rooms))
        .annotate(equipment_room_id=F("equipment__room_id"))
        .only("code", "severity", "room_id")  # what the board shows of each
    )
    for deviation in open_deviations:
        deviations.setdefault(deviation.room_id or deviation.equipment_room_id, []).append(deviation)
    statuses = []
    for room in rooms:
        programme = getattr(room, "programme", None) or RoomProgramme(room=room)  # loaded with the room
        use = last_uses.get(room.pk)
        clearance = clearances.get(room.pk)
        hold = holds.get(room.pk)
        overdue = services.is_cleaning_overdue(
            programme, cleanings.get(room.pk), sporicidal.get(room.pk), use.at if use else None
        )
        if hold:
            status = "on_hold"
        elif use and use.kind == UseKind.CHECK_OUT and not (clearance and clearance.signed_at > use.at):
            status = "awaiting_clearance"
        elif overdue:
            status = "cleaning_overdue"
        else:
            status = "released"
        statuses.append(
            RoomStatus(
                room=room,
                status=status,
                status_label=str(STATUS_LABELS[status]),
                hold=hold,
                hold_message=services.describe_hold(room, hold) if hold else "",
                last_cleaning=cleanings.get(room.pk),
                sporicide_due=services.sporicide_due(programme, sporicidal.get(room.pk)),
                last_em=em.get(room.pk),
                open_deviations=deviations.get(room.pk, []),
            )
        )
    return statuses


def todays_bookings(rooms: list[Resource], user):
    """The live bookings of ``rooms`` today that ``user`` may see, with their rooms and projects; one query."""
    today = timezone.localdate()
    return (
        Booking.objects.visible_to(user)
        .of_resources_overlapping([room.pk for room in rooms], local_days(today, today))
        .select_related("resource", "project")
        .only("period", "resource__name", "project__code")  # what the board shows of each
        .order_by("period")
    )


def sporicide_overdue_rooms():
    """Active rooms whose sporicidal cleaning is past due (or was never recorded), by name; one query."""
    default_days = RoomProgramme._meta.get_field("sporicide_interval_days").default
    interval = ExpressionWrapper(
        Coalesce(F("programme__sporicide_interval_days"), Value(default_days)) * datetime.timedelta(days=1),
        output_field=DurationField(),
    )
    today = local_days(timezone.localdate(), timezone.localdate()).lower
    return (
        Resource.objects.active()
        .filter(kind=ResourceKind.ROOM)
        .annotate(last_sporicide=Max("cleanings__performed_at", filter=Q(cleanings__agent__sporicidal=True)))
        .annotate(sporicide_due=F("last_sporicide") + interval)
        .filter(Q(last_sporicide__isnull=True) | Q(sporicide_due__lt=today))
        .select_related("facility")
        .order_by("name")
    )


def resources_in_rooms_on_hold() -> list[int]:
    """The ids of the rooms on hold and of the equipment in them; one query, two when a room is on hold.

    Read first, by id, for the bookings in them: asked through a join on the resource, PostgreSQL reads every
    live booking of the centre to find the few in those rooms.
    """
    held = list(services.holds_in_force().values_list("room", flat=True).distinct())
    if not held:
        return []
    return list(Resource.objects.filter(Q(pk__in=held) | Q(room__in=held)).order_by().values_list("pk", flat=True))
