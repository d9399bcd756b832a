"""Reads written out in SQL once per process, for the few queries that nearly every page of a kind runs.

Through the ORM, building such a query and its model instances costs several times what PostgreSQL takes to
answer it; written out, the query's text is made once and each page pays for the answer alone.
"""

from django.db import connections, router


def columns(model, alias: str) -> str:
    """The model's columns as ``instances`` reads them, each prefixed with the table's ``alias``."""
    return ", ".join(f"{alias}.{field.column}" for field in model._meta.concrete_fields)


def instances(model, sql: str, params, annotations: tuple[str, ...] = ()) -> list:
    """The instances of ``model`` that ``sql`` reads: its first columns are ``columns(model, …)``, the rest
    are kept on each instance under the names of ``annotations``, as ``QuerySet.annotate`` would."""
    database = router.db_for_read(model)
    fields = [field.attname for field in model._meta.concrete_fields]
    count = len(fields)
    with connections[database].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = []
    for row in rows:
        instance = model.from_db(database, fields, row[:count])
        for name, value in zip(annotations, row[count:], strict=True):
            setattr(instance, name, value)
        found.append(instance)
    return found
