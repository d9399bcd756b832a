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
from tests import helpers

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
    first.refresh_from_db()
    second.refresh_from_db()
    assert set(events) == {str(first.uid), str(second.uid)}
    start = events[str(first.uid)].decoded("DTSTART")
    assert (start.date(), start.strftime("%H:%M"), str(start.tzinfo)) == (booking_day, "09:00", "Europe/Stockholm")
    assert events[str(second.uid)]["STATUS"] == "CANCELLED"
    assert (events[str(first.uid)]["SEQUENCE"], events[str(second.uid)]["SEQUENCE"]) == (0, 1)
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
    assert len(callbacks) == 2  # the request e-mail to facility staff was written, then its sending attempted
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


def _mail_to(user):
    [message] = [each for each in mail.outbox if user.email in each.to]
    return message


def test_a_booking_is_invited_then_cancelled_under_one_uid_with_a_higher_sequence(
    book_room, booker, pi, team, django_capture_on_commit_callbacks
):
    booker.first_name, booker.last_name = "Åsa", "Öberg"
    booker.save()
    [entrant] = team(1)
    with django_capture_on_commit_callbacks(execute=True):  # approved at once: its confirmation is the invitation
        booking = book_room("09:00", "11:00", "Run", entrants=[booker, entrant])
    [created] = mail.outbox
    with django_capture_on_commit_callbacks(execute=True):
        services.cancel_booking(booking, booker, "Plans changed")
    cancelled = mail.outbox[1]

    [(created_method, invitation)] = helpers.calendar_parts(created)
    [(cancelled_method, cancellation)] = helpers.calendar_parts(cancelled)
    assert (created_method, invitation["METHOD"]) == ("REQUEST", "REQUEST")
    assert (cancelled_method, cancellation["METHOD"]) == ("CANCEL", "CANCEL")
    [first], [second] = invitation.walk("VEVENT"), cancellation.walk("VEVENT")
    assert first["UID"] == second["UID"] == str(booking.uid)
    assert second["SEQUENCE"] > first["SEQUENCE"]
    assert second["STATUS"] == "CANCELLED"
    for event in (first, second):
        assert event["ORGANIZER"] == "mailto:noreply@atmp.lu.se"
        assert event["ORGANIZER"].params["CN"] == "LU-ATMP portal"
        attendees = {str(attendee): attendee.params for attendee in event["ATTENDEE"]}
        assert set(attendees) == {f"mailto:{booker.email}", f"mailto:{entrant.email}"}
        assert attendees[f"mailto:{booker.email}"]["CN"] == "Åsa Öberg"
        assert attendees[f"mailto:{booker.email}"]["PARTSTAT"] == "ACCEPTED"
    assert created.extra_headers["Auto-Submitted"] == "auto-generated"
    assert set(created.to) == {booker.email, pi.email, entrant.email}


def test_a_series_invites_to_each_date_as_its_own_event(
    booker, room, admitted_project, booking_day, at, django_capture_on_commit_callbacks
):
    from facilities.services import Recurrence

    room.booking_horizon_days = 3000
    room.save()
    with django_capture_on_commit_callbacks(execute=True):
        bookings = services.create_booking(
            by=booker,
            resource=room,
            project=admitted_project,
            period=DateTimeTZRange(at(booking_day, "09:00"), at(booking_day, "11:00")),
            purpose="Run",
            recurrence=Recurrence(frozenset({0}), booking_day + datetime.timedelta(days=14)),
        )
    [message] = mail.outbox
    uids = [calendar.walk("VEVENT")[0]["UID"] for _method, calendar in helpers.calendar_parts(message)]
    assert uids == [str(booking.uid) for booking in bookings]


def test_one_approval_mails_a_swedish_user_in_swedish_and_an_english_user_in_english(
    book, booker, pi, room, facility_user, booking_day, django_capture_on_commit_callbacks
):
    from facilities.models import NotificationPreferences

    NotificationPreferences.objects.create(user=booker, language="sv")
    NotificationPreferences.objects.create(user=pi, language="en")
    room.requires_approval = True
    room.save()
    booking = book(booking_day)
    with django_capture_on_commit_callbacks(execute=True):
        services.approve_booking(booking, facility_user)
    swedish, english = _mail_to(booker), _mail_to(pi)
    assert swedish.to == [booker.email] and english.to == [pi.email]
    assert swedish.subject.startswith("Bokning godkänd") and english.subject.startswith("Booking approved")
    assert "Bokningen har godkänts." in swedish.body and "The booking was approved." in english.body
    assert '<html lang="sv">' in helpers.html_part(swedish) and '<html lang="en">' in helpers.html_part(english)
    [(_method, swedish_calendar)] = helpers.calendar_parts(swedish)
    [(_method, english_calendar)] = helpers.calendar_parts(english)
    assert swedish_calendar.walk("VEVENT")[0]["SUMMARY"].startswith("Bokning av")
    assert english_calendar.walk("VEVENT")[0]["SUMMARY"].startswith("Booking of")
    assert swedish.extra_headers["Auto-Submitted"] == english.extra_headers["Auto-Submitted"] == "auto-generated"


def test_a_feed_is_not_modified_until_a_booking_changes(
    client, book, booker, booking_day, django_assert_max_num_queries
):
    booking = book(booking_day)
    url = feed_of(client, booker).get_absolute_url()
    with django_assert_max_num_queries(5):
        first = client.get(url)
    assert first.status_code == 200 and first["ETag"] and first["Last-Modified"]
    calendar = Calendar.from_ical(first.content)
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert calendar["X-PUBLISHED-TTL"] == "PT1H"
    with django_assert_max_num_queries(4):  # the token's owner, their role, their language, the version
        again = client.get(url, headers={"if-none-match": first["ETag"]})
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", first["ETag"])
    assert client.get(url, headers={"if-modified-since": first["Last-Modified"]}).status_code == 304
    services.cancel_booking(booking, booker, "Plans changed")
    changed = client.get(url, headers={"if-none-match": first["ETag"]})
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]
    assert b"STATUS:CANCELLED" in changed.content


def test_feed_uids_are_the_e_mails_and_outlive_a_new_site_address(
    client, book, booker, booking_day, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(booking_day)
    [(_method, invitation)] = helpers.calendar_parts(mail.outbox[0])
    mailed_uid = invitation.walk("VEVENT")[0]["UID"]
    url = feed_of(client, booker).get_absolute_url()
    feeds = []
    for site in ("https://atmp.lu.se", "https://portal.example.org"):
        settings.SITE_URL = site
        feeds.append(Calendar.from_ical(client.get(url).content))
    assert [[event["UID"] for event in feed.walk("VEVENT")] for feed in feeds] == [[mailed_uid], [mailed_uid]]
    assert mailed_uid == str(booking.uid)
    assert feeds[1].walk("VEVENT")[0]["URL"].startswith("https://portal.example.org/")


def test_a_feed_speaks_its_owners_language(client, book, booker, booking_day):
    from facilities.models import NotificationPreferences

    book(booking_day)
    NotificationPreferences.objects.create(user=booker, language="sv")
    feed = Calendar.from_ical(client.get(feed_of(client, booker).get_absolute_url()).content)
    assert feed["X-WR-CALNAME"] == "LU-ATMP-bokningar"
    assert feed.walk("VEVENT")[0]["SUMMARY"].startswith("Bokning av")
