"""Where a page's milliseconds go, in-process, against a benchmark database (DEBUG off, cached templates).

    DATABASE_URL=postgres://postgres@127.0.0.1/atmp_bench_100 .venv/bin/python bench/page_profile.py [--top N] [PATH]

Per page: the mean time of REQUESTS requests after a warm-up, the share spent in SQL, the HTML size;
with ``--top N`` also the N functions with the most cumulative time (cProfile) of those requests.
Pages are read as ``facility`` (every project and booking visible: the largest result sets).
"""

import argparse
import cProfile
import datetime
import os
import pstats
import sys
import time
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
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

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
    arguments = parser.parse_args()
    client = Client(SERVER_NAME="127.0.0.1")
    client.force_login(get_user_model().objects.get(username="facility"))
    sql_seconds = [0.0]

    def timed_sql(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            sql_seconds[0] += time.perf_counter() - started

    for path in arguments.paths or default_paths():
        for _ in range(WARM_UP):
            response = client.get(path)
        sql_seconds[0] = 0.0
        profiler = cProfile.Profile() if arguments.top else None
        started = time.perf_counter()
        with connection.execute_wrapper(timed_sql):
            if profiler:
                profiler.enable()
            for _ in range(REQUESTS):
                client.get(path)
            if profiler:
                profiler.disable()
        total = (time.perf_counter() - started) / REQUESTS * 1000
        sql = sql_seconds[0] / REQUESTS * 1000
        size = len(response.content) / 1000
        print(f"{path}: {response.status_code}, {total:.1f} ms per request, SQL {sql:.1f} ms, {size:.1f} kB")
        if profiler:
            pstats.Stats(profiler).sort_stats("cumulative").print_stats(arguments.top)


if __name__ == "__main__":
    main()
