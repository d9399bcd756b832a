"""A page of a list and the count of the whole list, read in one query."""

from django.core.paginator import Page, Paginator
from django.db.models import Count, Window

TOTAL = "total_rows"


def counted_page(rows, number, per_page: int) -> Page:
    """Page ``number`` of ``rows`` (a ``values()`` queryset), as ``Paginator.get_page`` answers it.

    The count of all rows comes with the page's rows (``COUNT(*) OVER ()``): one query and one plan rather than
    a count and a page, which for a list of joins costs more in planning than in running. Only for lists of
    modest length: the window reads every row, where a page alone can stop at its last.
    """
    paginator = Paginator(rows, per_page)
    try:
        number = int(number or 1)
    except (TypeError, ValueError):
        number = 1  # as get_page reads a page that is not a number
    if number < 1:
        return paginator.get_page(number)  # as get_page: the last page, counted apart
    start = (number - 1) * per_page
    found = list(rows.annotate(**{TOTAL: Window(Count("*"))})[start : start + per_page])
    if not found and number > 1:
        return paginator.get_page(number)  # past the end: the last page, counted apart
    paginator.count = found[0][TOTAL] if found else 0
    return Page(found, number, paginator)
