"""The years a date may have anywhere in the portal: forms, calendar and report parameters.

Wide enough for any plan, narrow enough that no parameter reaches the edge of Python's dates (a 500)
or makes the portal walk thousands of years (seconds of CPU).
"""

import datetime

from django import forms
from django.core.exceptions import ValidationError
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
