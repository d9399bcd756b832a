"""Keeps working when parts fail: a mail server that never answers, a database that is away, bad input."""

import contextlib
import datetime
import socket
import threading
import time

import pytest
from aiosmtpd.controller import Controller
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from facilities.models import Booking
from facilities.notifications import write_booking_email


class BlackHoleSmtpServer:
    """Accepts connections and never says a word, like a mail server that hangs."""

    def __init__(self):
        self.socket = socket.create_server(("127.0.0.1", 0))
        self.port = self.socket.getsockname()[1]
        self.held = []
        threading.Thread(target=self._hold, daemon=True).start()

    def _hold(self):
        try:
            while True:
                self.held.append(self.socket.accept()[0])
        except OSError:  # closed
            pass

    def close(self):
        for held in self.held:
            held.close()
        self.socket.shutdown(socket.SHUT_RDWR)  # wakes the accept(), which would keep the port bound
        self.socket.close()


class SmtpSink:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content.decode())
        return "250 OK"


def queue_worker(*, batch: bool) -> Worker:
    """The queue's worker as `manage.py mail_worker` runs it; ``batch``: until the queue is empty."""
    return Worker(
        queue_names=["default"],
        interval=0 if batch else 0.1,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="test-worker",
        excluded_queue_names=[],
    )


def worker_thread():
    """The queue's worker in a thread with its own database connection."""
    worker = queue_worker(batch=False)

    def run():
        try:
            worker.run()
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return worker, thread


def booking_form(room, project, day):
    return {
        "resource": room.slug,
        "project": project.pk,
        "start": f"{day}T09:00",
        "end": f"{day}T10:00",
        "purpose": "Run",
    }


def wait_for(condition, seconds=20):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.1)


@pytest.mark.django_db(transaction=True)
def test_a_mail_server_that_never_answers_holds_up_neither_bookings_nor_the_health_check(
    client, settings, booker, room, admitted_project, booking_day, facility_user
):
    black_hole = BlackHoleSmtpServer()
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", black_hole.port, 1
    settings.EMAIL_RETRY_DELAY = 0
    room.requires_approval = True  # the request e-mails the facility staff
    room.save()
    client.force_login(booker)

    started = time.monotonic()
    response = client.post(reverse("facilities:booking_new"), booking_form(room, admitted_project, booking_day))
    assert response.status_code == 302
    assert time.monotonic() - started < 1
    [written] = DBTaskResult.objects.all()  # the worker writes the e-mail, then queues its delivery
    assert written.task_path == "facilities.notifications.write_booking_email"
    assert Booking.objects.count() == 1
    delivery = DBTaskResult.objects.filter(task_path="atmp_portal.mail.deliver_email")

    worker, thread = worker_thread()
    try:
        wait_for(lambda: delivery.filter(status=TaskResultStatus.RUNNING).exists())
        health = Client().get("/healthz")  # while the worker waits on the mail server
        assert health.status_code == 200
        # The attempt times out and waits in the queue for the next one.
        wait_for(lambda: len(delivery.get().worker_ids) >= 1 and delivery.get().traceback)
        black_hole.close()
        sink = SmtpSink()
        server = Controller(sink, hostname="127.0.0.1", port=black_hole.port)
        server.start()
        try:
            wait_for(lambda: sink.messages)
        finally:
            server.stop()
    finally:
        worker.running = False
        thread.join(timeout=10)
    assert "Subject: Booking request" in sink.messages[0]
    assert "booking-" in sink.messages[0] and "text/calendar" in sink.messages[0]
    queued = delivery.get()
    assert queued.status == TaskResultStatus.SUCCESSFUL
    assert len(queued.worker_ids) >= 2


@pytest.mark.django_db
def test_an_email_is_queued_only_with_the_change_it_is_about(
    client, settings, booker, room, admitted_project, booking_day, facility_user
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    room.requires_approval = True
    room.save()
    client.force_login(booker)
    for _ in range(2):  # the second request for the same slot is refused: nothing is queued for it
        client.post(reverse("facilities:booking_new"), booking_form(room, admitted_project, booking_day))
    [booking] = Booking.objects.all()
    [queued] = DBTaskResult.objects.all()
    assert queued.args_kwargs["args"] == ["requested", booking.pk, []]
    write_booking_email.call(*queued.args_kwargs["args"])  # as the worker does: writes the e-mail and queues it
    [delivery] = DBTaskResult.objects.filter(task_path="atmp_portal.mail.deliver_email")
    assert delivery.args_kwargs["args"][0]["subject"] == f"Booking request: {booking}"
    assert delivery.args_kwargs["args"][0]["to"] == [facility_user.email]


@pytest.mark.django_db(transaction=True)
def test_a_failed_email_is_tried_again_later_and_then_left_failed_for_the_administrators(settings, mailoutbox):
    from django.core.mail import EmailMessage

    from atmp_portal import mail

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.EMAIL_BACKEND = "tests.test_calendar_feeds.BrokenMailBackend"
    settings.EMAIL_MAX_ATTEMPTS = 3
    settings.EMAIL_RETRY_DELAY = 0
    mail.enqueue(EmailMessage("Hello", "Body", None, ["someone@example.org"]))
    queue_worker(batch=True).run()
    queued = DBTaskResult.objects.get()
    assert queued.status == TaskResultStatus.FAILED
    assert len(queued.worker_ids) == 3
    assert "the mail server is down" in queued.traceback


def test_retries_wait_longer_each_time_up_to_an_hour(settings):
    from atmp_portal.mail import retry_delay

    settings.EMAIL_RETRY_DELAY = 30
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 10)] == [30, 60, 120, 3600]


@pytest.fixture
def database_away(monkeypatch):
    """Every new connection fails, as when the server is stopped; the test's own connection is closed."""

    def away():
        monkeypatch.setitem(connection.settings_dict, "NAME", "no_such_database_while_away")
        connection.close()

    yield away
    monkeypatch.undo()
    connection.close()


@pytest.mark.django_db(transaction=True)
def test_health_check_is_503_with_a_session_cookie_while_the_database_is_away(member, database_away):
    client = Client(raise_request_exception=False)
    client.force_login(member)
    database_away()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"


@pytest.mark.django_db(transaction=True)
def test_pages_are_503_with_retry_after_while_the_database_is_away_and_recover_by_themselves(
    member, database_away, monkeypatch
):
    client = Client(raise_request_exception=False)
    client.force_login(member)
    database_away()
    response = client.get("/", headers={"accept-language": "sv"})
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Tillfälligt otillgänglig" in response.text
    assert "Traceback" not in response.text
    monkeypatch.undo()  # the database is back
    assert client.get("/").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/projects/%00/", "/groups/?q=a%00b", "/facilities/?%00=1"])
def test_a_nul_byte_in_the_path_or_query_is_a_bad_request(client, member, path):
    client.force_login(member)
    response = client.get(path)
    assert response.status_code == 400
    assert "NUL character" in response.text


@pytest.mark.django_db
def test_a_nul_byte_in_a_form_is_a_bad_request(client, member):
    client.force_login(member)
    response = client.post(reverse("projects:project_create"), {"name": "Lab\x00"})
    assert response.status_code == 400


@pytest.mark.django_db
def test_requests_too_large_or_with_too_many_fields_are_refused_before_parsing(client, member):
    client.force_login(member)
    url = reverse("projects:project_create")
    assert client.post(url, {"description": "x" * 3_000_000}).status_code == 400
    assert client.post(url, {f"field{n}": "1" for n in range(1001)}).status_code == 400


def test_requests_stuck_for_ever_do_not_stall_a_gunicorn_worker_for_ever():
    import os
    import subprocess
    import sys
    import urllib.request
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
        "GUNICORN_TIMEOUT": "2",
        "GUNICORN_GRACEFUL_TIMEOUT": "1",
        "MAIL_WORKER": "0",
    }
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [gunicorn, "--config", "gunicorn.conf.py", "tests.stuck_app:app"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def pid_of_worker():
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=0.5).read().decode()
        except OSError:
            return None

    def stuck_request():
        with contextlib.suppress(OSError):
            urllib.request.urlopen(f"http://127.0.0.1:{port}/stuck", timeout=30)

    try:
        wait_for(pid_of_worker)
        first = pid_of_worker()
        for _ in range(2):  # both threads of the only worker are stuck
            threading.Thread(target=stuck_request, daemon=True).start()
        time.sleep(0.5)
        assert pid_of_worker() is None
        wait_for(lambda: pid_of_worker() not in (None, first), seconds=15)
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["date=9999-12-31", "date=1066-10-14"])
def test_calendar_dates_outside_the_years_of_the_portal_are_a_bad_request(client, member, room, query):
    client.force_login(member)
    response = client.get(f"/facilities/{room.facility.slug}/?{query}")
    assert response.status_code == 400
    assert "Give a date in the years 2000 to 2100." in response.text


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/resources/{slug}/?week=9999-W01", "/resources/{slug}/month/?month=9999-12"])
def test_weeks_and_months_outside_the_years_of_the_portal_are_a_bad_request(client, member, room, url):
    client.force_login(member)
    response = client.get(url.format(slug=room.slug))
    assert response.status_code == 400
    assert "2000 to 2100" in response.text


def series_form(room, project, day, until, weekdays=(0,)):
    return {**booking_form(room, project, day), "repeat_weekdays": list(weekdays), "repeat_until": until}


@pytest.mark.django_db
@pytest.mark.parametrize("until", ["9999-12-31", "2500-12-31"])
def test_a_series_repeated_until_a_far_year_is_refused_at_once(
    client, booker, room, admitted_project, booking_day, until
):
    client.force_login(booker)
    client.get(reverse("facilities:booking_new"))  # the first request of a process loads the URLs and templates
    started = time.monotonic()
    response = client.post(reverse("facilities:booking_new"), series_form(room, admitted_project, booking_day, until))
    assert time.monotonic() - started < 1
    assert response.status_code == 200
    assert "Give a date in the years 2000 to 2100." in response.text
    assert Booking.objects.count() == 0


@pytest.mark.django_db
def test_a_series_ends_within_the_resources_window_and_has_at_most_100_dates(
    client, booker, room, admitted_project, booking_day
):
    client.force_login(booker)
    url = reverse("facilities:booking_new")
    response = client.post(url, series_form(room, admitted_project, booking_day, "2099-12-31"))
    assert "can be booked at most 90 days ahead" in response.text
    room.booking_horizon_days = 400
    room.save()
    until = booking_day + datetime.timedelta(days=300)
    response = client.post(url, series_form(room, admitted_project, booking_day, until, weekdays=range(5)))
    assert "A series has at most 100 dates" in response.text
    assert Booking.objects.count() == 0


def test_project_dates_are_bounded_too():
    from projects.forms import MilestoneForm

    form = MilestoneForm(data={"kind": "ctA", "date": "2500-01-01", "reference": "", "note": ""})
    assert form.errors["date"] == ["Give a date in the years 2000 to 2100."]


@pytest.mark.django_db
def test_administrators_see_failed_emails_and_send_them_again(client, admin_user, settings):
    from django.core.mail import EmailMessage

    from atmp_portal import mail

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    mail.enqueue(EmailMessage("Lost?", "Body", None, ["someone@example.org"]))
    DBTaskResult.objects.update(status=TaskResultStatus.FAILED, worker_ids=["w"] * 10)
    client.force_login(admin_user)
    changelist = reverse("admin:django_tasks_database_dbtaskresult_changelist")
    assert "deliver_email" in client.get(changelist, {"status__exact": "FAILED"}).text
    [failed] = DBTaskResult.objects.all()
    response = client.post(changelist, {"action": "send_again", "_selected_action": [failed.pk]}, follow=True)
    assert "1 task is queued again." in response.text
    failed.refresh_from_db()
    assert failed.status == TaskResultStatus.READY
