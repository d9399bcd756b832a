"""``make bench``: seed separate databases at scale 1 and N, serve each with ``make serve``, load the pages
people use from this process, race booking POSTs on one and on two instances, write BENCHMARKS.md.

Traffic goes to 127.0.0.1 only; every loop is bounded in count and time. Environment: BENCH_SCALE (100),
BENCH_SECONDS per page (8), BENCH_CLIENTS concurrent clients per page (8).
"""

import datetime
import http.client
import json
import os
import platform
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
SCALE = int(os.environ.get("BENCH_SCALE", 100))
SECONDS = float(os.environ.get("BENCH_SECONDS", 8))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", 8))
PASSWORD = "demo-pass-2026"
SYSTEM_POSTGRES = "postgres://postgres@127.0.0.1:5432"
RACE_SLOTS, RACE_CLIENTS = 10, 50
BOOKING_RESOURCE, RACE_RESOURCE, BENCH_FACILITY = "scale-000-room", "scale-000-cabinet", "scale-000"
MAX_REQUESTS_PER_PAGE = 20000
WARM_UP_REQUESTS = 20
RACE_HEADER = (
    "| instances | clients | slots | made (302) | refused with the conflict message | other answers (5xx, errors) "
    "| new bookings in the database |"
)


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# The databases: one per scale, on the system PostgreSQL if it answers, else on an embedded server of its own.


def system_postgres_reachable() -> bool:
    try:
        import psycopg2

        psycopg2.connect(f"{SYSTEM_POSTGRES}/postgres", connect_timeout=3).close()
    except Exception:
        return False
    return True


def serve_env(**database: str) -> dict:
    """The environment of ``make serve`` on 127.0.0.1 with ``database`` (DATABASE_URL=… or EMBEDDED_PGDATA=…)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "MIGRATE_DATABASE_URL", "EMBEDDED_PGDATA")}
    env.update(DEBUG="0", SECRET_KEY="bench-only-" + "x" * 50, ALLOWED_HOSTS="127.0.0.1", LOG_FORMAT="json")
    env.update(SECURE_COOKIES="0", SECURE_SSL_REDIRECT="0")  # plain HTTP on 127.0.0.1
    env.update(database)
    return env


def database_env(scale: int, system: bool) -> dict:
    if system:
        return serve_env(DATABASE_URL=f"{SYSTEM_POSTGRES}/atmp_bench_{scale}")
    return serve_env(EMBEDDED_PGDATA=str(ROOT / ".data" / f"bench-postgres-{scale}"))


def reset_database(scale: int, system: bool) -> None:
    if system:
        import psycopg2

        connection = psycopg2.connect(f"{SYSTEM_POSTGRES}/postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS atmp_bench_{scale} WITH (FORCE)")
            cursor.execute(f"CREATE DATABASE atmp_bench_{scale}")
        connection.close()
    else:
        subprocess.run(["rm", "-rf", str(ROOT / ".data" / f"bench-postgres-{scale}")], check=True)


def manage(env: dict, *arguments: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *arguments], cwd=ROOT, env=env, check=True, capture_output=capture, text=True,
        timeout=300,
    )  # fmt: skip
    return result.stdout if capture else ""


def probe(env: dict, *arguments: str):
    output = subprocess.run(
        [PYTHON, "bench/probe.py", *arguments], cwd=ROOT, env=env, check=True, capture_output=True, text=True,
        timeout=120,
    ).stdout  # fmt: skip
    return output if arguments[0] == "explain" else json.loads(output)


# The servers: `make serve` on a free port, in a process group of its own so that it stops as a whole.


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict) -> tuple[subprocess.Popen, int]:
    port = free_port()
    log_file = open(ROOT / ".data" / f"bench-serve-{port}.log", "w")  # noqa: SIM115 - lives as long as the server
    server = subprocess.Popen(
        ["make", "--no-print-directory", "serve", f"PORT={port}"], cwd=ROOT, env=env, stdout=log_file,
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if Session(port).get("/healthz")[0] == 200:
                return server, port
        except OSError:
            pass
        time.sleep(0.5)
    stop_server(server)
    raise SystemExit(f"make serve did not answer on port {port}; see .data/bench-serve-{port}.log")


def stop_server(server: subprocess.Popen) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(server.pid, signal.SIGKILL)


# The client: one keep-alive connection and a session cookie per simulated user.


class Session:
    def __init__(self, port: int, cookies: dict | None = None):
        self.port = port
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.cookies = dict(cookies or {})

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
        headers = {"Host": "127.0.0.1", "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            form = {**form, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (http.client.HTTPException, OSError):
            self.connection.close()  # a keep-alive connection the server closed: open a new one once
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, text

    def get(self, path: str) -> tuple[int, str]:
        return self.request("GET", path)

    def post(self, path: str, form: dict) -> tuple[int, str]:
        return self.request("POST", path, form)

    def login(self, username: str) -> "Session":
        self.get("/accounts/login/")
        status, _ = self.post("/accounts/login/", {"username": username, "password": PASSWORD})
        if status != 302:
            raise SystemExit(f"Logging in as {username} failed with {status}")
        return self


def load(port: int, cookies: dict, request, seconds: float, warm_up: bool) -> dict:
    """CLIENTS threads call ``request(session)`` for ``seconds``: the latencies of the successes, failures."""
    if warm_up:  # every worker process compiles templates and opens its connection before the clock runs
        session = Session(port, cookies)
        for _ in range(WARM_UP_REQUESTS):
            request(session)
    latencies, failures, lock = [], [], threading.Lock()
    deadline = time.monotonic() + seconds

    def client():
        session = Session(port, cookies)
        while time.monotonic() < deadline and len(latencies) < MAX_REQUESTS_PER_PAGE:
            started = time.perf_counter()
            ok = request(session)
            if ok is None:
                return  # nothing left to request (no free slot)
            elapsed = time.perf_counter() - started
            with lock:
                (latencies if ok else failures).append(elapsed)

    started = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    return {"latencies": latencies, "failures": len(failures), "duration": time.monotonic() - started}


def summarise(runs: list[dict]) -> dict:
    """Throughput and latency percentiles over several runs of one page on one server."""
    ordered = sorted(latency for run in runs for latency in run["latencies"]) or [0.0]
    requests = sum(len(run["latencies"]) for run in runs)
    return {
        "requests": requests,
        "failures": sum(run["failures"] for run in runs),
        "rps": requests / sum(run["duration"] for run in runs),
        "p50_ms": 1000 * statistics.median(ordered),
        "p95_ms": 1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
    }


def weekdays_ahead(start_in_days: int, count: int) -> list[datetime.date]:
    day, days = datetime.date.today() + datetime.timedelta(days=start_in_days), []
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += datetime.timedelta(days=1)
    return days


def free_slots(days: list[datetime.date]) -> list[tuple[str, str]]:
    """Half hours the load bookings leave free (07:00-08:00, 12:00-13:00, 17:00-19:00)."""
    starts = ["07:00", "07:30", "12:00", "12:30", "17:00", "17:30", "18:00", "18:30"]
    slots = []
    for day in days:
        for start in starts:
            hour, minute = map(int, start.split(":"))
            end = (datetime.datetime.combine(day, datetime.time(hour, minute)) + datetime.timedelta(minutes=30)).time()
            slots.append((f"{day}T{start}", f"{day}T{end:%H:%M}"))
    return slots


def booking_form(resource: str, project: int, slot: tuple[str, str]) -> dict:
    return {"resource": resource, "project": project, "start": slot[0], "end": slot[1],
            "purpose": "Benchmark run"}  # fmt: skip


def pages(facts: dict) -> dict:
    """The pages people use: name -> (user, method, path)."""
    today = datetime.date.today()
    week = today.isocalendar()
    result = {
        "healthz": (None, "GET", "/healthz"),
        "dashboard": ("facility", "GET", "/"),
        "project search": ("facility", "GET", "/projects/?q=lymphoma"),
        "resource week": ("facility", "GET", f"/resources/{BOOKING_RESOURCE}/?week={week.year}-W{week.week:02d}"),
        "facility day": ("facility", "GET", f"/facilities/{BENCH_FACILITY}/?date={today}"),
        "booking POST": ("researcher", "POST", "/bookings/new/"),
    }
    if facts["usage_report"]:
        # The whole centre grows with N (N facilities); one load unit's facility holds the same data at
        # every scale, so it is the report whose throughput should hold.
        month = f"/reports/usage/?month={today:%Y-%m}"
        result["usage report, whole centre"] = ("facility", "GET", month)
        result[f"usage report, facility {BENCH_FACILITY}"] = ("facility", "GET", f"{month}&facility={BENCH_FACILITY}")
    return result


def prepare(scale: int, system: bool) -> dict:
    """A fresh database seeded at ``scale``, served by ``make serve``, with logged-in sessions."""
    env = database_env(scale, system)
    log(f"scale {scale}: new database, migrations, seed_demo --scale {scale}")
    reset_database(scale, system)
    manage(env, "migrate", "--no-input", "-v0")
    seed_output = manage(env, "seed_demo", "--demo", "--scale", str(scale), capture=True)
    server, port = start_server(env)
    return {
        "scale": scale,
        "env": env,
        "server": server,
        "port": port,
        "facts": probe(env, "facts"),
        "seed_output": seed_output.splitlines()[0],
        "logins": {name: Session(port).login(name).cookies for name in ("facility", "researcher")},
        "slots": iter(free_slots(weekdays_ahead(2, 40))),  # within the 90 days a booking may lie ahead
        "slot_lock": threading.Lock(),
        "runs": {},
    }


def measure(target: dict, name: str, user: str | None, method: str, path: str, seconds: float) -> None:
    if method == "POST":

        def request(session):
            with target["slot_lock"]:
                slot = next(target["slots"], None)
            if slot is None:
                return None
            status, _ = session.post(path, booking_form(BOOKING_RESOURCE, target["facts"]["booking_project"], slot))
            return status == 302  # a made booking redirects to its page
    else:

        def request(session):
            return session.get(path)[0] == 200

    run = load(target["port"], target["logins"].get(user, {}), request, seconds, warm_up=method == "GET")
    target["runs"].setdefault(name, []).append(run)


def results_of(target: dict, page_specs: dict) -> dict:
    """Each page's numbers and its queries, counted in-process."""
    facts = target["facts"]
    post_slot = ("2099-01-05T12:00", "2099-01-05T12:30")  # rolled back; far ahead so never in use
    specs = {
        name: f"{user}:{method}:{path}"
        + ("|" + urllib.parse.urlencode(booking_form(BOOKING_RESOURCE, facts["booking_project"], post_slot))
           if method == "POST" else "")
        for name, (user, method, path) in page_specs.items()
        if user
    }  # fmt: skip
    counted = probe(target["env"], "queries", *specs.values())
    pages_measured = {name: summarise(runs) for name, runs in target["runs"].items()}
    for name, page in pages_measured.items():
        page["queries"] = counted[specs[name]]["queries"] if name in specs else 1
    return {"seed_output": target["seed_output"], "facts": facts, "pages": pages_measured}


def race(env: dict, ports: list[int], facts: dict, days: list[datetime.date], start: str, end: str) -> dict:
    """RACE_CLIENTS clients, started together, POST bookings of RACE_SLOTS slots (several per slot)."""
    slots = [(f"{day}T{start}", f"{day}T{end}") for day in days]
    cookies = Session(ports[0]).login("researcher").cookies  # sessions live in the database: any instance knows it
    before = probe(env, "count-bookings", RACE_RESOURCE)["active"]
    barrier = threading.Barrier(RACE_CLIENTS, timeout=60)
    outcomes, lock = [], threading.Lock()

    def client(number: int):
        session = Session(ports[number % len(ports)], cookies)
        form = booking_form(RACE_RESOURCE, facts["booking_project"], slots[number % RACE_SLOTS])
        barrier.wait()
        try:
            status, text = session.post("/bookings/new/", form)
            refused = status == 200 and "already booked" in text
            outcome = "made" if status == 302 else "refused" if refused else f"{status}: {_form_errors(text)}"
        except OSError as error:
            outcome = f"error {error}"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(RACE_CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    made = probe(env, "count-bookings", RACE_RESOURCE)["active"] - before
    result = {
        "instances": len(ports),
        "made": outcomes.count("made"),
        "refused": outcomes.count("refused"),
        "other": [o for o in outcomes if o not in ("made", "refused")],
        "bookings_in_database": made,
    }
    log(f"race over {len(ports)} instance(s): {result}")
    return result


def _form_errors(html: str) -> str:
    return " ".join(re.findall(r'class="[^"]*invalid-feedback[^"]*"[^>]*>(.*?)<', html, re.S))[:200]


def machine() -> str:
    memory = next(line for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    cpu = re.search(r"model name\s*:\s*(.*)", Path("/proc/cpuinfo").read_text())
    megabytes = int(memory.split()[1]) // 1024
    model = cpu.group(1) if cpu else platform.processor()
    return f"{os.cpu_count()} cores ({model}), {megabytes} MiB memory, {platform.platform()}"


def report(small: dict, large: dict, system: bool, total_seconds: float) -> str:
    rows = []
    floor = {scale: data["pages"]["healthz"]["rps"] for scale, data in ((1, small), (SCALE, large))}
    for name, at_large in large["pages"].items():
        at_small = small["pages"][name]
        scale_ratio = at_large["rps"] / at_small["rps"] if at_small["rps"] else 0
        healthz_ratio = at_large["rps"] / floor[SCALE] if floor[SCALE] else 0
        rows.append(
            f"| {name} | {at_small['rps']:.1f} | {at_large['rps']:.1f} | {at_large['p50_ms']:.0f} | "
            f"{at_large['p95_ms']:.0f} | {at_small['queries']} / {at_large['queries']} | "
            f"{at_small['failures']} / {at_large['failures']} | **{scale_ratio:.2f}** | **{healthz_ratio:.2f}** |"
        )
    skipped = "" if large["facts"]["usage_report"] else (
        "\nThe usage report (`/reports/usage/`) does not resolve: skipped. `bench/run.py` measures it "
        "whenever the URL resolves.\n"
    )  # fmt: skip
    races = "\n".join(
        f"| {r['instances']} | {RACE_CLIENTS} | {RACE_SLOTS} | {r['made']} | {r['refused']} | {len(r['other'])} | "
        f"{r['bookings_in_database']} |"
        for r in (large["race_one"], large["race_two"])
    )
    return f"""# Benchmarks

Written by `make bench` (`bench/run.py`; BENCH_SCALE={SCALE}, BENCH_SECONDS={SECONDS:g} per page,
BENCH_CLIENTS={CLIENTS} concurrent clients) on {datetime.date.today()}, in {total_seconds / 60:.1f} minutes.

Machine: {machine()}; shared with other work while it ran, so absolute numbers are noisy: the targets are
ratios within one run, and both scales are served side by side with each page loaded N=1, N={SCALE},
N={SCALE}, N=1 (half of BENCH_SECONDS each time), so background load weighs on both alike. Database: {
        "the system PostgreSQL on 127.0.0.1:5432 (databases atmp_bench_1 and atmp_bench_N)"
        if system
        else "embedded PostgreSQL servers under .data/bench-postgres-N"
    }; the development data is untouched.
Server: `make serve` (gunicorn, DEBUG off, CONN_MAX_AGE=600, default workers and threads).

Scale 1: {small["seed_output"]}
Scale {SCALE}: {large["seed_output"]}

Pages read as `facility` (facility staff see every project and booking: the largest result sets); the
booking POST as `researcher`, each request a new free half hour of `{BOOKING_RESOURCE}` (a load room with
1,000 bookings). Queries are counted in-process (django.test.Client + CaptureQueriesContext, POST rolled back).

| page | req/s N=1 | req/s N={SCALE} | p50 ms N={SCALE} | p95 ms N={SCALE} | queries N=1 / N={
        SCALE
    } | failures N=1 / N={SCALE} | N={SCALE} / N=1 (target ≥ 0.9) | page / healthz (target ≥ 0.2) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}
{skipped}
## Race for booking slots

{RACE_CLIENTS} clients started together (a barrier) POST `/bookings/new/` for {RACE_SLOTS} slots of
`{RACE_RESOURCE}` (five clients per slot), first against one instance, then spread over two `make serve`
instances on two ports sharing one PostgreSQL database and the session table.

{RACE_HEADER}
| --- | --- | --- | --- | --- | --- | --- |
{races}

## Query plans at scale {SCALE}

```
{large["explain"]}
```
"""


def main() -> None:
    started = time.monotonic()
    system = system_postgres_reachable()
    log(f"databases on {'the system PostgreSQL' if system else 'embedded servers'}")
    small = prepare(1, system)
    large = prepare(SCALE, system)
    try:
        # Both servers run side by side and each page is loaded small, large, large, small: whatever else
        # the machine does while the benchmark runs weighs on both scales alike.
        page_specs = pages(large["facts"])
        for name, (user, method, path) in page_specs.items():
            for target in (small, large, large, small):
                measure(target, name, user, method, path, SECONDS / 2)
            log(f"{name}: " + ", ".join(f"N={t['scale']} {summarise(t['runs'][name])['rps']:.1f} req/s"
                                         for t in (small, large)))  # fmt: skip
        stop_server(small["server"])
        small_results, large_results = results_of(small, page_specs), results_of(large, page_specs)
        env, port, facts = large["env"], large["port"], large["facts"]
        large_results["explain"] = probe(env, "explain")
        race_days = weekdays_ahead(62, RACE_SLOTS)  # after the slots the booking POSTs took
        large_results["race_one"] = race(env, [port], facts, race_days, "12:00", "12:45")
        second, second_port = start_server(env)
        try:
            large_results["race_two"] = race(env, [port, second_port], facts, race_days, "17:00", "17:45")
        finally:
            stop_server(second)
    finally:
        for target in (small, large):
            if target["server"].poll() is None:
                stop_server(target["server"])
    text = report(small_results, large_results, system, time.monotonic() - started)
    analysis = ROOT / "bench" / "analysis.md"
    if analysis.exists():
        text += analysis.read_text()
    (ROOT / "BENCHMARKS.md").write_text(text)
    print(text)
    races = (large_results["race_one"], large_results["race_two"])
    races_ok = all(
        r["made"] == RACE_SLOTS and r["bookings_in_database"] == RACE_SLOTS and not r["other"] for r in races
    )
    sys.exit(0 if races_ok else 1)


if __name__ == "__main__":
    main()
