"""The six booking rules of DESIGN.md, each allowed and refused, through the service layer."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.utils import timezone

from facilities import services
from facilities.forms import offered_projects
from facilities.models import (
    Booking,
    BookingStatus,
    Closure,
    ClosureReason,
    Qualification,
    QualificationKind,
    QualificationState,
    Resource,
    ResourceKind,
)
from facilities.periods import closure_covers
from facilities.permissions import can_view_booking
from facilities.services import BookingError, Recurrence
from projects.models import AtmpProject, ProjectStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(booker, room, admitted_project, booking_day, at):
    """Book ``room`` for the admitted project from 09:00 to 13:00 on ``booking_day`` unless told otherwise."""

    def book(start="09:00", end="13:00", *, day=None, user=None, resource=None, project=None, **extra):
        day = day or booking_day
        return services.create_booking(
            by=user or booker,
            resource=resource or room,
            project=project or admitted_project,
            period=DateTimeTZRange(at(day, start), at(day, end)),
            purpose="Process development run",
            **extra,
        )

    return book


class TestRule1WhoBooksForWhichProject:
    def test_a_member_books_an_admitted_project(self, book, room):
        [booking] = book()
        assert booking.status == BookingStatus.APPROVED
        assert booking.resource == room

    @pytest.mark.parametrize("status", [ProjectStatus.DRAFT, ProjectStatus.SUBMITTED, ProjectStatus.COMPLETED])
    def test_a_project_not_admitted_cannot_book(self, book, group, make_project, status):
        project = make_project(group, status=status)
        with pytest.raises(BookingError, match="only accepted or active projects may book"):
            book(project=project)

    def test_someone_else_s_project_cannot_be_booked(self, book, make_group, make_project):
        other = make_project(make_group("other-lab"), status=ProjectStatus.ACTIVE)
        with pytest.raises(BookingError, match="Only members of Other Lab may book"):
            book(project=other)
        assert not Booking.objects.exists()


class TestRule2QualificationsAndContainment:
    def test_gowning_for_a_stricter_grade_covers_the_room(self, book, booker, room):
        booker.qualifications.filter(kind="gowning").update(grade="A")
        assert book()

    def test_without_gowning_for_the_grade_the_booking_is_refused(self, book, booker, qualify):
        booker.qualifications.filter(kind="gowning").update(grade="C")
        with pytest.raises(BookingError, match="no valid gowning qualification for Grade B"):
            book()

    def test_gowning_must_be_valid_on_the_day(self, book, booker, booking_day):
        booker.qualifications.filter(kind="gowning").update(valid_until=booking_day - datetime.timedelta(days=1))
        with pytest.raises(BookingError, match="no valid gowning qualification"):
            book()

    def test_training_is_needed_on_equipment_that_requires_it(self, book, booker, equipment):
        assert book(resource=equipment)
        booker.qualifications.filter(kind="training").delete()
        with pytest.raises(BookingError, match="member needs valid training on Biosafety cabinet"):
            book("14:00", "16:00", resource=equipment)

    @pytest.mark.parametrize(
        "status",
        [QualificationState.IN_QUALIFICATION, QualificationState.OUT_OF_SERVICE, QualificationState.QUARANTINED],
    )
    def test_equipment_not_qualified_cannot_be_booked(self, book, equipment, status):
        equipment.qualification_status = status
        equipment.save()
        with pytest.raises(BookingError, match="cannot be booked: its status is"):
            book(resource=equipment)

    def test_equipment_past_its_requalification_date_cannot_be_booked(self, book, equipment, booking_day):
        equipment.requalification_due = booking_day - datetime.timedelta(days=1)
        equipment.save()
        with pytest.raises(BookingError, match="due for requalification"):
            book(resource=equipment)

    def test_a_gmo_class_above_the_room_s_containment_is_refused(self, book, room, equipment, admitted_project):
        admitted_project.gmo_class = 3
        admitted_project.save()
        with pytest.raises(BookingError, match="approved for contained use class 2 only"):
            book()
        with pytest.raises(BookingError, match="approved for contained use class 2 only"):
            book(resource=equipment)


class TestRule3OverlapsClosuresChangeover:
    def test_an_overlap_is_refused_with_the_conflicting_slot_in_local_time(self, book, make_project, group):
        book()
        with pytest.raises(BookingError, match=r"already booked on .* from 09:00 to 13:00 \(ATMP-"):
            book("12:00", "15:00")
        assert Booking.objects.count() == 1

    def test_the_same_project_may_book_back_to_back(self, book):
        book()
        assert book("13:00", "15:00")

    def test_another_project_waits_for_the_changeover(self, book, group, make_project):
        book()
        other = make_project(group, status=ProjectStatus.ACCEPTED, acronym="OTHER")
        with pytest.raises(BookingError, match="needs 60 minutes of changeover"):
            book("13:30", "15:00", project=other)
        assert book("14:00", "16:00", project=other)

    def test_a_closure_of_the_room_blocks_the_room_and_its_equipment(
        self, book, room, equipment, facility_user, booking_day, at
    ):
        Closure.objects.create(
            facility=room.facility,
            resource=room,
            reason=ClosureReason.CLEANING,
            period=(at(booking_day, "08:00"), at(booking_day, "10:00")),
            created_by=facility_user,
        )
        with pytest.raises(BookingError, match=r"closed for cleaning and disinfection on .* from 08:00 to 10:00"):
            book()
        with pytest.raises(BookingError, match="closed for cleaning"):
            book(resource=equipment)
        assert book("10:00", "12:00")

    def test_a_closure_of_the_whole_facility_blocks_everything(self, book, facility, facility_user, booking_day, at):
        Closure.objects.create(
            facility=facility,
            reason=ClosureReason.ENVIRONMENTAL_MONITORING,
            period=(at(booking_day, "07:00"), at(booking_day, "19:00")),
            created_by=facility_user,
        )
        with pytest.raises(BookingError, match="Test pre-GMP facility is closed for environmental monitoring"):
            book()

    @pytest.mark.parametrize("transition", ["cancel", "reject"])
    def test_a_cancelled_or_rejected_booking_frees_its_slot(self, book, room, facility_user, transition):
        room.requires_approval = True
        room.save()
        [booking] = book()
        if transition == "cancel":
            services.cancel_booking(booking, booking.booked_by, "Run postponed")
        else:
            services.reject_booking(booking, facility_user, "Suite needed for requalification")
        assert book()

    def test_the_database_itself_refuses_an_overlapping_insert(self, book, admitted_project, room, booker, booking_day):
        [booking] = book()
        with pytest.raises(IntegrityError, match="booking_no_overlap"), transaction.atomic():
            Booking.objects.create(
                resource=room,
                project=admitted_project,
                booked_by=booker,
                period=(booking.period.lower + datetime.timedelta(hours=1), booking.period.upper),
                purpose="Sneaked past the rules",
                status=BookingStatus.REQUESTED,
            )
        # A cancelled booking may lie anywhere.
        Booking.objects.create(
            resource=room,
            project=admitted_project,
            booked_by=booker,
            period=booking.period,
            purpose="Old",
            status=BookingStatus.CANCELLED,
        )

    def test_raw_sql_overlap_is_refused_too(self, book):
        [booking] = book()
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO facilities_booking (resource_id, period, project_id, booked_by_id, purpose, "
                "status, decision_comment, cancellation_reason, created_at) "
                "SELECT resource_id, period, project_id, booked_by_id, 'raw', 'approved', '', '', now() "
                "FROM facilities_booking WHERE id = %s",
                [booking.pk],
            )

    def test_a_violation_that_slips_past_the_checks_becomes_the_conflict_message(self, book, monkeypatch):
        book()
        monkeypatch.setattr(services, "check_availability", lambda *args: None)
        with pytest.raises(BookingError, match=r"already booked on .* from 09:00 to 13:00"):
            book("10:00", "11:00")


class TestRule4TimesDurationOccupancy:
    def test_the_end_must_be_after_the_start(self, book):
        with pytest.raises(BookingError, match="The end must be after the start"):
            book("13:00", "09:00")

    def test_not_in_the_past(self, book):
        with pytest.raises(BookingError, match="in the past"):
            book(day=timezone.localdate() - datetime.timedelta(days=7))

    def test_outside_opening_hours_is_refused(self, book):
        with pytest.raises(
            BookingError, match="is open Monday, Tuesday, Wednesday, Thursday, Friday from 07:00 to 19:00"
        ):
            book("17:00", "20:00")

    def test_a_closed_weekday_is_refused(self, book, booking_day):
        with pytest.raises(BookingError, match="opening hours"):
            book(day=booking_day - datetime.timedelta(days=1))

    def test_min_and_max_duration(self, book, room):
        room.min_duration_minutes, room.max_duration_minutes = 60, 240
        room.save()
        with pytest.raises(BookingError, match="at least 60 minutes"):
            book("09:00", "09:30")
        with pytest.raises(BookingError, match="at most 240 minutes"):
            book("09:00", "14:00")
        assert book("09:00", "13:00")

    def test_lead_time(self, book, room):
        room.lead_time_hours = 24 * 30
        room.save()
        with pytest.raises(BookingError, match="at least 720 hours ahead"):
            book()

    def test_how_far_ahead(self, book, room):
        room.booking_horizon_days = 3
        room.save()
        with pytest.raises(BookingError, match="at most 3 days ahead"):
            book()

    def test_entrants_within_the_maximum_occupancy(self, book, booker, team):
        with pytest.raises(BookingError, match="holds at most 3 persons"):
            book(entrants=[booker, *team(3)])
        [booking] = book(entrants=[booker, *team(2)])
        assert booking.entrants.count() == 3

    def test_an_inactive_resource_cannot_be_booked(self, book, room):
        room.active = False
        room.save()
        with pytest.raises(BookingError, match="is not in use"):
            book()


class TestRule5ApprovalAndCancelling:
    def test_a_resource_that_needs_approval_gets_a_request(self, book, room, facility_user):
        room.requires_approval = True
        room.save()
        [booking] = book()
        assert booking.status == BookingStatus.REQUESTED
        services.approve_booking(booking, facility_user)
        booking.refresh_from_db()
        assert (booking.status, booking.decided_by) == (BookingStatus.APPROVED, facility_user)

    def test_rejecting_needs_a_comment(self, book, room, facility_user):
        room.requires_approval = True
        room.save()
        [booking] = book()
        with pytest.raises(BookingError, match="Say why"):
            services.reject_booking(booking, facility_user, "  ")
        booking.refresh_from_db()
        assert booking.status == BookingStatus.REQUESTED

    def test_cancelling_needs_a_reason_and_happens_before_the_start(self, book, booker, facility_user):
        [booking] = book()
        with pytest.raises(BookingError, match="Give a reason"):
            services.cancel_booking(booking, booker, "")
        Booking.objects.filter(pk=booking.pk).update(
            period=(timezone.now() - datetime.timedelta(hours=1), timezone.now() + datetime.timedelta(hours=1))
        )
        with pytest.raises(BookingError, match="has started"):
            services.cancel_booking(booking, booker, "Too late")
        services.cancel_booking(booking, facility_user, "Deviation in the suite")
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CANCELLED
        assert booking.cancellation_reason == "Deviation in the suite"


class TestRule6RecurringAndCombined:
    def test_recurring_bookings_are_made_on_the_chosen_weekdays(self, book, booking_day):
        until = booking_day + datetime.timedelta(days=20)
        bookings = book(recurrence=Recurrence(weekdays=frozenset({0, 3}), until=until))
        days = [b.start.date() for b in bookings]
        assert [d.weekday() for d in days] == [0, 3, 0, 3, 0, 3]
        assert len({b.series for b in bookings}) == 1

    def test_one_conflict_refuses_the_whole_series_and_lists_every_date(self, book, booking_day, group, make_project):
        other = make_project(group, status=ProjectStatus.ACTIVE, acronym="OTHER")
        book(day=booking_day + datetime.timedelta(days=7), project=other)
        book(day=booking_day + datetime.timedelta(days=14), project=other)
        before = Booking.objects.count()
        with pytest.raises(BookingError) as refused:
            book(recurrence=Recurrence(weekdays=frozenset({0}), until=booking_day + datetime.timedelta(days=21)))
        message = refused.value.message
        assert "2 of 4 dates cannot be booked" in message
        for days in (7, 14):
            day = booking_day + datetime.timedelta(days=days)
            assert f"{day.day} {day:%b} {day.year}" in message
        assert Booking.objects.count() == before

    def test_equipment_is_booked_with_its_room_or_not_at_all(self, book, booker, equipment):
        bookings = book(equipment=[equipment])
        assert [b.resource for b in bookings] == [bookings[0].resource, equipment]
        assert bookings[1].parent == bookings[0]
        services.cancel_booking(bookings[0], booker, "Postponed")
        assert not Booking.objects.active().exists()
        booker.qualifications.filter(kind="training").delete()
        with pytest.raises(BookingError, match="training"):
            book(equipment=[equipment])
        assert not Booking.objects.active().exists()

    def test_rejecting_a_room_request_releases_the_equipment_requested_with_it(
        self, book, room, equipment, facility_user
    ):
        room.requires_approval = True
        room.save()
        room_booking, equipment_booking = book(equipment=[equipment])
        services.reject_booking(room_booking, facility_user, "Suite reserved for a media fill")
        equipment_booking.refresh_from_db()
        assert equipment_booking.status == BookingStatus.CANCELLED
        assert book(resource=equipment)

    def test_equipment_from_another_room_is_refused(self, book, room, facility):
        other_room = Resource.objects.create(facility=facility, kind=ResourceKind.ROOM, name="Grade D lab", slug="d")
        with pytest.raises(BookingError, match="does not stand in Grade D lab"):
            book(resource=other_room, equipment=[Resource.objects.get(slug="bsc")])


class TestDaylightSaving:
    @staticmethod
    def last_sunday(year, month):
        day = datetime.date(year, month + 1, 1) - datetime.timedelta(days=1)
        return day - datetime.timedelta(days=(day.weekday() + 1) % 7)

    @pytest.fixture
    def open_every_day(self, facility, room):
        """The change days are Sundays (Easter Sunday in 2027), and the next one may be most of a year ahead."""
        facility.open_weekdays = list(range(7))
        facility.closed_on_public_holidays = False
        facility.save()
        room.booking_horizon_days = 800
        room.save()

    def next_change(self, month, days_ahead):
        """The next last Sunday of ``month`` at least ``days_ahead`` days from today."""
        today = timezone.localdate()
        change = self.last_sunday(today.year, month)
        if change <= today + datetime.timedelta(days=days_ahead):
            change = self.last_sunday(today.year + 1, month)
        return change

    @pytest.mark.parametrize("month", [3, 10])
    def test_a_booking_on_the_change_day_keeps_its_local_times_and_length(self, book, open_every_day, month):
        day = self.next_change(month, days_ahead=1)
        [booking] = book(day=day)
        booking.refresh_from_db()
        assert (f"{booking.start:%H:%M}", f"{booking.end:%H:%M}") == ("09:00", "13:00")
        assert booking.period.upper - booking.period.lower == datetime.timedelta(hours=4)

    @pytest.mark.parametrize("month", [3, 10])
    def test_a_weekly_series_across_the_change_keeps_its_wall_clock(self, book, open_every_day, month):
        change = self.next_change(month, days_ahead=8)
        first = change - datetime.timedelta(days=6)  # the Monday before
        bookings = book(
            day=first, recurrence=Recurrence(weekdays=frozenset({0}), until=first + datetime.timedelta(days=7))
        )
        offsets = {b.start.utcoffset() for b in bookings}
        assert len(offsets) == 2
        assert {(f"{b.start:%H:%M}", f"{b.end:%H:%M}") for b in bookings} == {("09:00", "13:00")}
        assert {b.period.upper - b.period.lower for b in bookings} == {datetime.timedelta(hours=4)}


class TestClosures:
    def test_a_closure_lists_the_bookings_in_its_way_then_cancels_them(
        self, book, room, facility_user, booking_day, at
    ):
        [booking] = book()
        closure = Closure(
            facility=room.facility,
            resource=room,
            reason=ClosureReason.MAINTENANCE,
            period=DateTimeTZRange(at(booking_day, "07:00"), at(booking_day, "12:00")),
            note="HEPA filter change",
        )
        assert list(services.bookings_affected_by(closure)) == [booking]
        with pytest.raises(BookingError, match="1 booking overlaps the closure"):
            services.create_closure(closure, facility_user)
        assert not Closure.objects.exists()
        assert services.create_closure(closure, facility_user, cancel_affected=True) == [booking]
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CANCELLED
        assert booking.cancellation_reason == "Closed for maintenance. HEPA filter change"


class TestQualifications:
    def test_record_and_renew(self, member, facility_user, qualify):
        qualification = qualify(member, grade="C")
        renewed_until = qualification.valid_until + datetime.timedelta(days=365)
        services.renew_qualification(qualification, renewed_until, facility_user)
        qualification.refresh_from_db()
        assert (qualification.valid_until, qualification.certified_by) == (renewed_until, facility_user)
        with pytest.raises(BookingError, match="must be after the current one"):
            services.renew_qualification(qualification, renewed_until, facility_user)


class TestServicesRefuseWhoMayNot:
    """The services demand the permission themselves: a page, the admin and a command cannot differ."""

    @pytest.fixture
    def request_(self, book, room):
        room.requires_approval = True
        room.save()
        [booking] = book()
        return booking

    @pytest.mark.parametrize("decision", ["approve", "reject"])
    def test_only_facility_staff_decide_a_request(self, request_, booker, pi, decision):
        for actor in (booker, pi):
            with pytest.raises(PermissionDenied):
                if decision == "approve":
                    services.approve_booking(request_, actor)
                else:
                    services.reject_booking(request_, actor, "Not ours to decide")
        request_.refresh_from_db()
        assert (request_.status, request_.decided_by) == (BookingStatus.REQUESTED, None)

    def test_only_the_booker_or_staff_cancel(self, book, pi, outsider, facility_user):
        [booking] = book()
        for actor in (pi, outsider):
            with pytest.raises(PermissionDenied):
                services.cancel_booking(booking, actor, "Not mine")
        booking.refresh_from_db()
        assert booking.status == BookingStatus.APPROVED
        services.cancel_booking(booking, facility_user, "Deviation in the suite")
        booking.refresh_from_db()
        assert booking.status == BookingStatus.CANCELLED

    def test_only_facility_staff_close_a_resource(self, room, booker, booking_day, at):
        closure = Closure(
            facility=room.facility,
            resource=room,
            reason=ClosureReason.CLEANING,
            period=DateTimeTZRange(at(booking_day, "07:00"), at(booking_day, "08:00")),
        )
        with pytest.raises(PermissionDenied):
            services.create_closure(closure, booker)
        assert not Closure.objects.exists()

    def test_only_facility_staff_lift_a_closure(self, room, booker, facility_user, booking_day, at):
        closure = Closure(
            facility=room.facility,
            reason=ClosureReason.CLEANING,
            period=DateTimeTZRange(at(booking_day, "07:00"), at(booking_day, "08:00")),
        )
        services.create_closure(closure, facility_user)
        with pytest.raises(PermissionDenied):
            services.delete_closure(closure, booker)
        services.delete_closure(closure, facility_user)
        assert not Closure.objects.exists()

    def test_only_facility_staff_certify_qualifications(self, member, booker, facility_user, qualify):
        qualification = Qualification(
            user=member, kind=QualificationKind.GOWNING, grade="C", valid_until=timezone.localdate()
        )
        with pytest.raises(PermissionDenied):
            services.record_qualification(qualification, member)
        assert qualification.pk is None
        held = qualify(member, grade="D")
        until = held.valid_until
        with pytest.raises(PermissionDenied):
            services.renew_qualification(held, until + datetime.timedelta(days=365), booker)
        with pytest.raises(PermissionDenied):
            services.delete_qualification(held, booker)
        held.refresh_from_db()
        assert held.valid_until == until

    def test_only_facility_staff_correct_a_booking(self, book, booker, facility_user):
        [booking] = book()
        with pytest.raises(PermissionDenied):
            services.correct_booking_purpose(booking, by=booker, purpose="Changed", reason="Typo")
        services.correct_booking_purpose(booking, by=facility_user, purpose="Media fill", reason="Typo")
        booking.refresh_from_db()
        assert booking.purpose == "Media fill"


class TestOneRuleInTwoForms:
    """Where a rule is asked both in SQL and in memory, the two forms agree."""

    def test_which_resources_a_closure_covers(self, room, equipment, make_user, booking_day, at):
        other_room = Resource.objects.create(
            facility=room.facility, kind=ResourceKind.ROOM, name="Grade C room", slug="grade-c-room", grade="C"
        )
        loose = Resource.objects.create(
            facility=room.facility, kind=ResourceKind.EQUIPMENT, name="Freezer", slug="freezer"
        )
        resources = [room, equipment, other_room, loose]
        staff = make_user(is_staff=True)
        period = DateTimeTZRange(at(booking_day, "07:00"), at(booking_day, "08:00"))
        for closed in [None, *resources]:
            Closure.objects.all().delete()
            closure = Closure.objects.create(
                facility=room.facility, resource=closed, reason=ClosureReason.CLEANING, period=period, created_by=staff
            )
            for resource in resources:
                in_sql = Closure.objects.affecting(resource).filter(pk=closure.pk).exists()
                assert closure_covers(closure, resource) == in_sql, (closed, resource)
                assert (resource in services.resources_covered_by(closure)) == in_sql, (closed, resource)
        # A room's closure covers its equipment; equipment's closure does not cover its room.
        room_closure = Closure(facility=room.facility, resource=room)
        assert closure_covers(room_closure, equipment)
        assert not closure_covers(Closure(facility=room.facility, resource=equipment), room)

    def test_who_may_enter(
        self, booker, pi, outsider, facility_user, admin_user, make_user, add_member, group, room, admitted_project, at
    ):
        left = add_member(group)
        left.is_active = False
        left.save()
        people = [booker, pi, outsider, facility_user, admin_user, make_user(is_superuser=True), left, make_user()]
        ids = [person.pk for person in people]
        window = DateTimeTZRange(at(timezone.localdate(), "07:00"), at(timezone.localdate(), "18:00"))
        in_rules = services.RuleData.load(booker, room, admitted_project, window, people).eligible
        assert in_rules == {person.pk for person in services.possible_entrants([group.pk]) if person.pk in ids}
        assert in_rules == {person.pk for person in people[:2] + people[3:6]}

    def test_which_projects_the_booking_form_offers(self, booker, outsider, group, make_project, admitted_project):
        make_project(group, status=ProjectStatus.DRAFT)
        make_project(group, status=ProjectStatus.ACTIVE, acronym="SECOND")
        for user in (booker, outsider):
            in_sql = offered_projects(user, None)
            assert in_sql == list(AtmpProject.objects.bookable_by(user).order_by("code")), user
        assert len(offered_projects(booker, None)) == 2  # not the draft
        assert offered_projects(outsider, [admitted_project.pk]) == [admitted_project]

    def test_who_sees_a_booking(self, book, booker, pi, outsider, facility_user, admin_user, make_user):
        [booking] = book()
        visible = {booker, pi, facility_user, admin_user}
        for user in (booker, pi, outsider, facility_user, admin_user, make_user()):
            assert can_view_booking(user, booking) == (user in visible)
            assert Booking.objects.visible_to(user).filter(pk=booking.pk).exists() == (user in visible)


class TestRule7Entrants:
    def test_a_pi_books_for_a_qualified_team_without_entering(self, book, pi, team):
        people = team(2)
        [booking] = book(user=pi, entrants=people)
        assert booking.booked_by == pi
        assert set(booking.entrants.all()) == set(people)

    def test_an_entrant_without_gowning_is_refused_with_their_name_and_the_day(self, book, booker, add_member, group):
        novice = add_member(group, username="novice")
        novice.first_name, novice.last_name = "Nora", "Novice"
        novice.save()
        with pytest.raises(BookingError, match=r"Nora Novice holds no valid gowning qualification for Grade B .* on "):
            book(entrants=[booker, novice])
        assert not Booking.objects.exists()

    def test_gowning_must_hold_on_every_day_for_each_entrant(self, book, booker, team, booking_day):
        [colleague] = team(1)
        colleague.qualifications.filter(kind="gowning").update(valid_until=booking_day - datetime.timedelta(days=1))
        with pytest.raises(BookingError, match=rf"{colleague.username} holds no valid gowning"):
            book(entrants=[booker, colleague])

    def test_each_entrant_needs_training_on_the_equipment_booked_with_the_room(self, book, booker, team, equipment):
        [colleague] = team(1)
        colleague.qualifications.filter(kind="training").delete()
        with pytest.raises(BookingError, match=rf"{colleague.username} needs valid training on Biosafety cabinet"):
            book(entrants=[booker, colleague], equipment=[equipment])

    def test_an_entrant_outside_the_group_is_refused(self, book, outsider, qualify):
        qualify(outsider, grade="B")
        with pytest.raises(BookingError, match="outsider is neither a member of Stem Cell Lab nor facility staff"):
            book(entrants=[outsider])

    def test_facility_staff_may_enter(self, book, booker, facility_user, qualify):
        qualify(facility_user, grade="B")
        [booking] = book(entrants=[booker, facility_user])
        assert booking.entrants.count() == 2

    def test_an_entrant_named_twice_counts_once(self, book, booker, team):
        [booking] = book(entrants=[booker, booker, *team(2)])
        assert booking.entrants.count() == 3

    def test_equipment_booked_with_the_room_names_the_same_entrants(self, book, booker, team, equipment):
        people = [booker, *team(1)]
        bookings = book(entrants=people, equipment=[equipment])
        assert [set(b.entrants.all()) for b in bookings] == [set(people), set(people)]

    def test_entrants_see_the_booking(self, book, pi, team, make_user):
        [entrant] = team(1)
        [booking] = book(user=pi, entrants=[entrant])
        assert can_view_booking(entrant, booking)
        assert list(Booking.objects.booked_or_entered_by(entrant)) == [booking]
        assert list(Booking.objects.involving(entrant)) == [booking]
        assert not Booking.objects.booked_or_entered_by(make_user()).exists()


@pytest.fixture
def incubator(room):
    return Resource.objects.create(
        facility=room.facility,
        kind=ResourceKind.EQUIPMENT,
        name="CO2 incubator",
        slug="incubator",
        equipment_type="CO2 incubator",
        room=room,
        round_the_clock=True,
        max_days=14,
    )


class TestRule8RoundTheClock:
    def test_a_ten_day_incubator_booking_over_a_weekend_is_accepted(
        self, booker, incubator, admitted_project, booking_day, at
    ):
        period = DateTimeTZRange(at(booking_day, "16:00"), at(booking_day + datetime.timedelta(days=10), "10:00"))
        [booking] = services.create_booking(
            by=booker, resource=incubator, project=admitted_project, period=period, purpose="Expansion"
        )
        assert booking.period.upper - booking.period.lower > datetime.timedelta(days=9)

    def test_a_twenty_day_incubator_booking_is_refused(self, booker, incubator, admitted_project, booking_day, at):
        period = DateTimeTZRange(at(booking_day, "16:00"), at(booking_day + datetime.timedelta(days=20), "10:00"))
        with pytest.raises(BookingError, match="Bookings of CO2 incubator last at most 14 days"):
            services.create_booking(
                by=booker, resource=incubator, project=admitted_project, period=period, purpose="Expansion"
            )

    def test_a_room_still_keeps_to_opening_hours_and_its_longest_booking(self, book, booking_day):
        with pytest.raises(BookingError, match="opening hours"):
            book("09:00", "10:00", day=booking_day + datetime.timedelta(days=5))
        with pytest.raises(BookingError, match="opening hours"):
            book("18:00", "21:00")


class TestRule9QualifiedRooms:
    def test_a_room_booking_ending_after_the_room_s_requalification_date_is_refused(self, book, room, booking_day):
        room.requalification_due = booking_day - datetime.timedelta(days=1)
        room.save()
        with pytest.raises(BookingError, match=r"Grade B suite is due for requalification on .*; book it before"):
            book()
        room.requalification_due = booking_day
        room.save()
        assert book()

    def test_equipment_in_a_room_due_for_requalification_is_refused_too(self, book, room, equipment, booking_day):
        room.requalification_due = booking_day - datetime.timedelta(days=1)
        room.save()
        with pytest.raises(BookingError, match="Grade B suite is due for requalification"):
            book(resource=Resource.objects.select_related("room").get(pk=equipment.pk))

    @pytest.mark.parametrize("status", [QualificationState.IN_QUALIFICATION, QualificationState.QUARANTINED])
    def test_a_room_not_qualified_is_refused(self, book, room, status):
        room.qualification_status = status
        room.save()
        with pytest.raises(BookingError, match="Grade B suite cannot be booked: its status is"):
            book()

    def test_calibration_has_its_own_date(self, book, equipment, booking_day):
        equipment.calibration_due = booking_day - datetime.timedelta(days=1)
        equipment.save()
        with pytest.raises(BookingError, match=r"Biosafety cabinet is due for calibration on "):
            book(resource=equipment)
        assert not equipment.requalification_overdue

    def test_the_status_shown_follows_the_date(self, room):
        room.requalification_due = timezone.localdate() - datetime.timedelta(days=1)
        assert room.qualification_status_label == "Requalification due"
        room.requalification_due = timezone.localdate()
        assert room.qualification_status_label == "Qualified (IQ/OQ/PQ complete)"
        room.qualification_status = QualificationState.QUARANTINED
        assert room.qualification_status_label == "Quarantined"

    def test_the_facility_sets_the_interval_per_grade(self, room, facility_user):
        today = timezone.localdate()
        services.requalify(room, by=facility_user, qualified_on=datetime.date(2026, 8, 31))
        assert room.requalification_due == datetime.date(2027, 2, 28)  # grade B: 6 months
        room.grade = "D"
        services.requalify(room, by=facility_user, qualified_on=datetime.date(2026, 8, 31))
        assert room.requalification_due == datetime.date(2027, 8, 31)  # grade D: 12 months
        room.grade = "B"
        room.requalification_due = today + datetime.timedelta(days=200)
        with pytest.raises(BookingError, match="Grade B is requalified at least every 6 months"):
            services.check_requalification_interval(room)
        room.facility.requalification_months_ab = 3
        room.requalification_due = today + datetime.timedelta(days=120)
        with pytest.raises(BookingError, match="at least every 3 months"):
            services.check_requalification_interval(room)

    def test_only_facility_staff_requalify(self, room, member):
        with pytest.raises(PermissionDenied):
            services.requalify(room, by=member, qualified_on=timezone.localdate())


class TestRule8ClosedDays:
    @pytest.fixture
    def christmas(self, room):
        """The next Christmas Day on a weekday, at least three weeks ahead (a series starts two weeks before)."""
        room.booking_horizon_days = 3000
        room.save()
        year = timezone.localdate().year
        while True:
            day = datetime.date(year, 12, 25)
            if day.weekday() < 5 and day > timezone.localdate() + datetime.timedelta(days=21):
                return day
            year += 1

    def test_a_booking_on_christmas_day_is_refused(self, book, christmas):
        with pytest.raises(BookingError, match=r"Test pre-GMP facility is closed on .* \(Christmas Day\)"):
            book(day=christmas)

    def test_a_series_over_christmas_lists_that_date(self, book, christmas):
        week = datetime.timedelta(days=7)
        with pytest.raises(BookingError) as refusal:
            book(day=christmas - 2 * week, recurrence=Recurrence(frozenset({christmas.weekday()}), christmas))
        assert "1 of 3 dates cannot be booked" in refusal.value.message
        assert f"{christmas.day} Dec {christmas.year}: " in refusal.value.message
        assert "Christmas Day" in refusal.value.message
        assert not Booking.objects.exists()

    def test_round_the_clock_resources_run_through_holidays(self, booker, incubator, admitted_project, christmas, at):
        incubator.booking_horizon_days = 3000
        incubator.save()
        period = DateTimeTZRange(at(christmas - datetime.timedelta(days=2), "10:00"), at(christmas, "10:00"))
        assert services.create_booking(
            by=booker, resource=incubator, project=admitted_project, period=period, purpose="Expansion"
        )

    def test_the_facility_may_open_on_a_holiday_at_other_hours(self, book, room, christmas):
        from facilities.models import OpeningException

        OpeningException.objects.create(
            facility=room.facility,
            first_day=christmas,
            last_day=christmas,
            closed=False,
            opens_at=datetime.time(8),
            closes_at=datetime.time(12),
            note="Campaign",
        )
        with pytest.raises(BookingError, match="is open from 08:00 to 12:00 \\(Campaign\\); book inside those hours"):
            book("09:00", "13:00", day=christmas)
        assert book("08:00", "12:00", day=christmas)

    def test_the_facility_s_own_closed_days_refuse(self, book, room, booking_day):
        from facilities.models import OpeningException

        OpeningException.objects.create(
            facility=room.facility,
            first_day=booking_day - datetime.timedelta(days=3),
            last_day=booking_day + datetime.timedelta(days=3),
            note="Summer shutdown",
        )
        with pytest.raises(BookingError, match=r"is closed on .* \(Summer shutdown\); choose another day"):
            book()


class TestStaffBookOnBehalf:
    def test_facility_staff_book_for_any_admitted_project_naming_its_entrants(
        self, book, facility_user, booker, admitted_project
    ):
        [booking] = book(user=facility_user, entrants=[booker])
        assert (booking.booked_by, booking.project) == (facility_user, admitted_project)
        assert list(booking.entrants.all()) == [booker]

    def test_staff_may_not_book_a_project_that_is_not_admitted(self, book, facility_user, booker, group, make_project):
        draft = make_project(group, status=ProjectStatus.DRAFT)
        with pytest.raises(BookingError, match="only accepted or active projects may book"):
            book(user=facility_user, project=draft, entrants=[booker])

    def test_staff_find_any_admitted_project_and_then_book_for_it(
        self, client, facility_user, admitted_project, make_group, make_project
    ):
        other = make_project(make_group("other-lab"), status=ProjectStatus.ACTIVE, acronym="OTHER", title="Islets")
        draft = make_project(make_group("third-lab"), status=ProjectStatus.DRAFT, acronym="DRAFT", title="Islets")
        client.force_login(facility_user)
        page = client.get("/bookings/new/", {"q": "islets"}).text
        assert other.code in page and draft.code not in page and admitted_project.code not in page
        assert f"/bookings/new/?project={other.pk}" in page
        page = client.get("/bookings/new/", {"project": other.pk}).text
        assert f'<option value="{other.pk}" selected>' in page and admitted_project.code not in page
