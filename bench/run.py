"""``make bench``: seed separate databases at scale 1 and N, serve each with ``make serve``, load the pages
people use from this process, race booking POSTs on one and on two instances, write BENCHMARKS.md.

Traffic goes to 127.0.0.1 only; every loop is bounded in count and time. Environment: BENCH_SCALE (100),
BENCH_SECONDS per page (6), BENCH_CLIENTS concurrent clients per page (8).
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
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
SCALE = int(os.environ.get("BENCH_SCALE", 100))
SECONDS = float(os.environ.get("BENCH_SECONDS", 6))
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
    # The bookings' e-mails are written and handed to Django's dummy backend: with no mail server to take
    # them, each would be tried again every few seconds for the rest of the run.
    mail = {"EMAIL_URL": "dummymail://"}
    if system:
        return serve_env(DATABASE_URL=f"{SYSTEM_POSTGRES}/atmp_bench_{scale}", **mail)
    return serve_env(EMBEDDED_PGDATA=str(ROOT / ".data" / f"bench-postgres-{scale}"), **mail)


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
    (ROOT / ".data").mkdir(exist_ok=True)  # a fresh clone on the system PostgreSQL has none yet
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


def booking_form(facts: dict, slot: tuple[str, str]) -> dict:
    return {"resource": BOOKING_RESOURCE, "project": facts["booking_project"], "start": slot[0], "end": slot[1],
            "purpose": "Benchmark run"}  # fmt: skip


@dataclass(frozen=True)
class Page:
    """A page the bench loads. ``path`` is formatted with the facts and ``today``, ``week``, ``month``,
    ``facility``, ``resource``; ``post`` makes it a booking POST of a ``free`` slot (a made booking redirects)
    or a ``taken`` one (refused: the form again, 200); ``status`` is the answer a GET must get to count."""

    name: str
    user: str | None
    path: str
    post: str = ""
    status: int = 200


# One line per page; the lead adds a page by adding its line.
PAGES = [
    Page("healthz", None, "/healthz"),
    # What every signed-in page pays before its own work: the session, the user, the middleware, the layout.
    Page("signed-in floor: a page not found", "facility", "/bench/no-such-page/", status=404),
    *(Page(f"dashboard, {user}", user, "/") for user in ("facility", "researcher", "pi", "reviewer", "qa", "admin")),
    Page("project list", "facility", "/projects/"),
    Page("project search", "facility", "/projects/?q=lymphoma"),
    Page("project detail", "facility", "/projects/{project_code}/"),
    Page("resource week", "facility", "/resources/{resource}/?week={week}"),
    Page("facility day", "facility", "/facilities/{facility}/?date={today}"),
    Page("facility schedule, 7 days", "facility", "/facilities/{facility}/schedule/?date={today}&days=7"),
    Page("my bookings", "researcher", "/bookings/"),
    Page("booking form", "researcher", "/bookings/new/?resource={resource}"),
    # Facility staff book for any project: they find it first, then get the form for it.
    Page("booking form, staff: find the project", "facility", "/bookings/new/?resource={resource}&q=lymphoma"),
    Page("booking form, staff: a project", "facility", "/bookings/new/?resource={resource}&project={booking_project}"),
    Page("booking POST", "researcher", "/bookings/new/", post="free"),
    Page("booking refusal", "researcher", "/bookings/new/", post="taken"),
    Page("pending queue", "facility", "/bookings/pending/"),
    Page("closures", "facility", "/closures/"),
    Page(f"usage report, facility {BENCH_FACILITY}", "facility", "/reports/usage/?month={month}&facility={facility}"),
    # The whole centre grows with N (N facilities); one load unit's facility holds the same data at every scale.
    Page("usage report, whole centre", "facility", "/reports/usage/?month={month}"),
    Page("logbook", "facility", "/resources/{resource}/logbook/"),
    Page("status board", "facility", "/facilities/{facility}/status/"),
]


def path_of(page: Page, facts: dict) -> str:
    today = datetime.date.today()
    week = today.isocalendar()
    return page.path.format(
        **facts, today=today, week=f"{week.year}-W{week.week:02d}", month=f"{today:%Y-%m}",
        facility=BENCH_FACILITY, resource=BOOKING_RESOURCE,
    )  # fmt: skip


def prepare(scale: int, system: bool) -> dict:
    """A fresh database seeded at ``scale``, served by ``make serve``, with logged-in sessions."""
    env = database_env(scale, system)
    log(f"scale {scale}: new database, migrations, seed_demo --scale {scale}")
    reset_database(scale, system)
    manage(env, "migrate", "--no-input", "-v0")
    seed_output = manage(env, "seed_demo", "--demo", "--scale", str(scale), capture=True)
    server, port = start_server(env)
    facts = probe(env, "facts")
    return {
        "scale": scale,
        "env": env,
        "server": server,
        "port": port,
        "facts": facts,
        "seed_output": seed_output.splitlines()[0],
        "logins": {user: Session(port).login(user).cookies for user in {page.user for page in PAGES} - {None}},
        "slots": iter(facts["free_slots"]),  # the opening rules' free half hours within the booking window
        "slot_lock": threading.Lock(),
        "runs": {},
    }


def measure(target: dict, page: Page, seconds: float) -> None:
    facts, path = target["facts"], path_of(page, target["facts"])
    if page.post == "free":

        def request(session):
            with target["slot_lock"]:
                slot = next(target["slots"], None)
            if slot is None:
                return None
            return session.post(path, booking_form(facts, slot))[0] == 302
    elif page.post == "taken":

        def request(session):
            status, text = session.post(path, booking_form(facts, facts["taken_slot"]))
            return status == 200 and "already booked" in text
    else:

        def request(session):
            return session.get(path)[0] == page.status

    run = load(target["port"], target["logins"].get(page.user, {}), request, seconds, warm_up=not page.post)
    target["runs"].setdefault(page.name, []).append(run)
    if page.post:
        wait_for_the_worker(target)


def wait_for_the_worker(target: dict, timeout: float = 120) -> None:
    """Until the server's worker has written the e-mails of the bookings just made: it works after the
    responses, and would otherwise take its cores from the next run, of the other scale."""
    deadline = time.monotonic() + timeout
    while probe(target["env"], "work-waiting")["tasks"] and time.monotonic() < deadline:
        time.sleep(1)


def results_of(target: dict) -> dict:
    """Each page's numbers, and its queries and p50 split measured in-process."""
    facts = target["facts"]
    form_slots = {"free": facts["unused_slot"], "taken": facts["taken_slot"]}
    specs = {
        page.name: f"{page.user}:{'POST' if page.post else 'GET'}:{path_of(page, facts)}"
        + ("|" + urllib.parse.urlencode(booking_form(facts, form_slots[page.post])) if page.post else "")
        for page in PAGES
        if page.user
    }
    measured = probe(target["env"], "pages", *specs.values())
    pages_measured = {name: summarise(runs) for name, runs in target["runs"].items()}
    for name, page in pages_measured.items():
        page["in_process"] = measured.get(specs.get(name), {"queries": 1})
    return {"seed_output": target["seed_output"], "facts": facts, "pages": pages_measured, "specs": specs}


def ratios(small: dict, large: dict, name: str) -> tuple[float, float, float]:
    """A page's throughput at scale N against scale 1, and against /healthz's at scale 1 and at scale N."""

    def ratio(part: float, whole: float) -> float:
        return part / whole if whole else 0.0

    at_small, at_large = small["pages"][name]["rps"], large["pages"][name]["rps"]
    return (
        ratio(at_large, at_small),
        ratio(at_small, small["pages"]["healthz"]["rps"]),
        ratio(at_large, large["pages"]["healthz"]["rps"]),
    )


def below_target(small: dict, large: dict) -> list[str]:
    """The pages that miss a target: below 0.9 of their scale-1 throughput, or below 0.2 of /healthz's."""
    missed = []
    for name in large["specs"]:
        scale_ratio, *healthz_ratios = ratios(small, large, name)
        if scale_ratio < 0.9 or min(healthz_ratios) < 0.2:
            missed.append(name)
    return missed


def race(env: dict, ports: list[int], facts: dict, start: str, end: str) -> dict:
    """RACE_CLIENTS clients, started together, POST bookings of RACE_SLOTS slots (several per slot)."""
    slots = [(f"{day}T{start}", f"{day}T{end}") for day in facts["race_days"]]
    cookies = Session(ports[0]).login("researcher").cookies  # sessions live in the database: any instance knows it
    before = probe(env, "count-bookings", RACE_RESOURCE)["active"]
    barrier = threading.Barrier(RACE_CLIENTS, timeout=60)
    outcomes, lock = [], threading.Lock()

    def client(number: int):
        session = Session(ports[number % len(ports)], cookies)
        form = {**booking_form(facts, slots[number % RACE_SLOTS]), "resource": RACE_RESOURCE}
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


def _split(page: dict) -> str:
    measured = page["in_process"]
    if "p50_ms" not in measured:
        return "-"
    return (f"{measured['p50_ms']:.1f} = {measured['sql_ms']:.1f} + {measured['template_ms']:.1f} + "
            f"{measured['python_ms']:.1f}")  # fmt: skip


def report(small: dict, large: dict, system: bool, total_seconds: float) -> str:
    rows = []
    for name, at_large in large["pages"].items():
        at_small = small["pages"][name]
        scale_ratio, *healthz_ratios = ratios(small, large, name)
        rows.append(
            f"| {name} | {at_small['rps']:.1f} | {at_large['rps']:.1f} | {at_large['p50_ms']:.0f} | "
            f"{at_large['p95_ms']:.0f} | {at_small['in_process']['queries']} / {at_large['in_process']['queries']} | "
            f"{at_small['failures']} / {at_large['failures']} | {_split(at_small)} | {_split(at_large)} | "
            f"**{scale_ratio:.2f}** | **{healthz_ratios[0]:.2f}** / **{healthz_ratios[1]:.2f}** |"
        )
    profiles = "\n\n".join(
        f"<details><summary>{name}: {_split(large['pages'][name])} ms</summary>\n\n```\n{text}\n```\n</details>"
        for name, text in large["profiles"].items()
    )
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
Server: `make serve` (gunicorn, DEBUG off, CONN_MAX_AGE=600, default workers and threads, and its worker,
which writes each booking's e-mail after the response and hands it to Django's dummy backend). After each
run of booking POSTs the bench waits for that worker, so that its e-mails do not weigh on the next run.

Scale 1: {small["seed_output"]}
Scale {SCALE}: {large["seed_output"]}

Pages are read as `facility` (facility staff see every project and booking: the largest result sets)
unless their name gives the role; the booking POST as `researcher`, each request a new free half hour of
`{BOOKING_RESOURCE}` (a load room with 1,000 bookings) that the opening rules allow, until the ~370 of the
next 88 days are booked (so its runs are the shortest, and its ratio the noisiest); the booking refusal
POSTs a half hour inside one of its bookings. In-process (`bench/probe.py pages`: django.test.Client, POSTs
rolled back): the queries of one request, and the p50 of 11 requests after 3 warm-up ones, split into
SQL + template + Python ms (`bench/split_timer.py`).

| page | req/s N=1 | req/s N={SCALE} | p50 ms N={SCALE} | p95 ms N={SCALE} | queries N=1 / N={
        SCALE
    } | failures N=1 / N={SCALE} | in-process p50 ms N=1 = SQL + template + Python | in-process p50 ms N={SCALE} | N={
        SCALE
    } / N=1 (target ≥ 0.9) | page / healthz N=1 / N={SCALE} (target ≥ 0.2) |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
{chr(10).join(rows)}

## Race for booking slots

{RACE_CLIENTS} clients started together (a barrier) POST `/bookings/new/` for {RACE_SLOTS} slots of
`{RACE_RESOURCE}` (five clients per slot), first against one instance, then spread over two `make serve`
instances on two ports sharing one PostgreSQL database and the session table.

{RACE_HEADER}
| --- | --- | --- | --- | --- | --- | --- |
{races}

## Profiles of the pages below a target, at scale {SCALE}

In-process, after the load (`bench/probe.py profiles`: cProfile over 11 requests after 3 warm-up ones;
profiling slows each call, so these milliseconds are larger than the p50s above and weigh the parts
against each other). The reading of them, page by page, is in "Gaps that remain" below.

{profiles}

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
        for page in PAGES:
            for target in (small, large, large, small):
                measure(target, page, SECONDS / 2)
            log(f"{page.name}: " + ", ".join(f"N={t['scale']} {summarise(t['runs'][page.name])['rps']:.1f} req/s"
                                              for t in (small, large)))  # fmt: skip
        stop_server(small["server"])
        small_results, large_results = results_of(small), results_of(large)
        env, port, facts = large["env"], large["port"], large["facts"]
        large_results["explain"] = probe(env, "explain")
        missed = below_target(small_results, large_results)
        texts = probe(env, "profiles", *(large_results["specs"][name] for name in missed)) if missed else {}
        large_results["profiles"] = {name: texts[large_results["specs"][name]] for name in missed}
        large_results["race_one"] = race(env, [port], facts, "12:00", "12:45")
        second, second_port = start_server(env)
        try:
            large_results["race_two"] = race(env, [port, second_port], facts, "17:00", "17:45")
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
