"""The tags of the portal's crispy-bootstrap5 field templates (templates/bootstrap5)."""

from django import template
from django.utils.safestring import mark_safe

from atmp_portal import bootstrap_fields

register = template.Library()


@register.simple_tag(takes_context=True)
def bootstrap_field(context) -> str:
    """The context's ``field`` as crispy-bootstrap5's ``field.html`` writes it."""
    return mark_safe(bootstrap_fields.field_html(context["field"], context))  # each part escapes its values


@register.simple_tag(takes_context=True)
def bootstrap_choices(context) -> str:
    """The radio buttons or check boxes of the context's ``field``, as crispy-bootstrap5 writes them."""
    return mark_safe(bootstrap_fields.choices_html(context["field"], context))  # each part escapes its values
