"""Yearly reference numbers (``ATMP-YYYY-NNNN``, ``DEV-YYYY-NNNN``) that are unique under concurrency."""

from django.db import connection, models


def take_numbers(counter: type[models.Model], year: int, count: int) -> range:
    """Take the next ``count`` numbers of ``year`` from ``counter`` (fields ``year``, ``last_number``).

    One atomic statement: concurrent callers get distinct numbers, and a number is never reused.
    """
    table = connection.ops.quote_name(counter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (year, last_number) VALUES (%s, %s) "
            f"ON CONFLICT (year) DO UPDATE SET last_number = {table}.last_number + EXCLUDED.last_number "
            "RETURNING last_number",
            [year, count],
        )
        (last,) = cursor.fetchone()
    return range(last - count + 1, last + 1)
