"""Reads written out in SQL once per process, for the few queries that nearly every page of a kind runs.

Through the ORM, building such a query and its model instances costs several times what PostgreSQL takes to
answer it; written out, the query's text is made once and each page pays for the answer alone.
"""

import itertools
import re

from django.contrib.postgres.fields import RangeField
from django.db import connections, router


def columns(model, alias: str) -> str:
    """The model's columns as ``instances`` reads them, each prefixed with the table's ``alias``."""
    return ", ".join(f"{alias}.{field.column}" for field in model._meta.concrete_fields)


def rows(model, sql: str, params, prepared: str = "") -> list[tuple]:
    """The rows ``sql`` reads, as tuples, from the database ``model`` is read from. Named ``prepared``, it runs as
    that prepared statement of the connection, which PostgreSQL parses and plans once per connection instead of
    once per request: for the queries every request runs (psycopg2 has no prepared statements of its own, so they
    are SQL ``PREPARE`` and ``EXECUTE``)."""
    connection = connections[router.db_for_read(model)]
    with connection.cursor() as cursor:
        if not prepared:
            cursor.execute(sql, params)
            return cursor.fetchall()
        # The names prepared on this database connection; a new one (after CONN_MAX_AGE, or an error) has none.
        prepared_on, names = getattr(connection, "prepared_statements", (None, set()))
        if prepared_on is not connection.connection:
            names = set()
            connection.prepared_statements = (connection.connection, names)
        if prepared not in names:
            number = itertools.count(1)
            statement = re.sub("%s", lambda _: f"${next(number)}", sql)
            # On psycopg2's own cursor: preparing is no query of the page (the tests count those).
            cursor.cursor.execute(f"PREPARE {prepared} AS {statement}")
            names.add(prepared)
        cursor.execute(f"EXECUTE {prepared}({', '.join(['%s'] * len(params))})", params)
        return cursor.fetchall()


def instances(
    model, sql: str, params, annotations: tuple[str, ...] = (), related: tuple[str, ...] = (), prepared: str = ""
) -> list:
    """The instances of ``model`` that ``sql`` reads: its first columns are ``columns(model, …)``, then those of each
    foreign key's model named in ``related`` (as ``select_related`` loads them; all NULL where there is none), and
    the rest are kept on each instance under the names of ``annotations``, as ``QuerySet.annotate`` would.
    ``prepared`` names it as a prepared statement (``rows``)."""
    database = router.db_for_read(model)
    parts = [(None, model)] + [(name, model._meta.get_field(name).related_model) for name in related]
    layout = []
    start = 0
    for name, part_model in parts:
        fields = [field.attname for field in part_model._meta.concrete_fields]
        layout.append((name, part_model, fields, start, start + len(fields)))
        start += len(fields)
    found = []
    for row in rows(model, sql, params, prepared):
        (_name, _model, fields, first, last), *related_parts = layout
        instance = model.from_db(database, fields, row[first:last])
        for name, part_model, fields, first, last in related_parts:
            values = row[first:last]
            setattr(instance, name, None if values[0] is None else part_model.from_db(database, fields, values))
        for name, value in zip(annotations, row[start:], strict=True):
            setattr(instance, name, value)
        found.append(instance)
    return found


def json_columns(model, alias: str) -> str:
    """The model's columns as one JSON array per row, for ``from_json``: e.g. ``ARRAY(SELECT json_columns(…) …)``
    reads a list of instances in a column of one row. A range is written as its bounds and their kind."""
    return "json_build_array({})".format(
        ", ".join(
            _json_range(f"{alias}.{field.column}") if isinstance(field, RangeField) else f"{alias}.{field.column}"
            for field in model._meta.concrete_fields
        )
    )


def _json_range(column: str) -> str:
    lower = f"CASE WHEN lower_inc({column}) THEN '[' ELSE '(' END"
    bounds = f"{lower} || CASE WHEN upper_inc({column}) THEN ']' ELSE ')' END"
    return f"json_build_array(lower({column}), upper({column}), {bounds})"


def from_json(model, values: list):
    """The instance of ``model`` that ``json_columns`` wrote (dates and times arrive as ISO text)."""
    fields = model._meta.concrete_fields
    return model.from_db(
        router.db_for_read(model),
        [field.attname for field in fields],
        [_from_json(field, value) for field, value in zip(fields, values, strict=True)],
    )


def _from_json(field, value):
    if value is None:
        return None
    if isinstance(field, RangeField):
        lower, upper, bounds = value
        return field.range_type(field.base_field.to_python(lower), field.base_field.to_python(upper), bounds)
    return field.to_python(value)
