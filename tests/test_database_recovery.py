"""The database comes back: the embedded server restarts after its postmaster is killed, and a backup
restores into a new database with the rows it held."""

import os
import signal

import psycopg2
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from atmp_portal.embedded_postgres.base import DatabaseWrapper, ensure_server
from projects.models import AtmpProject, ResearchGroup


@pytest.mark.skipif("PGDATA" not in settings.DATABASES["default"], reason="runs on a DATABASE_URL server")
def test_the_embedded_server_is_started_again_when_its_postmaster_was_killed():
    # A server of its own in the git-ignored .data/, so that killing it disturbs no other test.
    pgdata = settings.BASE_DIR / ".data" / "restart-test" / "postgres"
    socket_dir = ensure_server(pgdata, "atmp_restart")
    database = DatabaseWrapper(
        {**settings.DATABASES["default"], "NAME": "atmp_restart", "USER": "postgres", "PGDATA": pgdata,
         "CONN_MAX_AGE": 0, "OPTIONS": {}},
        alias="restart",
    )  # fmt: skip

    def query(statement):  # a new connection through the backend, as a request would open it
        with database.get_new_connection(database.get_connection_params()) as raw, raw.cursor() as cursor:
            cursor.execute(statement)
            return cursor.fetchone()

    (started_before,) = query("SELECT pg_postmaster_start_time()")
    postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    os.kill(postmaster, signal.SIGKILL)
    with pytest.raises(psycopg2.OperationalError):  # dead indeed
        psycopg2.connect(host=socket_dir, dbname="atmp_restart", user="postgres", connect_timeout=3).close()

    started_after, one = query("SELECT pg_postmaster_start_time(), 1")  # finds it dead and starts it again
    assert one == 1 and started_after > started_before


@pytest.fixture
def scratch_database():
    """A new, empty database on the same server; the default connection points at it inside the block."""
    name = f"{connection.settings_dict['NAME']}_restore"
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cursor.execute(f'CREATE DATABASE "{name}"')
    test_database = connection.settings_dict["NAME"]

    def use(database_name):
        connection.close()
        connection.settings_dict["NAME"] = database_name

    yield name, use
    use(test_database)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.django_db(transaction=True)
def test_a_backup_restores_into_an_empty_database_with_its_rows(make_group, make_project, tmp_path, scratch_database):
    group = make_group("restore-lab", name="Restore Lab")
    project = make_project(group, title="Allogeneic NK cells")
    call_command("backup", directory=tmp_path, stdout=open(os.devnull, "w"))  # noqa: SIM115
    (archive,) = tmp_path.glob("*.dump")

    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", archive)
    assert AtmpProject.objects.get(pk=project.pk).title == "Allogeneic NK cells"  # nothing changed

    name, use = scratch_database
    use(name)
    call_command("restore", archive, stdout=open(os.devnull, "w"))  # noqa: SIM115
    restored = AtmpProject.objects.select_related("group").get(pk=project.pk)
    assert (restored.code, restored.title, restored.group.name) == (project.code, project.title, "Restore Lab")
    assert ResearchGroup.objects.count() == 1
    assert AtmpProject.pgh_event_model.objects.filter(pgh_obj_id=project.pk).exists()  # the audit trail came along
    if settings.DATABASE_RUNTIME_ROLE:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT has_table_privilege(%s, 'projects_atmpproject', 'UPDATE'), "
                "has_table_privilege(%s, 'projects_atmpprojectevent', 'UPDATE')",
                [settings.DATABASE_RUNTIME_ROLE] * 2,
            )
            assert cursor.fetchone() == (True, False)
