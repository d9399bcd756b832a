"""Reads written out in SQL once per process, for the few queries that nearly every page of a kind runs.

Through the ORM, building such a query and its model instances costs several times what PostgreSQL takes to
answer it; written out, the query's text is made once and each page pays for the answer alone.
"""

from django.db import connections, router


def columns(model, alias: str) -> str:
    """The model's columns as ``instances`` reads them, each prefixed with the table's ``alias``."""
    return ", ".join(f"{alias}.{field.column}" for field in model._meta.concrete_fields)


def instances(model, sql: str, params, annotations: tuple[str, ...] = (), related: tuple[str, ...] = ()) -> list:
    """The instances of ``model`` that ``sql`` reads: its first columns are ``columns(model, …)``, then those of each
    foreign key's model named in ``related`` (as ``select_related`` loads them; all NULL where there is none), and
    the rest are kept on each instance under the names of ``annotations``, as ``QuerySet.annotate`` would."""
    database = router.db_for_read(model)
    parts = [(None, model)] + [(name, model._meta.get_field(name).related_model) for name in related]
    layout = []
    start = 0
    for name, part_model in parts:
        fields = [field.attname for field in part_model._meta.concrete_fields]
        layout.append((name, part_model, fields, start, start + len(fields)))
        start += len(fields)
    with connections[database].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = []
    for row in rows:
        (_name, _model, fields, first, last), *related_parts = layout
        instance = model.from_db(database, fields, row[first:last])
        for name, part_model, fields, first, last in related_parts:
            values = row[first:last]
            setattr(instance, name, None if values[0] is None else part_model.from_db(database, fields, values))
        for name, value in zip(annotations, row[start:], strict=True):
            setattr(instance, name, value)
        found.append(instance)
    return found
