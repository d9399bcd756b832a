"""iCalendar feeds, e-mail notifications, reminders and the free-time search."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from facilities import services
from facilities.models import CalendarFeed, NotificationPreferences, Qualification

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(booker, room, admitted_project, at):
    def book(day, start="09:00", end="11:00"):
        [booking] = services.create_booking(
            by=booker,
            resource=room,
            project=admitted_project,
            period=DateTimeTZRange(at(day, start), at(day, end)),
            purpose="Run",
        )
        return booking

    return book


def feed_of(client, user):
    client.force_login(user)
    client.get(reverse("facilities:booking_list"))
    client.logout()
    return CalendarFeed.objects.get(user=user)


def test_the_feed_parses_with_one_event_per_booking_at_the_local_start(
    client, book, booker, booking_day, facility_user
):
    first, second = book(booking_day), book(booking_day + datetime.timedelta(days=1), "13:00", "14:00")
    services.cancel_booking(second, booker, "Plans changed")
    feed = feed_of(client, booker)
    response = client.get(feed.get_absolute_url())  # no login: calendar programs send the token
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = {event["UID"]: event for event in calendar.walk("VEVENT")}
    assert set(events) == {f"booking-{first.pk}@localhost", f"booking-{second.pk}@localhost"}
    start = events[f"booking-{first.pk}@localhost"].decoded("DTSTART")
    assert (start.date(), start.strftime("%H:%M"), str(start.tzinfo)) == (booking_day, "09:00", "Europe/Stockholm")
    assert events[f"booking-{second.pk}@localhost"]["STATUS"] == "CANCELLED"
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/Stockholm"


def test_a_foreign_or_revoked_token_gives_404(client, booker):
    feed = feed_of(client, booker)
    old = feed.get_absolute_url()
    assert client.get(reverse("facilities:calendar_feed", args=["not-a-token"])).status_code == 404
    client.force_login(booker)
    client.post(reverse("facilities:calendar_regenerate"))
    client.logout()
    assert client.get(old).status_code == 404
    assert client.get(CalendarFeed.objects.get(user=booker).get_absolute_url()).status_code == 200


def test_resource_feeds_are_for_facility_staff_tokens_only(client, booker, facility_user, room):
    assert (
        client.get(reverse("facilities:resource_feed", args=[feed_of(client, booker).token, room.slug])).status_code
        == 404
    )
    staff_feed = feed_of(client, facility_user)
    assert client.get(reverse("facilities:resource_feed", args=[staff_feed.token, room.slug])).status_code == 200


def test_decisions_mail_the_booker_and_lead_with_the_booking_attached(
    book, booker, booking_day, pi, django_capture_on_commit_callbacks
):
    booking = book(booking_day)
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_booking(booking, booker, "Plans changed")
    [message] = mail.outbox
    assert set(message.to) == {booker.email, pi.email}
    assert "Plans changed" in message.body
    assert message.alternatives[0][1] == "text/html"
    assert message.attachments[0][0] == f"booking-{booking.pk}.ics"


def test_a_failing_mail_server_does_not_fail_the_booking(
    client,
    settings,
    booker,
    room,
    admitted_project,
    booking_day,
    facility_user,
    caplog,
    django_capture_on_commit_callbacks,
):
    settings.EMAIL_BACKEND = "tests.test_calendar_feeds.BrokenMailBackend"
    room.requires_approval = True
    room.save()
    from facilities.models import Booking

    client.force_login(booker)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = client.post(
            reverse("facilities:booking_new"),
            {
                "resource": room.slug,
                "project": admitted_project.pk,
                "start": f"{booking_day}T09:00",
                "end": f"{booking_day}T10:00",
                "entrants": [booker.pk],
                "purpose": "Run",
            },
        )
    assert len(callbacks) == 1  # the request e-mail to facility staff was attempted
    assert response.status_code == 302
    assert Booking.objects.count() == 1
    assert "the mail server is down" in caplog.text


class BrokenMailBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server is down")


def test_reminders_run_twice_send_once(book, room, django_capture_on_commit_callbacks):
    room.facility.open_weekdays = list(range(7))
    room.facility.save()
    book(timezone.localdate() + datetime.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", stdout=None)
        call_command("send_reminders", stdout=None)
    assert [m.subject.startswith("Reminder") for m in mail.outbox] == [True]


def test_expiry_warnings_are_sent_once_per_qualification(booker, qualify, django_capture_on_commit_callbacks):
    qualify(booker, grade="C", valid_until=timezone.localdate() + datetime.timedelta(days=10))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", stdout=None)
        call_command("send_reminders", stdout=None)
    assert len(mail.outbox) == 1
    assert Qualification.objects.filter(expiry_warning_sent_at__isnull=False).count() == 1


def test_free_time_lists_only_slots_that_pass_every_rule(
    client, book, booker, room, admitted_project, booking_day, django_assert_max_num_queries
):
    book(booking_day, "09:00", "11:00")
    client.force_login(booker)
    query = {
        "resources": room.slug,
        "project": admitted_project.pk,
        "duration": 120,
        "first_day": booking_day,
        "last_day": booking_day,
    }
    with django_assert_max_num_queries(15):
        response = client.get(reverse("facilities:free_time"), query)

    def offered(hour):
        return f"start={booking_day}T{hour}&amp;end=" in response.text

    # Back to back with the same project's booking is allowed; overlapping it, or past closing, is not.
    assert offered("07:00") and offered("11:00") and offered("17:00")
    assert not offered("08:00") and not offered("10:30") and not offered("17:30")


def test_a_request_mails_the_facility_staff_who_want_it(
    book, room, facility_user, make_user, booking_day, django_capture_on_commit_callbacks
):
    from atmp_portal.roles import FACILITY_STAFF
    from facilities.models import NotificationPreferences

    quiet = make_user("quiet-staff", role_group=FACILITY_STAFF)
    NotificationPreferences.objects.create(user=quiet, new_requests=False)
    room.requires_approval = True
    room.save()
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(booking_day)
    [message] = mail.outbox
    assert message.to == [facility_user.email]
    assert message.subject.startswith("Booking request")
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_booking(booking, facility_user)
    assert mail.outbox[1].subject.startswith("Booking approved")
    assert b"STATUS:CONFIRMED" in mail.outbox[1].attachments[0][1].encode()


def test_users_turn_off_reminders_on_the_settings_page_but_not_decisions(
    client, book, booker, room, django_capture_on_commit_callbacks
):
    client.force_login(booker)
    page = reverse("facilities:calendar_settings")
    assert "Decisions on your bookings and cancellations are always sent" in client.get(page).text
    response = client.post(page, {"qualification_expiry": "on", "new_requests": "on"})
    assert response.status_code == 302
    room.facility.open_weekdays = list(range(7))
    room.facility.save()
    book(timezone.localdate() + datetime.timedelta(days=1))
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", stdout=None)
    assert mail.outbox == []


def test_the_settings_page_offers_request_notices_only_to_those_who_decide(client, booker, facility_user):
    page = reverse("facilities:calendar_settings")
    client.force_login(booker)
    response = client.get(page)
    assert 'name="booking_reminders"' in response.text
    assert 'name="new_requests"' not in response.text
    assert "new booking requests" not in response.text
    client.force_login(facility_user)
    assert 'name="new_requests"' in client.get(page).text
    client.post(page, {"booking_reminders": "on"})
    assert NotificationPreferences.objects.get(user=facility_user).new_requests is False


def test_a_researcher_posting_request_notices_changes_nothing_about_them(client, booker):
    client.force_login(booker)
    client.post(reverse("facilities:calendar_settings"), {"new_requests": ""})
    assert NotificationPreferences.objects.get(user=booker).new_requests is True  # the default, untouched


def test_regenerating_the_token_is_a_post(client, booker):
    client.force_login(booker)
    assert client.get(reverse("facilities:calendar_regenerate")).status_code == 405


def test_free_time_refuses_more_than_31_days_and_keeps_its_queries_bounded(
    client, book, booker, room, admitted_project, booking_day, django_assert_max_num_queries
):
    client.force_login(booker)
    query = {"resources": room.slug, "project": admitted_project.pk, "duration": 60, "first_day": booking_day}
    response = client.get(
        reverse("facilities:free_time"), {**query, "last_day": booking_day + datetime.timedelta(days=40)}
    )
    assert "Search at most 31 days at a time" in response.text
    week = {**query, "last_day": booking_day + datetime.timedelta(days=6)}
    with django_assert_max_num_queries(15) as few:
        client.get(reverse("facilities:free_time"), week)
    for day in range(5):
        book(booking_day + datetime.timedelta(days=day), "09:00", "10:00")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("facilities:free_time"), week)
    assert f"start={booking_day}T10:00&amp;end=" in response.text
    assert f"start={booking_day}T09:00&amp;end=" not in response.text


def test_the_free_time_link_of_a_resource_page_preselects_it_without_errors(client, booker, room):
    client.force_login(booker)
    response = client.get(reverse("facilities:free_time"), {"resources": room.slug})
    assert f'<option value="{room.slug}" selected>' in response.text
    assert "This field is required" not in response.text


def test_a_closure_that_cancels_a_booking_tells_the_booker_why(
    book, booker, room, facility_user, booking_day, at, django_capture_on_commit_callbacks
):
    from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

    from facilities.models import Closure, ClosureReason

    book(booking_day)
    closure = Closure(
        facility=room.facility,
        resource=room,
        reason=ClosureReason.MAINTENANCE,
        period=DateTimeTZRange(at(booking_day, "08:00"), at(booking_day, "12:00")),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.create_closure(closure, facility_user, cancel_affected=True)
    [message] = mail.outbox
    assert booker.email in message.to
    assert "Closed for maintenance" in message.body
    assert b"STATUS:CANCELLED" in message.attachments[0][1].encode()


def test_entrants_get_the_decisions_and_the_reminder(
    booker, team, room, admitted_project, pi, at, django_capture_on_commit_callbacks
):
    room.facility.open_weekdays = list(range(7))
    room.facility.save()
    [entrant] = team(1)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    [booking] = services.create_booking(
        by=pi,
        resource=room,
        project=admitted_project,
        period=DateTimeTZRange(at(tomorrow, "09:00"), at(tomorrow, "11:00")),
        purpose="Run",
        entrants=[booker, entrant],
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_reminders", stdout=None)
    [reminder] = mail.outbox
    assert set(reminder.to) == {pi.email, booker.email, entrant.email}
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_booking(booking, pi, "Plans changed")
    assert set(mail.outbox[1].to) == {pi.email, booker.email, entrant.email}
