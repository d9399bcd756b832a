"""The project list's filters; the list, the portfolio and the CSV export share them."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from atmp_portal.widgets import OptionsSelect

from .models import AtmpClass, AtmpProject, DevelopmentStage, ProjectStatus, ResearchGroup

ANY = _("Any")
GROUP_CHOICES_ID = "group-choices"


class ProjectFilterForm(forms.Form):
    """The filter form, styled as Bootstrap controls."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            is_select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = "form-select" if is_select else "form-control"


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    atmp_class = django_filters.ChoiceFilter(
        label=_("ATMP class"), choices=AtmpClass.choices, empty_label=ANY, widget=OptionsSelect
    )
    stage = django_filters.ChoiceFilter(
        label=_("Development stage"), choices=DevelopmentStage.choices, empty_label=ANY, widget=OptionsSelect
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=ProjectStatus.choices, empty_label=ANY, widget=OptionsSelect
    )
    # A slug, typed or picked from the user's own groups (GROUP_CHOICES_ID), not a <select> of every
    # group: for staff that would be hundreds of options on every list page.
    group = django_filters.CharFilter(
        label=_("Research group"),
        field_name="group__slug",
        max_length=ResearchGroup._meta.get_field("slug").max_length,
        widget=forms.TextInput(attrs={"list": GROUP_CHOICES_ID, "placeholder": _("Group slug")}),
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        empty_label=_("Most recently changed first"),
        widget=OptionsSelect,
        fields=(("code", "code"), ("title", "title"), ("group__name", "group"), ("stage_order", "stage"),
                ("status_order", "status"), ("updated_at", "updated")),
        field_labels={"code": _("Reference code"), "title": _("Title"), "group__name": _("Research group"),
                      "stage_order": _("Development stage"), "status_order": _("Status"),
                      "updated_at": _("Last change")},
    )  # fmt: skip

    class Meta:
        model = AtmpProject
        form = ProjectFilterForm
        fields = ["q", "atmp_class", "stage", "status", "group"]

    @staticmethod
    def group_choices(user):
        """The groups offered for the group filter: the user's own active ones, by name."""
        return ResearchGroup.objects.active().with_member(user).order_by("name").only("slug", "name")

    def search(self, queryset, name, value):
        return queryset.matching(value)
