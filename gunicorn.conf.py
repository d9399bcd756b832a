"""Gunicorn settings for ``make serve``; each one can be changed by the environment.

The portal's requests mostly wait on PostgreSQL, so a few processes with a few threads each keep
both cores busy: WEB_CONCURRENCY processes (default 2 * cores + 1, gunicorn's own advice) and
GUNICORN_THREADS threads per process (default 2). Each thread holds at most one persistent
database connection (CONN_MAX_AGE), so the server needs WEB_CONCURRENCY * GUNICORN_THREADS
connections per instance: keep that times the number of instances under max_connections.
"""

import multiprocessing
import os

bind = os.environ.get("BIND", f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}")
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1))
threads = int(os.environ.get("GUNICORN_THREADS", 2))
# A worker stuck longer than this is restarted; no page should take a fraction of it.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
# Recycle workers now and then so that a slow leak cannot grow; the jitter avoids restarting all at once.
max_requests = 5000
max_requests_jitter = 500
# Access log and errors to stdout/stderr, for the platform's log collector.
accesslog = "-"
errorlog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
# Honour X-Forwarded-* only from the load balancer's addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# No runtime control socket: it lives at one path per user, which two instances on one machine would share.
control_socket_disable = True
