"""The triggers that keep ``UsageTotals`` exact: each change a report's totals depend on deletes the totals it
could alter, in the change's own transaction.

Kept apart from the models so that the projects app can declare them on its groups and projects without
importing the facilities app's models.

A change first takes the totals' advisory lock shared (changes never wait for one another); a report that keeps
new totals takes it exclusively, and only when no change is under way (``facilities.reports``), so that the
totals it reads and keeps include every change that could have deleted them.
"""

import pgtrigger

TABLE = "facilities_usagetotals"
LOCK = f"'{TABLE}'::regclass::oid::bigint"
# What a line of the totals reads of a booking (``facilities.reports._totals``).
BOOKING_COLUMNS = ("status", "period", "project_id", "resource_id")


def _trigger(name: str, operation, forget: str, condition=None) -> pgtrigger.Trigger:
    return pgtrigger.Trigger(
        name=name,
        when=pgtrigger.After,
        operation=operation,
        condition=condition,
        func=f"PERFORM pg_advisory_xact_lock_shared({LOCK}); DELETE FROM {TABLE} {forget}; RETURN NULL;",
    )


def forgetting_all(name: str, *fields: str) -> pgtrigger.Trigger:
    """A change to one of ``fields`` (a rate, a group's billing or name, a project's group) may alter the totals
    of any period: it deletes them all."""
    return _trigger(name, pgtrigger.Update, "", pgtrigger.AnyChange(*fields))


def forgetting_booked_periods() -> list[pgtrigger.Trigger]:
    """A booking that is or was approved, added, changed or deleted, deletes the totals of the periods it
    overlaps (before and after the change). Other bookings count nothing: they neither wait nor delete."""
    forget = (
        "WHERE (OLD.status = 'approved' AND \"window\" && OLD.period)"
        " OR (NEW.status = 'approved' AND \"window\" && NEW.period)"
    )
    changed = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in BOOKING_COLUMNS)
    return [
        _trigger("usage_totals_booking_added", pgtrigger.Insert, forget, pgtrigger.Q(new__status="approved")),
        _trigger("usage_totals_booking_deleted", pgtrigger.Delete, forget, pgtrigger.Q(old__status="approved")),
        _trigger(
            "usage_totals_booking_changed",
            pgtrigger.Update,
            forget,
            pgtrigger.Condition(f"(({changed}) AND 'approved' IN (OLD.status, NEW.status))"),
        ),
    ]
