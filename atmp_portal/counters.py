"""Yearly reference numbers (``ATMP-YYYY-NNNN``, ``DEV-YYYY-NNNN``) that are unique under concurrency."""

from django.db import connection, models


class YearlyCounter(models.Model):
    """The last number given per year; numbers are never reused."""

    year = models.PositiveIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.year}: {self.last_number}"

    @classmethod
    def take(cls, year: int, count: int = 1) -> range:
        """Take the next ``count`` numbers of ``year`` in one atomic statement: concurrent callers get distinct ones."""
        table = connection.ops.quote_name(cls._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} (year, last_number) VALUES (%s, %s) "
                f"ON CONFLICT (year) DO UPDATE SET last_number = {table}.last_number + EXCLUDED.last_number "
                "RETURNING last_number",
                [year, count],
            )
            (last,) = cursor.fetchone()
        return range(last - count + 1, last + 1)
