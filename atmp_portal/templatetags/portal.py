"""Filters every template has without loading them (settings.TEMPLATES builtins)."""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

from atmp_portal.people import full_name
from atmp_portal.widgets import attributes_html

register = template.Library()

register.filter("person", full_name)


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
