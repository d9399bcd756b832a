"""The project list's filters; the list, the portfolio and the CSV export share them."""

import django_filters
from django.contrib.postgres.search import SearchQuery
from django.utils.translation import gettext_lazy as _

from .models import SEARCH_CONFIG, SEARCH_VECTOR, AtmpClass, AtmpProject, DevelopmentStage, ProjectStatus, ResearchGroup


class ProjectFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="search", max_length=200)
    atmp_class = django_filters.ChoiceFilter(label=_("ATMP class"), choices=AtmpClass.choices)
    stage = django_filters.ChoiceFilter(label=_("Development stage"), choices=DevelopmentStage.choices)
    status = django_filters.ChoiceFilter(label=_("Status"), choices=ProjectStatus.choices)
    group = django_filters.ModelChoiceFilter(
        label=_("Research group"), queryset=ResearchGroup.objects.order_by("name"), to_field_name="slug"
    )
    ordering = django_filters.OrderingFilter(
        label=_("Sort by"),
        fields=(("code", "code"), ("title", "title"), ("group__name", "group"), ("stage", "stage"),
                ("status", "status"), ("updated_at", "updated")),
        field_labels={"code": _("Reference code"), "title": _("Title"), "group__name": _("Research group"),
                      "stage": _("Development stage"), "status": _("Status"), "updated_at": _("Last change")},
    )  # fmt: skip

    class Meta:
        model = AtmpProject
        fields = ["q", "atmp_class", "stage", "status", "group"]

    def search(self, queryset, name, value):
        """Full-text search over code, title, acronym, lay summary and indication, using the GIN index."""
        query = SearchQuery(value, config=SEARCH_CONFIG, search_type="websearch")
        return queryset.alias(search=SEARCH_VECTOR).filter(search=query)
