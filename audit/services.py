"""The audit trail: who changed what, when, from which value to which, and why.

django-pghistory writes the events with database triggers (so bulk updates, the
admin and raw SQL are recorded too) into event tables the database keeps
append-only. Snapshots are never rewritten, not even when a person is anonymised.
"""

from dataclasses import dataclass

import pghistory
from django.contrib.auth import get_user_model
from django.db import models
from pghistory.models import Events

from atmp_portal.exports import Column, Kind, Table
from atmp_portal.people import full_name
from facilities.models import Booking, Closure, Qualification, Resource
from logbook.models import Deviation
from projects.models import (
    AtmpProject,
    GroupApplication,
    Invitation,
    Membership,
    ProjectDocument,
    RegulatoryMilestone,
    ResearchGroup,
)

# The URL names of the tracked models: /history/<name>/<pk>/.
TRACKED_MODELS: dict[str, type[models.Model]] = {
    "group": ResearchGroup,
    "membership": Membership,
    "group_application": GroupApplication,
    "invitation": Invitation,
    "project": AtmpProject,
    "milestone": RegulatoryMilestone,
    "document": ProjectDocument,
    "resource": Resource,
    "qualification": Qualification,
    "closure": Closure,
    "booking": Booking,
    "deviation": Deviation,
}
TRACKED_NAMES = {model: name for name, model in TRACKED_MODELS.items()}


def recorded(actor, reason: str = ""):
    """Attach the actor and the reason to every change made inside the ``with`` block.

    Pages add the URL through pghistory's middleware; commands and the admin get the actor from here.
    """
    return pghistory.context(user=getattr(actor, "pk", None), reason=reason)


@dataclass(frozen=True)
class Change:
    field: str
    old: object
    new: object


@dataclass(frozen=True)
class HistoryEntry:
    at: object
    label: str
    actor: str
    url: str
    reason: str
    changes: list[Change]


def history_of(obj: models.Model) -> list[HistoryEntry]:
    """The events of one object, oldest first, with the fields each changed (two queries)."""
    events = list(Events.objects.tracks(obj).order_by("pgh_created_at", "pgh_id"))
    user_ids = {(event.pgh_context or {}).get("user") for event in events} - {None}
    users = get_user_model().objects.in_bulk(user_ids)
    entries = []
    for event in events:
        context = event.pgh_context or {}
        actor = users.get(context.get("user"))
        if event.pgh_diff:
            changes = [Change(field, old, new) for field, (old, new) in sorted(event.pgh_diff.items())]
        else:  # an insert or a delete: the whole snapshot
            changes = [Change(field, None, value) for field, value in sorted(event.pgh_data.items())]
        entries.append(
            HistoryEntry(
                at=event.pgh_created_at,
                label=event.pgh_label,
                actor=full_name(actor),
                url=context.get("url", ""),
                reason=context.get("reason", ""),
                changes=changes,
            )
        )
    return entries


def history_table(entries: list[HistoryEntry]) -> Table:
    """One row per changed field, for inspectors and spreadsheets."""
    return Table(
        "history",
        [
            Column("time", Kind.DATETIME),
            Column("event"),
            Column("user"),
            Column("url"),
            Column("reason"),
            Column("field"),
            Column("old value"),
            Column("new value"),
        ],
        [
            (entry.at, entry.label, entry.actor, entry.url, entry.reason, change.field, change.old, change.new)
            for entry in entries
            for change in entry.changes
        ],
    )
