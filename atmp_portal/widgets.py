"""Form widgets the portal's pages share."""

import html

from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


def escaped(value) -> str:
    """``value`` as a template writes it: escaped unless marked safe. The same as Django's conditional_escape(),
    without the wrapper for lazy text that costs more than the escaping on a form's hundreds of values."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def attributes_html(attrs: dict) -> SafeString:
    """HTML attributes as Django's ``attrs.html`` writes them: in their order, True as the name alone, False left
    out, every other value as text (escaped unless already safe)."""
    return mark_safe(
        "".join(
            f" {escaped(name)}" + ("" if value is True else f'="{escaped(value)}"')
            for name, value in attrs.items()
            if value is not False
        )
    )


class OptionsSelect(forms.Select):
    """Django's ``<select>``, its options written in one pass of Python.

    Django's template spends several nodes on each option: on a list of the centre's resources, or on a filter
    form of four selects, that costs more than the rest of the page. The HTML is the same.
    """

    def render(self, name, value, attrs=None, renderer=None):
        selected = set(self.format_value(value))
        options = mark_safe("".join(self._options(self.choices, selected)))  # each option escapes its values
        attributes = attributes_html(self.build_attrs(self.attrs, attrs))
        return format_html('<select name="{}"{}>{}</select>', name, attributes, options)

    def _options(self, choices, selected):
        for value, label in choices:
            if isinstance(label, (list, tuple)):
                yield f'<optgroup label="{escaped(value)}">{"".join(self._options(label, selected))}</optgroup>'
            else:
                value = str(value)
                chosen = " selected" if value in selected else ""
                yield f'<option value="{escaped(value)}"{chosen}>{escaped(label)}</option>'


# Django's templates that are its <input> alone (each includes input.html), and its <textarea>.
INPUT_TEMPLATES = {
    f"django/forms/widgets/{kind}.html"
    for kind in (
        "input", "checkbox", "color", "date", "datetime", "email", "file", "hidden", "number", "password", "search",
        "tel", "text", "time", "url",
    )
}  # fmt: skip
TEXTAREA_TEMPLATE = "django/forms/widgets/textarea.html"


class FormRenderer(TemplatesSetting):
    """Widgets rendered by the templates of settings.TEMPLATES (the portal's own first), except Django's
    ``<input>`` and ``<textarea>``, written in Python as those templates write them.

    A template render for each input of a form cost some 70 microseconds, more than the rest of the field. The
    portal overrides none of these templates (a test makes sure it stays so).
    """

    def render(self, template_name, context, request=None):
        if template_name in INPUT_TEMPLATES:
            return input_html(context["widget"])
        if template_name == TEXTAREA_TEMPLATE:
            return textarea_html(context["widget"])
        return super().render(template_name, context, request)


def input_html(widget: dict) -> SafeString:
    """The ``<input>`` of Django's input.html, from its widget context."""
    value = "" if widget["value"] is None else f' value="{escaped(widget["value"])}"'
    type_, name = escaped(widget["type"]), escaped(widget["name"])
    return mark_safe(f'<input type="{type_}" name="{name}"{value}{attributes_html(widget["attrs"])}>')


def textarea_html(widget: dict) -> SafeString:
    """The ``<textarea>`` of Django's textarea.html, from its widget context (the newline keeps a value's own
    first newline)."""
    value = escaped(widget["value"]) if widget["value"] else ""
    name = escaped(widget["name"])
    return mark_safe(f'<textarea name="{name}"{attributes_html(widget["attrs"])}>\n{value}</textarea>')
