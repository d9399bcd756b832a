"""Least privilege in the database: what the portal's runtime role may do, granted by every migrate.

Migrations (and restores) run as the owner role, ``settings.DATABASE_OWNER``; the portal connects as the
runtime role, ``settings.DATABASE_RUNTIME_ROLE``, which owns nothing and so can neither alter a table nor
disable its triggers. It may read and write the application's tables, and only add rows to the
insert-only ones: the audit trail's events and contexts, and the signed records.
"""

import logging
from contextlib import contextmanager

import pghistory.models
from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from psycopg2 import sql

logger = logging.getLogger(__name__)

# Models whose rows, once written, stay as they are. Every pghistory event model joins by itself; add
# signed records (line clearances, logbook entries, signatures) here as "app_label.Model".
INSERT_ONLY_MODELS = ["pghistory.Context"]

# pghistory's own function upserts the context row: a later change in the same request rewrites the
# actor, URL and reason of the events written before it, which needs UPDATE on pghistory_context. This
# one writes one row per context and metadata instead (its id derived from both) and never changes a
# row, so the context is insert-only like the events; each event keeps the context it was written in.
CONTEXT_FUNCTION = """
CREATE OR REPLACE FUNCTION _pgh_attach_context() RETURNS pghistory_context.id%TYPE AS $$
    DECLARE
        _pgh_context_id UUID;
        _pgh_context_metadata JSONB;
        _pgh_row_id UUID;
    BEGIN
        BEGIN
            SELECT INTO _pgh_context_id CURRENT_SETTING('pghistory.context_id');
            SELECT INTO _pgh_context_metadata CURRENT_SETTING('pghistory.context_metadata');
            EXCEPTION WHEN OTHERS THEN
        END;
        IF _pgh_context_id IS NULL OR _pgh_context_metadata IS NULL THEN
            RETURN NULL;
        END IF;
        _pgh_row_id := md5(_pgh_context_id::text || _pgh_context_metadata::text)::uuid;
        INSERT INTO pghistory_context (id, metadata, created_at, updated_at)
            VALUES (_pgh_row_id, _pgh_context_metadata, NOW(), NOW())
            ON CONFLICT (id) DO NOTHING;
        RETURN _pgh_row_id;
    END;
$$ LANGUAGE plpgsql;
"""


# pgtrigger lets a session skip a trigger by naming it in the setting pgtrigger.ignore, which any role
# may set: the runtime role could write without leaving events. This version of pgtrigger's function
# honours the setting only for members of the database's owner role (the owner, superusers), such as
# seed_demo --scale, which records its bulk-loaded bookings' events in one statement. Every pgtrigger
# migration installs pgtrigger's own version again; every migrate ends by installing this one.
SHOULD_IGNORE_FUNCTION = """
CREATE OR REPLACE FUNCTION public._pgtrigger_should_ignore(trigger_name NAME) RETURNS BOOLEAN AS $$
    DECLARE
        _pgtrigger_ignore TEXT[];
    BEGIN
        IF NOT pg_has_role(
            current_user, (SELECT datdba FROM pg_database WHERE datname = current_database()), 'MEMBER'
        ) THEN
            RETURN FALSE;
        END IF;
        BEGIN
            SELECT INTO _pgtrigger_ignore CURRENT_SETTING('pgtrigger.ignore');
            EXCEPTION WHEN OTHERS THEN
        END;
        RETURN COALESCE(trigger_name = ANY(_pgtrigger_ignore), FALSE);
    END;
$$ LANGUAGE plpgsql;
"""


def insert_only_tables() -> list[str]:
    """The tables the runtime role may only read and add to."""
    events = [model for model in apps.get_models() if issubclass(model, pghistory.models.Event) and model._meta.managed]
    named = [apps.get_model(label) for label in INSERT_ONLY_MODELS]
    return sorted({model._meta.db_table for model in [*events, *named]})


@contextmanager
def as_owner(alias: str = DEFAULT_DB_ALIAS):
    """Connect ``alias`` as the owner role (with its longer timeouts) inside the block.

    Nothing changes where one role does both, or where the connection is the owner's already (the tests).
    """
    connection = connections[alias]
    owner = settings.DATABASE_OWNER
    if alias != DEFAULT_DB_ALIAS or not owner or connection.settings_dict["USER"] == owner["USER"]:
        yield connection
        return
    runtime = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(settings.DATABASE_OWNER)
    try:
        yield connection
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(runtime)


def apply_grants(connection) -> None:
    """The runtime role's privileges, from nothing: run by the owner after every migrate and restore.

    Default privileges give tables the owner creates later the same rights at once; the next migrate
    takes the writing rights of a new insert-only table away again.
    """
    # One transaction: the running portal never sees its privileges half revoked.
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(CONTEXT_FUNCTION)
        cursor.execute(SHOULD_IGNORE_FUNCTION)
        role = settings.DATABASE_RUNTIME_ROLE
        if not role:
            return
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() != (False,):
            logger.warning("The runtime role %s is missing or a superuser: its privileges mean nothing", role)
        runtime = sql.Identifier(role)
        cursor.execute("SELECT pg_has_role(nspowner, 'USAGE') FROM pg_namespace WHERE nspname = 'public'")
        if cursor.fetchone()[0]:  # before PostgreSQL 15 everyone may create tables in public: then one would own them
            cursor.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        statements = [
            "REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {runtime}",
            "GRANT USAGE ON SCHEMA public TO {runtime}",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {runtime}",
            "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {runtime}",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {runtime}",
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {runtime}",
            # Which migrations ran is the owner's business.
            "REVOKE INSERT, UPDATE, DELETE ON django_migrations FROM {runtime}",
        ]
        for statement in statements:
            cursor.execute(sql.SQL(statement).format(runtime=runtime))
        for table in insert_only_tables():
            cursor.execute(sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(sql.Identifier(table), runtime))
