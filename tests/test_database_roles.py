"""Least privilege: the portal's runtime role reads and writes the application's tables, may only add to
the audit trail (events and their contexts), owns nothing and so cannot alter a table or disable a trigger.

Every statement goes through raw SQL as the runtime role (conftest's as_runtime_role), as an attacker
holding the portal's credentials would send it.
"""

import pgtrigger
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from pghistory.models import Context

from atmp_portal.database_roles import insert_only_tables
from audit.services import recorded
from facilities import services as booking_services
from facilities.models import Booking, BookingStatus
from projects.models import AtmpProject

pytestmark = pytest.mark.skipif(
    not settings.DATABASE_RUNTIME_ROLE, reason="one role does everything: set MIGRATE_DATABASE_URL to the owner"
)
RUNTIME = settings.DATABASE_RUNTIME_ROLE
REFUSED = "permission denied|must be owner"


def primary_keys() -> dict[str, str]:
    return {model._meta.db_table: model._meta.pk.column for model in apps.get_models()}


def query(statement: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


@pytest.fixture
def booking(booker, room, admitted_project, booking_day, at):
    (booking,) = booking_services.create_booking(
        by=booker,
        resource=room,
        project=admitted_project,
        period=DateTimeTZRange(at(booking_day, "09:00"), at(booking_day, "11:00")),
        purpose="Process run",
    )
    return booking


def test_the_tests_act_as_the_runtime_role_which_is_no_superuser(db):
    assert query("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user") == [(RUNTIME, False)]


def test_the_runtime_role_owns_nothing(db):
    owned = query(
        "SELECT relname FROM pg_class WHERE relowner = %s::regrole UNION ALL "
        "SELECT proname FROM pg_proc WHERE proowner = %s::regrole",
        [RUNTIME, RUNTIME],
    )
    assert owned == []


def test_every_append_only_event_table_and_the_context_are_insert_only(db):
    protected = query(
        "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE t.tgname LIKE 'pgtrigger_append_only%%' AND NOT t.tgisinternal"
    )
    assert len(protected) >= 8
    assert {table for (table,) in protected} | {"pghistory_context"} == set(insert_only_tables())


@pytest.mark.parametrize(
    "statement",
    [
        "TRUNCATE {table}",
        "UPDATE {table} SET {pk} = {pk}",
        "DELETE FROM {table}",
        "ALTER TABLE {table} DISABLE TRIGGER ALL",
        "ALTER TABLE {table} DISABLE TRIGGER USER",
        "DROP TABLE {table}",
    ],
)
def test_the_runtime_role_cannot_change_or_empty_the_audit_trail(booking, statement):
    for table in insert_only_tables():
        sql = statement.format(table=table, pk=primary_keys()[table])
        with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert query("SELECT count(*) FROM facilities_bookingevent")[0][0] >= 1


def test_the_runtime_role_cannot_create_tables_or_mark_migrations_applied(db):
    for statement in (
        "CREATE TABLE forged (id int)",
        "INSERT INTO django_migrations (app, name, applied) VALUES ('projects', '9999_forged', now())",
    ):
        with pytest.raises(DatabaseError, match=REFUSED), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)


def test_the_portal_writes_its_tables_and_the_audit_trail_as_the_runtime_role(booking, booker):
    booking_services.cancel_booking(booking, booker, "The batch failed")
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED
    events = Booking.pgh_event_model.objects.filter(pgh_obj_id=booking.pk).order_by("pgh_id")
    assert [event.pgh_label for event in events] == ["insert", "update"]
    assert events.last().pgh_context.metadata["reason"] == "The batch failed"
    Booking.objects.filter(pk=booking.pk).delete()  # the runtime role deletes rows of the application's tables
    assert not Booking.objects.filter(pk=booking.pk).exists()
    assert Booking.pgh_event_model.objects.filter(pgh_obj_id=booking.pk, pgh_label="delete").exists()


def test_a_context_row_once_written_is_never_changed(group, make_project):
    project = make_project(group, title="First title")
    with recorded(group.pi, "first reason"):
        AtmpProject.objects.filter(pk=project.pk).update(title="Second title")
        recorded(group.pi, "second reason")  # more metadata for the same context, as a nested service adds
        AtmpProject.objects.filter(pk=project.pk).update(title="Third title")
    first, second = AtmpProject.pgh_event_model.objects.filter(pgh_obj_id=project.pk, pgh_label="update").order_by(
        "pgh_id"
    )
    assert first.pgh_context.metadata["reason"] == "first reason"
    assert second.pgh_context.metadata["reason"] == "second reason"
    assert Context.objects.get(pk=first.pgh_context_id).metadata["reason"] == "first reason"


@pytest.mark.database_owner
def test_tables_the_owner_creates_later_are_open_to_the_runtime_role_at_once(db):
    query("CREATE TABLE later_table (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, note text)")
    privileges = query(
        "SELECT has_table_privilege(%s, 'later_table', 'INSERT'), has_table_privilege(%s, 'later_table', 'TRUNCATE')",
        [RUNTIME, RUNTIME],
    )
    assert privileges == [(True, False)]


@pytest.mark.django_db(transaction=True)
def test_every_migrate_grants_the_runtime_role_again():
    query(f"REVOKE ALL ON projects_researchgroup FROM {RUNTIME}")
    query(f"GRANT UPDATE, DELETE ON projects_atmpprojectevent TO {RUNTIME}")
    call_command("migrate", verbosity=0)
    privileges = query(
        "SELECT has_table_privilege(%s, 'projects_researchgroup', 'SELECT, INSERT, UPDATE, DELETE'), "
        "has_table_privilege(%s, 'projects_atmpprojectevent', 'UPDATE'), "
        "has_table_privilege(%s, 'projects_atmpprojectevent', 'DELETE')",
        [RUNTIME, RUNTIME, RUNTIME],
    )
    assert privileges == [(True, False, False)]


def test_every_statement_and_lock_wait_is_bounded(db):
    statement, lock = query("SHOW statement_timeout")[0][0], query("SHOW lock_timeout")[0][0]
    assert (statement, lock) == (f"{settings.DATABASE_STATEMENT_TIMEOUT}s", f"{settings.DATABASE_LOCK_TIMEOUT}s")
    with pytest.raises(DatabaseError, match="statement timeout"), transaction.atomic():
        query("SET LOCAL statement_timeout = '50ms'; SELECT pg_sleep(1)")


def test_the_runtime_role_cannot_tell_the_audit_triggers_to_look_away(booking):
    # pgtrigger.ignore is a setting any session may make; it is honoured for the owner role only.
    with pgtrigger.ignore("facilities.Booking:update_update"):
        Booking.objects.filter(pk=booking.pk).update(purpose="Unrecorded?")
    updates = Booking.pgh_event_model.objects.filter(pgh_obj_id=booking.pk, pgh_label="update")
    assert [event.purpose for event in updates] == ["Unrecorded?"]
