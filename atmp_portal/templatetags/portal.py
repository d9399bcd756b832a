"""Filters every template has without loading them (settings.TEMPLATES builtins)."""

from django import template

from atmp_portal.people import full_name

register = template.Library()

register.filter("person", full_name)
