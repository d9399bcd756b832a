"""The clean-room day: check-in and check-out, line clearance between projects, no-shows, EM excursions
that hold a room, QA's signed release, deviation numbers under concurrency."""

import datetime
import io
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.test.utils import CaptureQueriesContext
from django.utils import formats, timezone

from atmp_portal.roles import QUALITY_ASSURANCE
from facilities import services as booking_services
from facilities.models import Booking, BookingStatus
from logbook import services
from logbook.models import (
    Cleaning,
    CleaningAgent,
    Deviation,
    DeviationStatus,
    HoldCause,
    RoomRelease,
    SignatureMeaning,
    UseKind,
    UseRecord,
)
from projects.models import ProjectStatus
from tests.helpers import PASSWORD


@pytest.fixture
def qa(make_user):
    return make_user("qa", role_group=QUALITY_ASSURANCE)


@pytest.fixture
def make_booking(room, booker, admitted_project):
    """An approved booking of the room starting ``minutes`` from now (written directly, past or future)."""

    def make(minutes=10, *, project=admitted_project, hours=2):
        start = timezone.now() + datetime.timedelta(minutes=minutes)
        booking = Booking.objects.create(
            resource=room,
            project=project,
            booked_by=booker,
            period=(start, start + datetime.timedelta(hours=hours)),
            purpose="Vector production",
            status=BookingStatus.APPROVED,
        )
        booking.entrants.add(booker)  # as the booking service names the booker when nobody else is named
        booking.refresh_from_db()  # the period as a range, as the database gives it
        return booking

    return make


@pytest.fixture
def other_project(group, make_project):
    return make_project(group, status=ProjectStatus.ACTIVE, acronym="CAR", gmo_class=1)


def _used_earlier(booking_maker, project, booker):
    """A booking of ``project`` that was checked in and out earlier today."""
    earlier = booking_maker(-300, project=project)
    use = UseRecord.objects.create(
        booking=earlier, kind=UseKind.CHECK_IN, recorded_by=booker, at=timezone.now() - datetime.timedelta(hours=5)
    )
    UseRecord.objects.create(
        booking=earlier, kind=UseKind.CHECK_OUT, recorded_by=booker, at=timezone.now() - datetime.timedelta(hours=3)
    )
    return use


def test_check_in_and_out_record_the_actual_use_and_who_entered(make_booking, booker):
    booking = make_booking(10)
    use = services.check_in(booking, by=booker, entrants=[booker], batch="B-001")
    assert list(use.entrants.all()) == [booker]
    out = services.check_out(booking, by=booker)
    assert (use.kind, out.kind, use.batch) == (UseKind.CHECK_IN, UseKind.CHECK_OUT, "B-001")


def test_only_the_booking_s_named_entrants_check_in(make_booking, booker, manager):
    booking = make_booking(10)
    with pytest.raises(services.LogbookError, match="manager is not named as an entrant of this booking"):
        services.check_in(booking, by=booker, entrants=[booker, manager])
    assert not booking.use_records.exists()
    booking.entrants.add(manager)
    assert services.check_in(booking, by=booker, entrants=[booker, manager, booker]).entrants.count() == 2


def test_check_in_opens_30_minutes_before_the_start(make_booking, booker):
    booking = make_booking(45)
    with pytest.raises(services.LogbookError, match="Check-in opens"):
        services.check_in(booking, by=booker, entrants=[booker])
    assert not UseRecord.objects.exists()


def test_check_in_is_refused_while_a_clearance_is_open_and_accepted_after_a_signed_one(
    make_booking, booker, admitted_project, other_project, room, facility_user
):
    _used_earlier(make_booking, other_project, booker)
    booking = make_booking(10)
    with pytest.raises(services.LogbookError, match="line clearance"):
        services.check_in(booking, by=booker, entrants=[booker])
    assert services.open_clearance(room) is not None

    services.sign_clearance(room, by=facility_user, password=PASSWORD, ticked=services.checklist_of(room))
    assert services.open_clearance(room) is None
    assert services.check_in(booking, by=booker, entrants=[booker]).kind == UseKind.CHECK_IN


def test_the_same_project_back_to_back_needs_no_clearance(make_booking, booker, admitted_project):
    _used_earlier(make_booking, admitted_project, booker)
    assert services.check_in(make_booking(10), by=booker, entrants=[booker])


def test_another_batch_needs_a_clearance_where_the_room_asks(make_booking, booker, admitted_project, room):
    from logbook.models import RoomProgramme

    RoomProgramme.objects.create(room=room, clearance_between_batches=True)
    _used_earlier(make_booking, admitted_project, booker)  # batch ""
    with pytest.raises(services.LogbookError, match="line clearance"):
        services.check_in(make_booking(10), by=booker, entrants=[booker], batch="B-002")


def test_a_clearance_with_an_item_not_ticked_is_refused(room, facility_user):
    from logbook.models import LineClearance

    with pytest.raises(services.LogbookError, match="Tick every"):
        services.sign_clearance(room, by=facility_user, password=PASSWORD, ticked=services.checklist_of(room)[:1])
    assert not LineClearance.objects.exists()


def test_a_booking_not_checked_in_30_minutes_after_its_start_is_a_no_show(make_booking):
    late = make_booking(-31)
    in_time = make_booking(-29 + 180)  # starts later: not yet
    out = io.StringIO()
    call_command("send_reminders", stdout=out)
    assert "marked 1 no-shows" in out.getvalue()
    assert list(UseRecord.objects.filter(kind=UseKind.NO_SHOW).values_list("booking", flat=True)) == [late.pk]
    assert not in_time.use_records.exists()


def test_a_no_show_is_marked_on_the_next_read(client, make_booking, booker):
    booking = make_booking(-40)
    client.force_login(booker)
    response = client.get(f"/bookings/{booking.pk}/check-in/")
    assert response.status_code == 200
    assert booking.use_records.get().kind == UseKind.NO_SHOW
    with pytest.raises(services.LogbookError, match="no-show"):
        services.check_in(booking, by=booker, entrants=[booker])


def _excursion(room, by):
    return services.record_em_result(
        room,
        by=by,
        password=PASSWORD,
        sampling_point="Cabinet work zone",
        grade="B",
        method="settle",
        state="in_operation",
        sampled_at=timezone.now() - datetime.timedelta(hours=1),
        value=Decimal("7"),
    )


def test_an_em_result_above_the_action_limit_opens_a_deviation_and_holds_the_room(
    room, facility_user, make_booking, booker, admitted_project, booking_day, at
):
    booking = make_booking(10)
    result = _excursion(room, facility_user)
    assert (result.action_limit, result.above_action) == (Decimal(5), True)
    deviation = Deviation.objects.get(em_result=result)
    assert deviation.code.startswith(f"DEV-{timezone.localdate().year}-")
    assert room.holds.get().cause == HoldCause.EM_EXCURSION

    with pytest.raises(booking_services.BookingError, match=rf"on hold since .* \({deviation.code}\)"):
        booking_services.create_booking(
            by=booker,
            resource=room,
            project=admitted_project,
            period=DateTimeTZRange(at(booking_day, "09:00"), at(booking_day, "11:00")),
            purpose="Run",
        )
    with pytest.raises(services.LogbookError, match="on hold since"):
        services.check_in(booking, by=booker, entrants=[booker])


def test_an_alert_is_flagged_but_holds_nothing(room, facility_user):
    from logbook.models import AlertLimit

    AlertLimit.objects.create(grade="B", method="settle", state="in_operation", limit=Decimal(2))
    result = services.record_em_result(
        room, by=facility_user, password=PASSWORD, sampling_point="Door", grade="B", method="settle",
        state="in_operation", sampled_at=timezone.now(), value=Decimal(3),
    )  # fmt: skip
    assert (result.above_alert, result.above_action) == (True, False)
    assert services.hold_message(room) is None


def test_qa_releases_the_room_once_the_deviation_is_closed(room, facility_user, qa, make_booking, booker):
    result = _excursion(room, facility_user)
    deviation = Deviation.objects.get(em_result=result)
    with pytest.raises(services.LogbookError, match="still open"):
        services.release_room(room, by=qa, password=PASSWORD)
    services.update_investigation(deviation, by=facility_user, investigation="Door seal", capa="Seal replaced")
    with pytest.raises(services.LogbookError, match="password"):
        services.close_deviation(deviation, by=qa, password="wrong")
    assert not deviation.closures.exists()
    services.close_deviation(deviation, by=qa, password=PASSWORD)
    deviation.refresh_from_db()
    assert deviation.status == DeviationStatus.CLOSED
    release = services.release_room(room, by=qa, password=PASSWORD, note="Requalified")
    assert release.meaning == "released"
    assert services.hold_message(room) is None
    assert services.check_in(make_booking(10), by=booker, entrants=[booker])


def test_a_room_s_current_hold_is_its_first_hold_in_force(room, equipment, facility_user, qa):
    """``current_holds`` (written out for the pages) asks the rule of ``holds_in_force``: holds before the last
    release are over, the first one after it is the room's hold."""
    services.hold_room(room, by=facility_user, cause=HoldCause.QUARANTINE, note="Before the release")
    services.release_room(room, by=qa, password=PASSWORD)
    assert services.current_holds([room, equipment]) == {}
    first = services.hold_room(room, by=facility_user, cause=HoldCause.QUARANTINE, note="First after it")
    services.hold_room(room, by=facility_user, cause=HoldCause.QUARANTINE, note="Second after it")
    holds = services.current_holds([room, equipment])
    assert list(holds) == [room.pk]
    assert holds[room.pk] == first == services.holds_in_force([room]).order_by("placed_at", "pk").first()
    assert holds[room.pk].note == "First after it"
    assert holds[room.pk].deviation_code is None


def test_the_resources_in_rooms_on_hold_are_the_rooms_with_holds_in_force_and_their_equipment(
    room, equipment, facility_user, qa
):
    """``resources_in_rooms_on_hold`` (written out for the dashboard's booking lists) asks the rule of
    ``holds_in_force``: a released room and its equipment are free again."""

    def held() -> set[int]:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {services.resources_in_rooms_on_hold()}")
            return set(cursor.fetchone()[0])

    assert held() == set()
    services.hold_room(room, by=facility_user, cause=HoldCause.QUARANTINE, note="Held")
    assert held() == {room.pk, equipment.pk}
    assert {hold.room_id for hold in services.holds_in_force()} == {room.pk}
    services.release_room(room, by=qa, password=PASSWORD)
    assert held() == set() == set(services.holds_in_force())


def test_only_qa_releases_a_room(room, facility_user):
    from django.core.exceptions import PermissionDenied

    services.hold_room(room, by=facility_user, cause=HoldCause.QUARANTINE, note="Suspected contamination")
    with pytest.raises(PermissionDenied):
        services.release_room(room, by=facility_user, password=PASSWORD)
    assert not RoomRelease.objects.exists()


def test_a_major_deviation_on_equipment_holds_its_room(room, equipment, booker):
    services.report_deviation(
        by=booker, equipment=equipment, category="equipment", severity="major", description="Cabinet alarm"
    )
    assert "on hold" in services.hold_message(room)


def test_a_minor_deviation_holds_nothing(room, booker):
    services.report_deviation(by=booker, room=room, category="gowning", severity="minor", description="Torn glove")
    assert services.hold_message(room) is None


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_reports_get_twenty_distinct_numbers(make_user):
    users = [make_user() for _ in range(20)]
    barrier = threading.Barrier(20)
    codes, errors = [], []

    def report(user):
        try:
            barrier.wait()
            deviation = services.report_deviation(by=user, category="other", severity="minor", description="Spill")
            codes.append(deviation.code)
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=report, args=(user,)) for user in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(codes)) == 20


def test_the_usage_report_adds_used_hours_and_no_shows(make_booking, booker, room, group, facility_user):
    from facilities import reports

    used = make_booking(-300)
    UseRecord.objects.create(booking=used, kind=UseKind.CHECK_IN, at=used.period.lower, recorded_by=booker)
    UseRecord.objects.create(
        booking=used, kind=UseKind.CHECK_OUT, at=used.period.lower + datetime.timedelta(minutes=90), recorded_by=booker
    )
    services.mark_no_show_of(make_booking(-60))
    today = timezone.localdate()
    period = reports.ReportPeriod.days(today - datetime.timedelta(days=1), today)
    report = reports.usage_report(period, user=facility_user)
    row = next(row for row in report.resources if row.resource == room)
    assert (row.use.used_hours, row.use.no_shows) == (Decimal("1.50"), 1)
    assert (report.groups[0].group, report.groups[0].use.no_shows) == (group, 1)


def test_bookings_in_a_room_on_hold_are_flagged_to_booker_and_staff(client, room, make_booking, booker, facility_user):
    booking = make_booking(24 * 60)
    services.hold_room(room, by=facility_user, cause=HoldCause.QUARANTINE, note="Filter leak")
    for user in (booker, facility_user):
        client.force_login(user)
        page = client.get("/").content.decode()
        assert f"/bookings/{booking.pk}/check-in/" in page.split("bookings-on-hold")[-1]


def test_the_bookers_of_a_room_put_on_hold_are_told(
    room, make_booking, facility_user, mailoutbox, django_capture_on_commit_callbacks
):
    booking = make_booking(24 * 60)
    with django_capture_on_commit_callbacks(execute=True):
        services.hold_room(room, by=facility_user, cause=HoldCause.QUARANTINE, note="Filter leak")
        services.hold_room(room, by=facility_user, cause=HoldCause.QUARANTINE, note="Second cause")  # told once
    assert [message.to for message in mailoutbox] == [[booking.booked_by.email, booking.project.project_lead.email]]
    assert mailoutbox[0].subject.startswith("Room on hold")


def test_the_status_board_reads_each_room_s_latest_records_in_one_query(
    client, room, equipment, make_booking, booker, admitted_project, facility_user
):
    """Every room's newest use, cleaning and sporicidal cleaning and its open deviations (its equipment's too) come
    with the rooms: the board runs the same queries however many records its rooms hold."""
    now = timezone.now()
    for name, sporicidal, days in (("Peracetic acid", True, 3), ("Ethanol 70%", False, 1)):
        Cleaning.objects.create(
            room=room, agent=CleaningAgent.objects.create(name=name, sporicidal=sporicidal), areas="Floors",
            performed_at=now - datetime.timedelta(days=days), signed_by=facility_user,
            meaning=SignatureMeaning.PERFORMED,
        )  # fmt: skip
    _used_earlier(make_booking, admitted_project, booker)
    alarm = services.report_deviation(
        by=booker, equipment=equipment, category="equipment", severity="minor", description="Cabinet alarm"
    )
    client.force_login(facility_user)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/facilities/test-facility/status/").content.decode()
    assert len(queries) == 6  # session, user, facility, the rooms with their records, their holds, today's bookings
    sporicide_due = timezone.localdate(now - datetime.timedelta(days=3)) + datetime.timedelta(days=7)
    assert "Awaiting line clearance" in page and "· Ethanol 70%" in page
    assert formats.date_format(sporicide_due, "WEEKDAY_DATE_FORMAT") in page
    assert f">{alarm.code}</a> (minor)" in page


def test_cleaning_overdue_follows_the_programme(room, facility_user):
    from logbook.models import Cleaning, CleaningAgent, Disinfection, RoomProgramme, SignatureMeaning

    now = timezone.now()
    programme = RoomProgramme(room=room, disinfection=Disinfection.AFTER_EACH_USE, sporicide_interval_days=7)
    sporicide = Cleaning(
        room=room, performed_at=now - datetime.timedelta(days=3), agent=CleaningAgent(name="ClO2", sporicidal=True),
        signed_by=facility_user, meaning=SignatureMeaning.PERFORMED,
    )  # fmt: skip
    used_after = now - datetime.timedelta(days=1)
    assert not services.is_cleaning_overdue(programme, sporicide, sporicide, None)
    assert services.is_cleaning_overdue(programme, sporicide, sporicide, used_after)  # not cleaned after the use
    programme.disinfection = Disinfection.DAILY
    assert services.is_cleaning_overdue(programme, sporicide, sporicide, used_after)  # yesterday's use
    assert not services.is_cleaning_overdue(programme, sporicide, sporicide, now)  # today's: clean by tonight
    sporicide.performed_at = now - datetime.timedelta(days=9)
    assert services.is_cleaning_overdue(programme, sporicide, sporicide, None)


def test_a_room_on_hold_has_no_free_time(room, booker, admitted_project, booking_day, facility_user):
    def free():
        return booking_services.free_slots(
            booker, [room], admitted_project, datetime.timedelta(hours=2), booking_day, booking_day
        )

    assert free()
    services.hold_room(room, by=facility_user, cause=HoldCause.QUARANTINE, note="Filter leak")
    assert free() == []
