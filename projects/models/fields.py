"""Model fields the project record needs beyond Django's own."""

from django import forms
from django.contrib.postgres.fields import ArrayField


class ChoiceArrayField(ArrayField):
    """A list of choices, edited as check boxes (ArrayField's own form field is comma-separated text)."""

    def formfield(self, **kwargs):
        defaults = {
            "form_class": forms.TypedMultipleChoiceField,
            "choices": self.base_field.choices,
            "coerce": self.base_field.to_python,
            "widget": forms.CheckboxSelectMultiple,
            "show_hidden_initial": False,
        }
        # Skip ArrayField.formfield, which would impose its comma-separated SimpleArrayField.
        return super(ArrayField, self).formfield(**{**defaults, **kwargs})
