"""The tags of the portal's crispy-bootstrap5 field templates (templates/bootstrap5)."""

from django import template
from django.utils.safestring import mark_safe

from atmp_portal import bootstrap_fields

register = template.Library()

FIELD_TEMPLATE = "bootstrap5/field.html"


@register.simple_tag(takes_context=True)
def bootstrap_field(context) -> str:
    """The context's ``field`` as crispy-bootstrap5's ``field.html`` writes it."""
    return mark_safe(bootstrap_fields.field_html(context["field"], context))  # each part escapes its values


@register.simple_tag(takes_context=True)
def bootstrap_choices(context) -> str:
    """The radio buttons or check boxes of the context's ``field``, as crispy-bootstrap5 writes them."""
    return mark_safe(bootstrap_fields.choices_html(context["field"], context))  # each part escapes its values


@register.simple_tag(takes_context=True)
def bootstrap_form_fields(context) -> str:
    """Each field of the context's ``form`` as crispy-bootstrap5's uni_form.html writes them: by its
    ``field_template``, which is field.html unless a form's helper names another."""
    name = context.get("field_template") or FIELD_TEMPLATE
    field_template = None if name == FIELD_TEMPLATE else context.template.engine.get_template(name)
    html = []
    for field in context["form"]:
        with context.push(field=field):
            html.append(
                field_template.render(context) if field_template else bootstrap_fields.field_html(field, context)
            )
    return mark_safe("".join(html))  # each field escapes its values
