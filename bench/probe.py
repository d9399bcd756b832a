"""The benchmark's look inside the portal, run against the benchmark database (``bench/run.py`` calls it).

probe.py facts                  the ids, slugs and bookable slots the load needs, as JSON
probe.py pages SPEC...          per page, in-process: its status, SQL queries and p50 split
                                (SQL, template, Python ms), as JSON
probe.py profiles SPEC...       per page, where its in-process time goes (cProfile), as JSON of texts
probe.py explain                the plans of the heaviest page queries, as text
probe.py count-bookings SLUG    active bookings of a resource, as JSON
probe.py work-waiting           the tasks the worker has yet to run, as JSON
"""

import contextlib
import cProfile
import datetime
import json
import logging
import os
import pstats
import sys
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atmp_portal.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import Resolver404, resolve  # noqa: E402
from django.utils import timezone  # noqa: E402
from split_timer import SplitTimer  # noqa: E402

from facilities import opening, reports  # noqa: E402
from facilities.models import Booking, Resource  # noqa: E402
from facilities.periods import local_datetime, local_days  # noqa: E402
from facilities.views import PER_PAGE  # noqa: E402
from projects.filters import ProjectFilter  # noqa: E402
from projects.models import AtmpProject  # noqa: E402

# The signed-in floor is a page not found: its warning would mix with the JSON this prints.
logging.disable(logging.WARNING)

ROOT = Path(__file__).resolve().parent.parent
BENCH_RESOURCE = "scale-000-room"
BOOKING_PROJECT = "EXP-HSC"
# The race takes its days from the 62nd day ahead; the booking POSTs take the slots of every other day from the
# 2nd to the 88th, within the load room's booking horizon (90 days): as many as there are, for a POST is fast.
POST_DAYS, RACE_FIRST_DAY, RACE_DAYS = (2, 88), 62, 10
# Half hours the load bookings (08-12, 13-17) leave free, where the facility is open.
FREE_STARTS = [datetime.time(h, m) for h in (7, 12, 17, 18) for m in (0, 30)]
WARM_UP, TIMED_REQUESTS = 3, 11


def facts() -> dict:
    def resolves(path: str) -> bool:
        try:
            resolve(path)
        except Resolver404:
            return False
        return True

    project = AtmpProject.objects.get(acronym=BOOKING_PROJECT)
    resource = Resource.objects.select_related("facility").get(slug=BENCH_RESOURCE)
    today = timezone.localdate()
    race_days = open_days(resource, today + datetime.timedelta(days=RACE_FIRST_DAY), 30)[:RACE_DAYS]
    post_days = [
        day
        for day in open_days(resource, today + datetime.timedelta(days=POST_DAYS[0]), POST_DAYS[1] - POST_DAYS[0])
        if day not in race_days
    ]
    return {
        "booking_project": project.pk,
        "project_code": project.code,
        "usage_report": resolves("/reports/usage/"),
        "free_slots": free_slots(resource, post_days),
        # A half hour inside a load booking (08:00-12:00): the booking form refuses it as taken.
        "taken_slot": slot(post_days[0], datetime.time(9)),
        "race_days": [day.isoformat() for day in race_days],
        # Free, and taken by neither the load nor the race: the in-process booking POST (rolled back).
        "unused_slot": slot(race_days[-1], FREE_STARTS[0]),
    }


def open_days(resource: Resource, first: datetime.date, count: int) -> list[datetime.date]:
    """The days from ``first`` on, ``count`` of them, on which ``resource`` may be booked at all (the
    facility's weekdays, public holidays and its own closed days)."""
    days = [first + datetime.timedelta(days=n) for n in range(count)]
    hours = opening.OpeningDays.load(resource.facility, days[0], days[-1])
    return [day for day in days if opening.bookable_hours(resource, day, hours) is not None]


def slot(day: datetime.date, start: datetime.time) -> tuple[str, str]:
    end = (datetime.datetime.combine(day, start) + datetime.timedelta(minutes=30)).time()
    return f"{day}T{start:%H:%M}", f"{day}T{end:%H:%M}"


def free_slots(resource: Resource, days: list[datetime.date]) -> list[tuple[str, str]]:
    """The free half hours of the load bookings on ``days`` that lie within the opening hours."""
    hours = opening.OpeningDays.load(resource.facility, days[0], days[-1])
    slots = []
    for day in days:
        bookable = opening.bookable_hours(resource, day, hours)
        for start in FREE_STARTS:
            begins = local_datetime(day, start)
            if bookable.lower <= begins and begins + datetime.timedelta(minutes=30) <= bookable.upper:
                slots.append(slot(day, start))
    return slots


def page_request(spec: str):
    """``spec`` is ``user:METHOD:path[?query][|form]``: a function that makes that request in-process, signed
    in as the user, within a transaction it rolls back (so that each POST finds the same data); it takes an
    optional context (a query capture) to run the request in."""
    username, method, rest = spec.split(":", 2)
    path, _, form = rest.partition("|")
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    data = dict(urllib.parse.parse_qsl(form))

    def request(captured=None):
        with transaction.atomic(), captured if captured is not None else contextlib.nullcontext():
            response = client.post(path, data) if method == "POST" else client.get(path)
            transaction.set_rollback(True)
        return response

    return request


def pages(specs: list[str]) -> dict:
    """Each page's status and SQL queries (first request), and its in-process p50 split after a warm-up."""
    results = {}
    for spec in specs:
        request = page_request(spec)
        captured = CaptureQueriesContext(connection)
        response = request(captured)
        queries = len(captured)  # now: every request clears the connection's query log
        for _ in range(WARM_UP):
            request()
        with SplitTimer().installed() as timer:
            for _ in range(TIMED_REQUESTS):
                timer.time(request)
        split = timer.median()
        results[spec] = {
            "status": response.status_code,
            "queries": queries,
            "p50_ms": split.total,
            "sql_ms": split.sql,
            "template_ms": split.template,
            "python_ms": split.python,
        }
    return results


def profiles(specs: list[str]) -> dict:
    """Each page's profile (cProfile over TIMED_REQUESTS requests after a warm-up), as text: the portal's
    own functions with the most time per request including what they call, then the functions anywhere
    with the most time of their own."""
    results = {}
    for spec in specs:
        request = page_request(spec)
        for _ in range(WARM_UP):
            request()
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(TIMED_REQUESTS):
            request()
        profiler.disable()
        results[spec] = profile_text(pstats.Stats(profiler).stats)
    return results


def profile_text(stats: dict, own: int = 14, anywhere: int = 8) -> str:
    def where(function: tuple) -> str:
        filename, line, name = function
        for prefix in sorted(sys.path, key=len, reverse=True):  # the shortest name: the module's own path
            if prefix and filename.startswith(prefix + os.sep):
                filename = filename[len(prefix) + 1 :]
                break
        return f"{filename}:{line} {name}"

    def ms(seconds: float) -> str:
        return f"{1000 * seconds / TIMED_REQUESTS:7.2f} ms"

    # The portal's functions, less its middleware's __call__, which wraps the whole request.
    root, bench = str(ROOT) + os.sep, str(ROOT / "bench") + os.sep
    portal = [
        (function, row) for function, row in stats.items()
        if function[0].startswith(root) and not function[0].startswith((bench, str(ROOT / ".venv")))
        and function[2] != "__call__"
    ]  # fmt: skip
    by_cumulative = sorted(portal, key=lambda item: item[1][3], reverse=True)[:own]
    by_own_time = sorted(stats.items(), key=lambda item: item[1][2], reverse=True)[:anywhere]
    return "\n".join(
        [
            "per request, with what it calls (the portal's code):",
            *(f"{ms(row[3])}  {where(function)}" for function, row in by_cumulative),
            "per request, its own time (anywhere):",
            *(f"{ms(row[2])}  {where(function)}" for function, row in by_own_time),
        ]
    )


def work_waiting() -> dict:
    """The tasks the worker has yet to run now (a booking's e-mail is written after its request), as JSON."""
    from django_tasks_db.models import DBTaskResult

    running = DBTaskResult.objects.filter(status="RUNNING")
    return {"tasks": DBTaskResult.objects.ready().count() + running.count()}


def explain() -> str:
    resource = Resource.objects.get(slug=BENCH_RESOURCE)
    facility_user = get_user_model().objects.get(username="facility")
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday())
    week = local_days(monday, monday + datetime.timedelta(days=6))
    day = local_days(today, today)
    month = reports.ReportPeriod.month(today.year, today.month)
    plans = {
        "Resource week (calendar): one resource's bookings in the week (gist index of the exclusion constraint)": (
            Booking.objects.of_resources_overlapping([resource.pk], week)
            .select_related("project__group", "booked_by")
            .order_by("period")
        ),
        "Facility day (calendar): the bookings of the facility's resources that day": (
            Booking.objects.of_resources_overlapping(
                resource.facility.resources.values_list("pk", flat=True),
                day,
            )
            .select_related("project__group", "booked_by")
            .order_by("period")
        ),
        "Usage report: approved hours per group, project and resource in the month": (
            reports._approved_bookings_in(month, facility_user)
            .values_list("project__group_id", "project_id", "resource_id")
            .annotate(seconds=reports._booked_seconds(month))
        ),
        "Dashboard of facility staff: the first of today's bookings, limited before the joins": (
            Booking.objects.active().overlapping(day).first_with_details(20)
        ),
        "Dashboard of facility staff: requests waiting (partial index booking_requested_end)": Booking.objects.pending()
        .upcoming()
        .values("pk"),
        "Resource page: the next bookings of one resource (index booking_resource_live_end)": Booking.objects.active()
        .for_resource(resource)
        .upcoming()
        .select_related("project")[:PER_PAGE],
        "Project search: full-text query over all projects (GIN index)": ProjectFilter(
            {"q": "lymphoma"}, queryset=AtmpProject.objects.visible_to(facility_user).order_by("-updated_at")
        ).qs[:25],
    }
    return "\n\n".join(f"-- {title}\n{queryset.explain(analyze=True)}" for title, queryset in plans.items())


def count_bookings(slug: str) -> dict:
    return {"active": Booking.objects.active().filter(resource__slug=slug).count()}


if __name__ == "__main__":
    command, *arguments = sys.argv[1:]
    if command == "explain":
        print(explain())
    else:
        handlers = {
            "facts": facts, "pages": pages, "profiles": profiles, "count-bookings": count_bookings,
            "work-waiting": work_waiting,
        }  # fmt: skip
        per_spec = command in ("pages", "profiles")
        result = handlers[command](arguments) if per_spec else handlers[command](*arguments)
        print(json.dumps(result))
