"""Helpers shared by several test modules (fixtures live in conftest.py)."""

import contextlib
import csv
import datetime
import email
import io
import os
import subprocess
import sys
import threading
import types

import icalendar
import pandas
from django.conf import settings
from django.db import connection
from django.template import base as template_base
from django.urls import URLPattern, URLResolver, reverse
from django.utils import timezone

from facilities.models import Booking, BookingStatus

PASSWORD = "a-long-test-password-2026"

# Variables a test run may set that a real deployment does not (the browser tests allow sync ORM calls).
TEST_ONLY_VARIABLES = ("DEBUG", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE")


def run_django(env_overrides, code="import django; django.setup(); print('started')"):
    """Start Django in a fresh process with the given environment, as a deployment would."""
    env = {k: v for k, v in os.environ.items() if k not in TEST_ONLY_VARIABLES}
    env.update({"DJANGO_SETTINGS_MODULE": "atmp_portal.settings", **env_overrides})
    return subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR, capture_output=True, text=True, timeout=60
    )


def walk_urlpatterns(patterns, prefix="", namespace=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            child_namespace = entry.namespace or namespace
            yield from walk_urlpatterns(entry.url_patterns, prefix + str(entry.pattern), child_namespace)
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), prefix + str(entry.pattern)


def bulk_bookings(
    count,
    *,
    resource,
    project,
    user,
    first,
    status=BookingStatus.APPROVED,
    step=datetime.timedelta(minutes=20),
    length=datetime.timedelta(minutes=15),
    entrants=(),
    series=None,
):
    """``count`` bookings ``step`` apart from ``first``, in one INSERT; ``status`` may be a function of n.

    Each names ``user`` and ``entrants`` as its entrants; ``series``: one series for them all.
    """
    bookings = Booking.objects.bulk_create(
        Booking(
            resource=resource,
            project=project,
            booked_by=user,
            period=(first + step * n, first + step * n + length),
            purpose=f"Run {n}",
            status=status(n) if callable(status) else status,
            series=series,
        )
        for n in range(count)
    )
    Booking.entrants.through.objects.bulk_create(
        Booking.entrants.through(booking_id=booking.pk, user_id=person.pk)
        for booking in bookings
        for person in {user, *entrants}
    )
    return bookings


def all_at_once(count, action):
    """Call ``action()`` from ``count`` threads released together, each on its own database connection.

    Returns what the calls returned and what they raised, each in the order they finished.
    """
    barrier = threading.Barrier(count)
    returned, raised = [], []

    def run():
        try:
            barrier.wait()
            returned.append(action())
        except Exception as error:  # the caller's assertions judge every outcome
            raised.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return returned, raised


def calendar_parts(message) -> list[tuple[str, icalendar.Calendar]]:
    """The ``text/calendar`` parts of a sent e-mail as a mail program reads them: the part's method and its calendar."""
    parsed = email.message_from_bytes(message.message().as_bytes())
    return [
        (part.get_param("method"), icalendar.Calendar.from_ical(part.get_payload(decode=True)))
        for part in parsed.walk()
        if part.get_content_type() == "text/calendar"
    ]


def html_part(message) -> str:
    """The HTML alternative of a sent e-mail."""
    [(html, _mimetype)] = message.alternatives
    return html


def csv_rows(response) -> list[list[str]]:
    """The rows of a CSV download, which opens with a BOM so that Excel reads it as UTF-8."""
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def csv_frame(response, **options) -> pandas.DataFrame:
    """A CSV download as pandas reads it: without options, it must find the header and the columns."""
    return pandas.read_csv(io.BytesIO(response.content), **options)


def demo_confirmation_pages():
    """(who, path) of each confirmation page before an action that cannot be undone, in the demo data."""
    from facilities.demo import SERIES
    from projects.models import AtmpProject, GroupApplication, Membership

    ahead = Booking.objects.filter(period__startswith__gt=timezone.now(), parent__isnull=True).order_by("period")
    approved = ahead.filter(booked_by__username="researcher", status=BookingStatus.APPROVED).first()
    requested = ahead.filter(status=BookingStatus.REQUESTED, series__isnull=True).first()
    member = Membership.objects.select_related("group").get(user__username="researcher", group__slug="stem-cell-lab")
    project = AtmpProject.objects.get(acronym="HSC-LV")
    application = GroupApplication.objects.pending().first()
    return [
        ("researcher", reverse("facilities:booking_cancel", args=[approved.pk])),
        ("facility", reverse("facilities:booking_reject", args=[requested.pk])),
        ("facility", reverse("facilities:series_reject", args=[SERIES])),
        ("facility", reverse("facilities:series_cancel", args=[SERIES])),
        ("pi", reverse("projects:member_remove", args=[member.group.slug, member.pk])),
        ("pi", reverse("projects:project_withdraw", args=[project.code])),
        ("reviewer", reverse("projects:application_decline", args=[application.pk])),
    ]


@contextlib.contextmanager
def counted_nodes(monkeypatch):
    """Counts the template nodes rendered inside the block: ``with counted_nodes(monkeypatch) as nodes: ...``,
    then ``nodes.count``."""
    nodes = types.SimpleNamespace(count=0)
    render = template_base.Node.render_annotated

    def counted(node, context):
        nodes.count += 1
        return render(node, context)

    with monkeypatch.context() as patched:
        patched.setattr(template_base.Node, "render_annotated", counted)
        yield nodes


def rendered_nodes(client, path, monkeypatch, status=200) -> int:
    """How many template nodes rendering ``path`` takes, once what the portal caches (the navigation) is cached."""
    client.get(path)
    with counted_nodes(monkeypatch) as nodes:
        assert client.get(path).status_code == status
    return nodes.count
