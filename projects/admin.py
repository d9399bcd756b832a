from django.contrib import admin

from . import services
from .models import AtmpProject, Membership, ResearchGroup


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(ResearchGroup)
class ResearchGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "pi", "organisation_unit", "department", "cost_centre", "active"]
    list_filter = ["active", "organisation_unit"]
    search_fields = ["name", "department", "cost_centre", "pi__username", "pi__last_name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["pi"]
    list_select_related = ["pi"]
    inlines = [MembershipInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The PI chosen on the group wins over roles edited in the inline.
        services.sync_pi_membership(form.instance)


@admin.register(AtmpProject)
class AtmpProjectAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "group", "atmp_class", "stage", "status"]
    list_filter = ["status", "atmp_class", "stage"]
    search_fields = ["code", "title", "acronym"]
    readonly_fields = ["code", "status"]
    autocomplete_fields = ["group", "project_lead"]
    list_select_related = ["group"]
