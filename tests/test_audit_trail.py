"""The audit trail: every change recorded by the database with who, when, old and new values and why,
in tables the database itself keeps append-only."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

from audit.services import TRACKED_MODELS, recorded
from facilities import services as booking_services
from facilities.models import Booking, BookingStatus, Qualification
from projects.models import AtmpProject, ProjectStatus
from projects.workflow import transition_project
from tests.helpers import csv_frame

EVENT_MODELS = [model.pgh_event_model for model in TRACKED_MODELS.values()]


def events_of(obj):
    return list(type(obj).pgh_event_model.objects.filter(pgh_obj_id=obj.pk).order_by("pgh_id"))


@pytest.fixture
def project(group, make_project):
    return make_project(group, title="Autologous CAR-T process")


@pytest.fixture
def requested_booking(booker, room, admitted_project, booking_day, at):
    room.requires_approval = True
    room.save()
    (booking,) = booking_services.create_booking(
        by=booker,
        resource=room,
        project=admitted_project,
        period=DateTimeTZRange(at(booking_day, "09:00"), at(booking_day, "11:00")),
        purpose="Process run",
    )
    return booking


class TestAppendOnly:
    def test_every_event_table_carries_the_append_only_trigger(self, db):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE t.tgname LIKE 'pgtrigger_append_only%%' AND NOT t.tgisinternal"
            )
            protected = {row[0] for row in cursor.fetchall()}
        assert {model._meta.db_table for model in EVENT_MODELS} <= protected

    # The trigger behind the grants: it refuses even the owner (the runtime role: tests/test_database_roles.py).
    @pytest.mark.database_owner
    @pytest.mark.parametrize("statement", ["UPDATE {table} SET title = 'forged'", "DELETE FROM {table}"])
    def test_the_database_refuses_to_change_or_delete_audit_rows(self, project, statement):
        table = AtmpProject.pgh_event_model._meta.db_table
        with pytest.raises(DatabaseError, match="Cannot"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement.format(table=table))
        assert [event.title for event in events_of(project)] == ["Autologous CAR-T process"]

    def test_the_orm_cannot_delete_audit_rows_either(self, project):
        with pytest.raises(DatabaseError), transaction.atomic():
            AtmpProject.pgh_event_model.objects.all().delete()
        assert len(events_of(project)) == 1


class TestEverythingIsRecorded:
    def test_a_bulk_update_is_recorded_with_old_and_new_values(self, project):
        AtmpProject.objects.filter(pk=project.pk).update(title="Allogeneic NK cells")
        insert, update = events_of(project)
        assert (insert.pgh_label, update.pgh_label) == ("insert", "update")
        assert (insert.title, update.title) == ("Autologous CAR-T process", "Allogeneic NK cells")

    def test_raw_sql_and_deletes_are_recorded(self, project):
        with connection.cursor() as cursor:
            cursor.execute("UPDATE projects_atmpproject SET acronym = 'RAW' WHERE id = %s", [project.pk])
        project.milestones.create(kind="cat", date="2026-01-05")
        milestone = project.milestones.get()
        milestone_events = milestone.pgh_event_model.objects.filter(pgh_obj_id=milestone.pk)
        milestone.delete()
        assert [e.acronym for e in events_of(project)][-1] == "RAW"
        assert [e.pgh_label for e in milestone_events.order_by("pgh_id")] == ["insert", "delete"]

    def test_a_rejection_records_the_reviewer_and_the_reason(self, requested_booking, facility_user):
        booking_services.reject_booking(requested_booking, facility_user, "Room needed for requalification")
        last = events_of(requested_booking)[-1]
        assert last.status == BookingStatus.REJECTED
        assert last.pgh_context.metadata == {"user": facility_user.pk, "reason": "Room needed for requalification"}

    def test_a_cancellation_records_its_reason(self, requested_booking, booker):
        booking_services.cancel_booking(requested_booking, booker, "Donor material delayed")
        assert events_of(requested_booking)[-1].pgh_context.metadata["reason"] == "Donor material delayed"

    def test_a_requalification_records_its_reason(self, booker, facility_user):
        qualification = Qualification.objects.filter(user=booker).first()
        new_end = qualification.valid_until.replace(year=qualification.valid_until.year + 1)
        booking_services.renew_qualification(qualification, new_end, facility_user)
        context = events_of(qualification)[-1].pgh_context.metadata
        assert context == {"user": facility_user.pk, "reason": f"Requalified until {new_end.isoformat()}."}

    def test_a_project_decision_records_its_comment(self, group, make_project, reviewer):
        project = make_project(group, status=ProjectStatus.UNDER_REVIEW)
        transition_project(project, "reject", actor=reviewer, comment="No GMO permit")
        assert events_of(project)[-1].pgh_context.metadata == {"user": reviewer.pk, "reason": "No GMO permit"}

    def test_pages_record_the_user_and_the_url(self, client, requested_booking, facility_user):
        client.force_login(facility_user)
        client.post(f"/bookings/{requested_booking.pk}/approve/")
        context = events_of(requested_booking)[-1].pgh_context.metadata
        assert context["user"] == facility_user.pk
        assert context["url"] == f"/bookings/{requested_booking.pk}/approve/"


class TestHistoryPage:
    def test_staff_see_who_changed_what_from_which_value_to_which(self, client, project, reviewer, pi):
        with recorded(pi, reason="Better title"):
            AtmpProject.objects.filter(pk=project.pk).update(title="Allogeneic NK cells")
        client.force_login(reviewer)
        response = client.get(f"/history/project/{project.pk}/")
        assert response.status_code == 200
        for text in ("Better title", pi.username, "Autologous CAR-T process", "Allogeneic NK cells"):
            assert text in response.content.decode()

    def test_the_project_page_links_its_history_for_staff_only(self, client, project, reviewer, pi):
        client.force_login(reviewer)
        assert f"/history/project/{project.pk}/" in client.get(project.get_absolute_url()).content.decode()
        client.force_login(pi)
        assert "/history/" not in client.get(project.get_absolute_url()).content.decode()

    def test_csv_export_has_one_row_per_changed_field(self, client, project, facility_user):
        AtmpProject.objects.filter(pk=project.pk).update(title="New", acronym="NEW")
        client.force_login(facility_user)
        response = client.get(f"/history/project/{project.pk}/?format=csv")
        assert response["Content-Type"].startswith("text/csv")
        frame = csv_frame(response, dtype=str)
        rows = frame[frame["event"] == "update"]
        updates = {row["field"]: (row["old value"], row["new value"]) for _, row in rows.iterrows()}
        assert updates["title"] == ("Autologous CAR-T process", "New")
        assert updates["acronym"][1] == "NEW"

    def test_members_and_anonymous_users_are_refused(self, client, project, pi):
        assert client.get(f"/history/project/{project.pk}/").status_code == 302
        client.force_login(pi)
        assert client.get(f"/history/project/{project.pk}/").status_code == 403

    def test_unknown_models_and_objects_are_404(self, client, facility_user):
        client.force_login(facility_user)
        assert client.get("/history/user/1/").status_code == 404
        assert client.get("/history/booking/999999/").status_code == 404

    def test_queries_do_not_grow_with_the_history(self, client, project, reviewer, django_assert_max_num_queries):
        client.force_login(reviewer)
        url = f"/history/project/{project.pk}/"
        with django_assert_max_num_queries(8):
            client.get(url)
        for number in range(30):
            AtmpProject.objects.filter(pk=project.pk).update(title=f"Title {number}")
        with django_assert_max_num_queries(8):
            assert client.get(url).status_code == 200


def test_the_booking_history_shows_the_decision(client, requested_booking, facility_user):
    booking_services.approve_booking(requested_booking, facility_user)
    client.force_login(facility_user)
    response = client.get(f"/history/booking/{requested_booking.pk}/")
    assert Booking.objects.get(pk=requested_booking.pk).status == BookingStatus.APPROVED
    assert "approved" in response.content.decode()


class TestAdmin:
    def test_the_history_button_opens_the_audit_trail(self, client, admin_user, project):
        client.force_login(admin_user)
        response = client.get(f"/admin/projects/atmpproject/{project.pk}/history/")
        assert response.status_code == 302
        assert response.url == f"/history/project/{project.pk}/"

    def test_the_admin_lists_every_event_and_cannot_change_or_delete_them(self, client, admin_user, project):
        client.force_login(admin_user)
        response = client.get("/admin/pghistory/events/")
        assert response.status_code == 200
        assert "projects.AtmpProject" in response.content.decode()
        assert "Add event" not in response.content.decode()
        event = AtmpProject.pgh_event_model.objects.get(pgh_obj_id=project.pk)
        assert client.post(f"/admin/projects/atmpprojectevent/{event.pk}/delete/").status_code in (403, 404)


class TestAdminChangesToBookings:
    def test_a_change_needs_a_reason_which_the_trail_keeps(self, client, admin_user, requested_booking):
        client.force_login(admin_user)
        url = f"/admin/facilities/booking/{requested_booking.pk}/change/"
        assert client.get(url).status_code == 200
        refused = client.post(url, {"purpose": "Changed silently"})
        assert refused.status_code == 200  # the form again, with its error
        assert Booking.objects.get(pk=requested_booking.pk).purpose == "Process run"
        client.post(url, {"purpose": "Media fill instead", "change_reason": "Asked by the PI"})
        last = events_of(requested_booking)[-1]
        assert last.purpose == "Media fill instead"
        assert last.pgh_context.metadata["reason"] == "Asked by the PI"
        assert last.pgh_context.metadata["user"] == admin_user.pk
