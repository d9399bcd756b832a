"""Gunicorn settings for ``make serve``; each one can be changed by the environment.

The portal's requests mostly wait on PostgreSQL, so a few processes with a few threads each keep
both cores busy: WEB_CONCURRENCY processes (default 2 * cores + 1, gunicorn's own advice) and
GUNICORN_THREADS threads per process (default 2). Each thread holds at most one persistent
database connection (CONN_MAX_AGE), so the server needs WEB_CONCURRENCY * GUNICORN_THREADS
connections per instance: keep that times the number of instances under max_connections.
"""

import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time

bind = os.environ.get("BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 2))
# No page should take a fraction of `timeout`. With threads (the gthread worker) gunicorn's own timeout
# only catches a worker whose main loop hangs: the loop keeps beating while a request thread is stuck, so
# a request stuck for ever would hold its thread for ever, and a few of them the whole worker. The
# watchdog below therefore stops a worker gracefully once one of its requests has run longer than
# `timeout`: it accepts no more connections, its other threads finish their requests within
# `graceful_timeout`, and the arbiter starts a fresh worker (and kills this one if the stuck thread keeps
# it from exiting, `timeout` later).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", 20))
# Recycle workers now and then so that a slow leak cannot grow; the jitter avoids restarting all at once.
max_requests = 5000
max_requests_jitter = 500
# The portal is imported once, in the arbiter, and each worker forked from it: a recycled worker then
# costs a fork, where importing Django and the portal anew took about a second of a core, taken from
# the requests of that moment. Safe to fork: nothing connects to the database at import (Django connects
# at a worker's first query).
preload_app = True
# Access log and errors to stdout/stderr, for the platform's log collector.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
# Honour X-Forwarded-* only from the load balancer's addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# No runtime control socket: it lives at one path per user, which two instances on one machine would share.
control_socket_disable = True


def post_worker_init(worker):
    worker.requests_started = {}  # request thread -> when its current request started

    def watch():
        while True:
            time.sleep(1)
            if any(time.monotonic() - started > timeout for started in list(worker.requests_started.values())):
                worker.log.critical(
                    "A request ran longer than %s s: stopping worker %s gracefully", timeout, worker.pid
                )
                os.kill(worker.pid, signal.SIGTERM)
                return

    threading.Thread(target=watch, name="request-watchdog", daemon=True).start()


def pre_request(worker, req):
    worker.requests_started[threading.get_ident()] = time.monotonic()


def post_request(worker, req, environ, resp):
    worker.requests_started.pop(threading.get_ident(), None)


# The mail worker (manage.py mail_worker) runs beside the web workers and stops with them;
# MAIL_WORKER=0 leaves it to a service of its own (README, "Mail").
def when_ready(server):
    if os.environ.get("MAIL_WORKER", "1") != "0":
        manage = os.path.join(os.path.dirname(os.path.abspath(__file__)), "manage.py")
        server.mail_worker = subprocess.Popen([sys.executable, manage, "mail_worker", "--queue-name", "*"])


def on_exit(server):
    if mail_worker := getattr(server, "mail_worker", None):
        mail_worker.terminate()
        mail_worker.wait(timeout=graceful_timeout)
