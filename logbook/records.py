"""Reading the logbook: a room's entries newest first, and the rooms' status board; fixed numbers of queries."""

import datetime
from dataclasses import dataclass

from django.db import connection
from django.db.models import DurationField, ExpressionWrapper, F, Max, Q, Value
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
    CleaningAgent,
    Deviation,
    DeviationStatus,
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


# How each kind's table reaches its room: check-ins through their bookings, deviations of the room or of
# its equipment.
_ROOM_OF = {
    "use": (f"JOIN {Booking._meta.db_table} b ON b.id = x.booking_id", "b.resource_id = %(room)s"),
    "deviation": (
        f"LEFT JOIN {Resource._meta.db_table} e ON e.id = x.equipment_id",
        "(x.room_id = %(room)s OR e.room_id = %(room)s)",
    ),
}


def _entries_of_kind(kind: str, first_day, last_day) -> str:
    _label, model, field = KINDS[kind]
    joins, condition = _ROOM_OF.get(kind, ("", "x.room_id = %(room)s"))
    at = f"x.{model._meta.get_field(field).column}"
    if first_day:
        condition += f" AND {at} >= %(from)s"
    if last_day:
        condition += f" AND {at} < %(until)s"
    return f"SELECT '{kind}' AS kind, {at} AS at, x.id AS pk FROM {model._meta.db_table} x {joins} WHERE {condition}"


@dataclass
class EntryRows:
    """``(kind, time, pk)`` of a room's entries, newest first, from one UNION query: counted, sliced into pages
    (as a ``Paginator`` asks) or read whole. Written out: through the ORM, building the seven-part union cost
    more than PostgreSQL's answers."""

    union: str
    params: dict

    def count(self) -> int:
        return self._read(f"SELECT count(*) FROM ({self.union}) entries")[0][0]

    def __getitem__(self, rows: slice) -> list[tuple]:
        if rows.stop <= rows.start:  # the paginator's page of no entries
            return []
        return self._read(f"{self._newest_first} LIMIT {rows.stop - rows.start} OFFSET {rows.start}")

    def __iter__(self):
        return iter(self._read(self._newest_first))

    @property
    def _newest_first(self) -> str:
        return f"{self.union} ORDER BY at DESC, pk DESC"

    def _read(self, query: str) -> list[tuple]:
        with connection.cursor() as cursor:
            cursor.execute(query, self.params)
            return cursor.fetchall()


def entry_rows(room: Resource, kind: str = "", first_day=None, last_day=None) -> EntryRows:
    """``(kind, time, pk)`` of the room's entries of ``kind`` (every kind without one), from ``first_day`` to
    ``last_day`` (either open), newest first."""
    params = {"room": room.pk}
    if first_day:
        params["from"] = local_days(first_day, first_day).lower
    if last_day:
        params["until"] = local_days(last_day, last_day).upper
    union = " UNION ALL ".join(_entries_of_kind(name, first_day, last_day) for name in ([kind] if kind else KINDS))
    return EntryRows(union, params)


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


def room_statuses(facility) -> list[RoomStatus]:
    """Each active room of ``facility`` by name: its status, last cleaning, sporicide due, last EM result and open
    deviations; two queries: the rooms with their latest records, and their holds."""
    rows = _rooms_with_latest_records(facility)
    holds = services.current_holds([room for room, *_rest in rows])
    return [_room_status(*row, holds.get(row[0].pk)) for row in rows]


def _room_status(room, programme, clearance, use, cleaning, sporicidal, em, deviations, hold) -> RoomStatus:
    overdue = services.is_cleaning_overdue(programme, cleaning, sporicidal, use.at if use else None)
    if hold:
        status = "on_hold"
    elif use and use.kind == UseKind.CHECK_OUT and not (clearance and clearance.signed_at > use.at):
        status = "awaiting_clearance"
    elif overdue:
        status = "cleaning_overdue"
    else:
        status = "released"
    return RoomStatus(
        room=room,
        status=status,
        status_label=str(STATUS_LABELS[status]),
        hold=hold,
        hold_message=services.describe_hold(room, hold) if hold else "",
        last_cleaning=cleaning,
        sporicide_due=services.sporicide_due(programme, sporicidal),
        last_em=em,
        open_deviations=deviations,
    )


def _rooms_with_latest_records(facility) -> list[tuple]:
    """Each active room of ``facility`` by name, as ``(room, programme, clearance, use, cleaning, sporicidal, em,
    open deviations)``: its programme (the defaults without one), the newest line clearance, check-in or
    check-out, cleaning, sporicidal cleaning and EM result (None where it has none), and its open deviations with
    those of its equipment that name no room, newest first. One query; the records hold the fields the board
    reads."""
    params = {
        "facility": facility.pk,
        "room": ResourceKind.ROOM,
        "use_kinds": [UseKind.CHECK_IN, UseKind.CHECK_OUT],
        "closed": DeviationStatus.CLOSED,
    }
    with connection.cursor() as cursor:
        cursor.execute(_ROOMS_WITH_LATEST_RECORDS, params)
        rows = cursor.fetchall()
    found = []
    for (
        room_pk, name, slug, interval_days, disinfection, cleared_at, use_kind, used_at, cleaned_at, agent,
        sporicidal_at, sampled_at, sampling_point, value, alert_limit, action_limit, deviations,
    ) in rows:  # fmt: skip
        room = Resource(pk=room_pk, name=name, slug=slug, kind=ResourceKind.ROOM)
        programme = RoomProgramme(room=room)
        if interval_days is not None:
            programme.sporicide_interval_days, programme.disinfection = interval_days, disinfection
        found.append(
            (
                room,
                programme,
                cleared_at and LineClearance(room=room, signed_at=cleared_at),
                used_at and UseRecord(kind=use_kind, at=used_at),
                cleaned_at and Cleaning(room=room, performed_at=cleaned_at, agent=CleaningAgent(name=agent)),
                sporicidal_at and Cleaning(room=room, performed_at=sporicidal_at),
                sampled_at
                and EmResult(
                    room=room,
                    sampled_at=sampled_at,
                    sampling_point=sampling_point,
                    value=value,
                    alert_limit=alert_limit,
                    action_limit=action_limit,
                ),
                [Deviation(pk=int(pk), code=code, severity=severity) for pk, code, severity in deviations],
            )
        )
    return found


def _latest(table: str, columns: str, condition: str, order: str, name: str) -> str:
    return (
        f"LEFT JOIN LATERAL (SELECT {columns} FROM {table} WHERE {condition} ORDER BY {order} LIMIT 1) {name} ON true "
    )


# Written out: the board's one query, where through the ORM six queries' building cost more than their answers.
_ROOMS_WITH_LATEST_RECORDS = (
    "SELECT r.id, r.name, r.slug, p.sporicide_interval_days, p.disinfection, lc.signed_at, u.kind, u.at, "
    "c.performed_at, c.agent, s.performed_at, em.sampled_at, em.sampling_point, em.value, em.alert_limit, "
    "em.action_limit, ARRAY("
    f"SELECT ARRAY[d.id::text, d.code, d.severity] FROM {Deviation._meta.db_table} d "
    f"LEFT JOIN {Resource._meta.db_table} e ON e.id = d.equipment_id "
    "WHERE d.status <> %(closed)s AND (d.room_id = r.id OR d.room_id IS NULL AND e.room_id = r.id) "
    "ORDER BY d.reported_at DESC, d.id DESC"
    f") FROM {Resource._meta.db_table} r LEFT JOIN {RoomProgramme._meta.db_table} p ON p.room_id = r.id "
    + _latest(LineClearance._meta.db_table, "signed_at", "room_id = r.id", "signed_at DESC, id DESC", "lc")
    # The rooms' last check-in or check-out from their use records, rather than from each room's bookings.
    + "LEFT JOIN (SELECT DISTINCT ON (b.resource_id) b.resource_id, x.kind, x.at "
    f"FROM {UseRecord._meta.db_table} x JOIN {Booking._meta.db_table} b ON b.id = x.booking_id "
    f"WHERE x.kind = ANY(%(use_kinds)s) AND b.resource_id IN (SELECT id FROM {Resource._meta.db_table} "
    "WHERE facility_id = %(facility)s) ORDER BY b.resource_id, x.at DESC, x.id DESC) u ON u.resource_id = r.id "
    + _latest(
        f"{Cleaning._meta.db_table} x JOIN {CleaningAgent._meta.db_table} a ON a.id = x.agent_id",
        "x.performed_at, a.name AS agent",
        "x.room_id = r.id",
        "x.performed_at DESC, x.id DESC",
        "c",
    )
    + _latest(
        f"{Cleaning._meta.db_table} x JOIN {CleaningAgent._meta.db_table} a ON a.id = x.agent_id",
        "x.performed_at",
        "x.room_id = r.id AND a.sporicidal",
        "x.performed_at DESC, x.id DESC",
        "s",
    )
    + _latest(
        EmResult._meta.db_table,
        "sampled_at, sampling_point, value, alert_limit, action_limit",
        "room_id = r.id",
        "sampled_at DESC, id DESC",
        "em",
    )
    + "WHERE r.facility_id = %(facility)s AND r.kind = %(room)s AND r.active ORDER BY r.name"
)


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
