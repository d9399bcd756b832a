"""The years a date may have anywhere in the portal: forms, calendar and report parameters.

Wide enough for any plan, narrow enough that no parameter reaches the edge of Python's dates (a 500)
or makes the portal walk thousands of years (seconds of CPU).
"""

import datetime
import functools

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

FIRST_YEAR, LAST_YEAR = 2000, 2100

OUT_OF_RANGE = _("Give a date in the years %(first)s to %(last)s.")


def in_range(value: datetime.date) -> bool:
    return FIRST_YEAR <= value.year <= LAST_YEAR


def validate_year(value: datetime.date) -> None:
    if not in_range(value):
        raise ValidationError(OUT_OF_RANGE, code="year_out_of_range", params={"first": FIRST_YEAR, "last": LAST_YEAR})


class DateField(forms.DateField):
    default_validators = [validate_year]


class DateTimeField(forms.DateTimeField):
    default_validators = [validate_year]


def local_text(moment: datetime.date | datetime.datetime, format_name: str) -> str:
    """``moment`` (a datetime as the local clock reads it) as the named format (``"DATETIME_FORMAT"``) writes it
    in the active language, as the ``date`` filter does.

    The texts are kept per process: the rows of a list come again on every load of the list, the text of a moment
    in a language never changes, and Django's date formatting costs more than the rest of a row.
    """
    if isinstance(moment, datetime.datetime):
        moment = timezone.localtime(moment).replace(tzinfo=None)
    return _formatted(moment, format_name, get_language())


@functools.lru_cache(maxsize=4096)
def _formatted(moment: datetime.date | datetime.datetime, format_name: str, language: str) -> str:
    return formats.date_format(moment, format_name)  # in ``language``, the active one: part of the key
