"""Filters every template has without loading them (settings.TEMPLATES builtins)."""

import functools
from decimal import Decimal, InvalidOperation

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

from atmp_portal.people import full_name
from atmp_portal.widgets import attributes_html

register = template.Library()

register.filter("person", full_name)


@register.filter
def label(instance, field_name: str):
    """The label of ``instance``'s choice in ``field_name``, as ``get_<field_name>_display()`` names it.

    From the field's labels read once per process: ``get_FOO_display`` builds a dict of every choice, hashing
    (and so translating) each label, on every call.
    """
    field = instance._meta.get_field(field_name)
    value = getattr(instance, field.attname)
    return _labels(field).get(value, value)


@functools.cache
def _labels(field) -> dict:
    return dict(field.flatchoices)  # lazy labels: translated when shown


@register.filter
def money(amount) -> str:
    """Kronor with thousands separators, "12 345 kr" in Swedish and "12,345 SEK" in English; öre only if any."""
    try:
        amount = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return ""  # as Django's own number filters, nothing rather than an error page
    places = 0 if amount == amount.to_integral_value() else 2
    return _("%(amount)s SEK") % {"amount": formats.number_format(amount, places, force_grouping=True)}


@register.filter(is_safe=True)
def widget_attributes(attrs) -> str:
    """A widget's attributes, in one node rather than Django's ``attrs.html``'s four for each attribute."""
    return attributes_html(attrs)
