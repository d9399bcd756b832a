"""Form widgets the portal's pages share."""

import html

from django import forms
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe


def attributes_html(attrs: dict) -> SafeString:
    """HTML attributes as Django's ``attrs.html`` writes them: in their order, True as the name alone, False left
    out, every other value as text (escaped unless already safe)."""
    return mark_safe(
        "".join(
            f" {conditional_escape(name)}" + ("" if value is True else f'="{conditional_escape(value)}"')
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
        # The standard library's escape, as Django's escape() is, without its lazy-text wrapper for each value.
        for value, label in choices:
            if isinstance(label, (list, tuple)):
                options = "".join(self._options(label, selected))
                yield f'<optgroup label="{html.escape(str(value))}">{options}</optgroup>'
            else:
                value = str(value)
                chosen = " selected" if value in selected else ""
                yield f'<option value="{html.escape(value)}"{chosen}>{html.escape(str(label))}</option>'
