"""Where a page's milliseconds go, in-process, against a benchmark database (DEBUG off, cached templates).

    DATABASE_URL=postgres://postgres@127.0.0.1/atmp_bench_100 .venv/bin/python bench/page_profile.py [--top N] [PATH]
    EMBEDDED_PGDATA=.data/bench-postgres-100 .venv/bin/python bench/page_profile.py --user pi /

Per page: the median time of REQUESTS requests after a warm-up, split into SQL, template rendering and the
rest (Python: views, forms, middleware), the HTML size; with ``--top N`` also the N functions with the most
cumulative time (cProfile) of those requests. Pages are read as ``facility`` unless ``--user`` names another.
``bench/probe.py profile`` uses the same timer for the split that ``make bench`` reports.
"""

import argparse
import cProfile
import datetime
import os
import pstats
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "atmp_portal.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "profile-only-" + "x" * 50)
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("SECURE_COOKIES", "0")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.test import Client  # noqa: E402
from split_timer import SplitTimer  # noqa: E402

WARM_UP, REQUESTS = 5, 20


def default_paths() -> list[str]:
    today = datetime.date.today()
    week = today.isocalendar()
    return [
        "/healthz",
        "/",
        "/projects/?q=lymphoma",
        f"/resources/scale-000-room/?week={week.year}-W{week.week:02d}",
        f"/facilities/scale-000/?date={today}",
        f"/reports/usage/?month={today:%Y-%m}",
        f"/reports/usage/?month={today:%Y-%m}&facility=scale-000",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("paths", nargs="*")
    parser.add_argument("--top", type=int, default=0, help="print the N most expensive functions per page")
    parser.add_argument("--user", default="facility", help="the username the pages are read as")
    arguments = parser.parse_args()
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=arguments.user))
    for path in arguments.paths or default_paths():
        for _ in range(WARM_UP):
            response = client.get(path)
        profiler = cProfile.Profile() if arguments.top else None
        with SplitTimer().installed() as timer:
            if profiler:
                profiler.enable()
            for _ in range(REQUESTS):
                response = timer.time(lambda: client.get(path))  # noqa: B023 - called at once
            if profiler:
                profiler.disable()
        split = timer.median()
        print(
            f"{path}: {response.status_code}, p50 {split.total:.1f} ms = SQL {split.sql:.1f} + template "
            f"{split.template:.1f} + Python {split.python:.1f} ms, {len(response.content) / 1000:.1f} kB"
        )
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(arguments.top)


if __name__ == "__main__":
    main()
