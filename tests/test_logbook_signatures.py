"""Electronic signatures: the password asked again, signer, time and meaning; append-only in the database."""

import pytest
from django.db import DatabaseError, connection, transaction

from atmp_portal.roles import QUALITY_ASSURANCE, is_quality_assurance
from logbook import services
from logbook.models import LineClearance, RoomHold, SignatureMeaning, UseRecord
from tests.helpers import PASSWORD


@pytest.fixture
def qa(make_user):
    return make_user("qa", role_group=QUALITY_ASSURANCE)


def _sign_clearance(room, user, password=PASSWORD):
    return services.sign_clearance(room, by=user, password=password, ticked=services.checklist_of(room))


def test_quality_assurance_is_a_role(qa, facility_user):
    assert is_quality_assurance(qa)
    assert not is_quality_assurance(facility_user)


def test_a_signature_keeps_signer_time_and_meaning(room, facility_user):
    clearance = _sign_clearance(room, facility_user)
    clearance.refresh_from_db()
    assert clearance.signed_by == facility_user
    assert clearance.meaning == SignatureMeaning.PERFORMED
    assert clearance.signed_at is not None


def test_a_wrong_password_signs_nothing(room, facility_user):
    with pytest.raises(services.LogbookError, match="password"):
        _sign_clearance(room, facility_user, password="not-my-password")
    assert not LineClearance.objects.exists()


def test_a_correction_references_the_original_which_stays_unchanged(room, facility_user):
    original = services.sign_clearance(room, by=facility_user, password=PASSWORD, ticked=services.checklist_of(room))
    correction = services.correct(
        original, by=facility_user, password=PASSWORD, reason="Wrong room noted", note="Corrected note"
    )
    original.refresh_from_db()
    assert correction.corrects == original
    assert correction.correction_reason == "Wrong room noted"
    assert (correction.note, original.note) == ("Corrected note", "")
    assert list(original.corrections.all()) == [correction]


def test_a_correction_needs_a_reason(room, facility_user):
    original = _sign_clearance(room, facility_user)
    with pytest.raises(services.LogbookError, match="reason"):
        services.correct(original, by=facility_user, password=PASSWORD, reason=" ")
    assert LineClearance.objects.count() == 1


APPEND_ONLY_TABLES = [
    "logbook_lineclearance",
    "logbook_cleaning",
    "logbook_emresult",
    "logbook_deviationclosure",
    "logbook_roomhold",
    "logbook_roomrelease",
    "logbook_userecord",
    "logbook_useentrant",
]


@pytest.fixture
def one_record_of_each(room, facility_user, qa, booker, admitted_project, booking_day, at):
    """A row in every append-only table (row triggers fire on rows only)."""
    from django.utils import timezone

    from facilities.models import Booking, BookingStatus
    from logbook.models import Cleaning, CleaningAgent, DeviationClosure, EmResult, RoomRelease, UseEntrant

    now = timezone.now()
    signed = {"signed_by": facility_user, "meaning": SignatureMeaning.PERFORMED}
    booking = Booking.objects.create(
        resource=room, project=admitted_project, booked_by=booker, period=(at(booking_day, "09:00"),
        at(booking_day, "10:00")), purpose="Run", status=BookingStatus.APPROVED,
    )  # fmt: skip
    use = UseRecord.objects.create(booking=booking, kind="check_in", recorded_by=booker)
    UseEntrant.objects.create(use=use, user=booker)
    _sign_clearance(room, facility_user)
    agent = CleaningAgent.objects.create(name="Hydrogen peroxide", sporicidal=True)
    Cleaning.objects.create(room=room, agent=agent, areas="Floors", **signed)
    em = EmResult.objects.create(
        room=room, sampling_point="P1", grade="B", method="air", state="at_rest", sampled_at=now, value=1, **signed
    )
    deviation = services.report_deviation(by=booker, room=room, category="other", severity="minor",
                                          description="Door left open", em_result=em)  # fmt: skip
    DeviationClosure.objects.create(deviation=deviation, signed_by=qa, meaning=SignatureMeaning.APPROVED)
    RoomHold.objects.create(room=room, cause="quarantine", placed_by=facility_user)
    RoomRelease.objects.create(room=room, signed_by=qa, meaning=SignatureMeaning.RELEASED)


# The portal's runtime role has no UPDATE or DELETE grant on these tables at all (tests/test_database_roles.py);
# the trigger refuses even the tables' owner.
@pytest.mark.database_owner
@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
@pytest.mark.parametrize("statement", ["UPDATE {table} SET id = id", "DELETE FROM {table}"])
def test_postgresql_refuses_to_change_signed_records(one_record_of_each, table, statement):
    with pytest.raises(DatabaseError, match="Cannot"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(statement.format(table=table))


def test_every_record_table_is_append_only():
    """A new signed or record table joins the list above."""
    from django.apps import apps

    from logbook.models import AppendOnly

    tables = {m._meta.db_table for m in apps.get_app_config("logbook").get_models() if issubclass(m, AppendOnly)}
    assert tables == set(APPEND_ONLY_TABLES)
    assert UseRecord._meta.db_table in tables
