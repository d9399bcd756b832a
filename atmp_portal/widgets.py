"""Form widgets the portal's pages share."""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe


class OptionsSelect(forms.Select):
    """Django's ``<select>``, its options written in one pass of Python.

    Django's template spends several nodes on each option: on a list of the centre's resources, or on a filter
    form of four selects, that costs more than the rest of the page. The HTML is the same.
    """

    def render(self, name, value, attrs=None, renderer=None):
        selected = set(self.format_value(value))
        options = mark_safe("".join(self._options(self.choices, selected)))  # each option escapes its values
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        return format_html('<select name="{}"{}>{}</select>', name, attributes, options)

    def _options(self, choices, selected):
        for value, label in choices:
            if isinstance(label, (list, tuple)):
                yield f'<optgroup label="{escape(value)}">{"".join(self._options(label, selected))}</optgroup>'
            else:
                chosen = " selected" if str(value) in selected else ""
                yield f'<option value="{escape(value)}"{chosen}>{escape(label)}</option>'
