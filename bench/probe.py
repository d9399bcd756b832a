"""The benchmark's look inside the portal, run against the benchmark database (``bench/run.py`` calls it).

probe.py facts                  the ids and slugs the load needs, as JSON
probe.py queries URL...         SQL queries per page, measured in-process, as JSON
probe.py explain                the plans of the heaviest page queries, as text
probe.py count-bookings SLUG    active bookings of a resource, as JSON
"""

import datetime
import json
import os
import sys
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

from facilities import calendar, reports  # noqa: E402
from facilities.models import Booking, Resource  # noqa: E402
from facilities.views import PER_PAGE  # noqa: E402
from projects.filters import ProjectFilter  # noqa: E402
from projects.models import AtmpProject  # noqa: E402

BENCH_RESOURCE = "scale-000-room"


def facts() -> dict:
    def resolves(path: str) -> bool:
        try:
            resolve(path)
        except Resolver404:
            return False
        return True

    return {
        "booking_project": AtmpProject.objects.get(acronym="EXP-HSC").pk,
        "usage_report": resolves("/reports/usage/"),
    }


def queries(specs: list[str]) -> dict:
    """``specs`` are ``user:METHOD:path[?query][|form]``; POSTs are rolled back."""
    counts = {}
    for spec in specs:
        username, method, rest = spec.split(":", 2)
        path, _, form = rest.partition("|")
        client = Client(SERVER_NAME="127.0.0.1")
        client.force_login(get_user_model().objects.get(username=username))
        with transaction.atomic(), CaptureQueriesContext(connection) as captured:
            if method == "POST":
                response = client.post(path, dict(pair.split("=", 1) for pair in form.split("&")))
            else:
                response = client.get(path)
            transaction.set_rollback(True)
        counts[spec] = {"status": response.status_code, "queries": len(captured)}
    return counts


def explain() -> str:
    resource = Resource.objects.get(slug=BENCH_RESOURCE)
    facility_user = get_user_model().objects.get(username="facility")
    today = timezone.localdate()
    week = calendar._window(today - datetime.timedelta(days=today.weekday()), 7)
    month = reports.ReportPeriod.month(today.year, today.month)
    plans = {
        "Resource week (calendar): one resource's bookings in the week (gist index of the exclusion constraint)": (
            Booking.objects.of_resources_overlapping([resource.pk], week)
            .select_related("project__group", "booked_by")
            .order_by("period")
        ),
        "Facility day (calendar): the bookings of the facility's resources that day": (
            Booking.objects.of_resources_overlapping(
                resource.facility.resources.values_list("pk", flat=True), calendar._window(today, 1)
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
            Booking.objects.active().overlapping(calendar._window(today, 1)).first_with_details(20)
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
        handlers = {"facts": facts, "queries": queries, "count-bookings": count_bookings}
        result = handlers[command](arguments) if command == "queries" else handlers[command](*arguments)
        print(json.dumps(result))
