from django import forms
from django.utils.translation import gettext_lazy as _

from .models import TokenScope
from .services import EXPIRY_CHOICES_DAYS


class TokenForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100, help_text=_("What the token is for, e.g. the LIMS."))
    scope = forms.ChoiceField(
        label=_("Scope"),
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        widget=forms.RadioSelect,
        help_text=_("Give a program only what it needs: “read” cannot book or cancel."),
    )
    valid_days = forms.TypedChoiceField(
        label=_("Valid for"),
        choices=[(days, _("%(days)s days") % {"days": days}) for days in EXPIRY_CHOICES_DAYS],
        coerce=int,
        initial=90,
    )
