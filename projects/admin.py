from django.contrib import admin, messages
from django.utils.translation import gettext as _

from audit.admin import AuditHistoryAdminMixin

from . import permissions, services
from .models import AtmpProject, Membership, ProjectStatusChange, RegulatoryMilestone, ResearchGroup


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(ResearchGroup)
class ResearchGroupAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    list_display = ["name", "pi", "organisation_unit", "department", "cost_centre", "billing_category", "active"]
    list_filter = ["active", "organisation_unit", "billing_category"]
    search_fields = ["name", "department", "cost_centre", "pi__username", "pi__last_name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["pi"]
    list_select_related = ["pi"]
    inlines = [MembershipInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The PI chosen on the group wins over roles edited in the inline.
        services.sync_pi_membership(form.instance)


class RegulatoryMilestoneInline(admin.TabularInline):
    model = RegulatoryMilestone
    extra = 0


class ProjectStatusChangeInline(admin.TabularInline):
    """The timeline, read-only: entries are written by the workflow service only."""

    model = ProjectStatusChange
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "from_status", "to_status", "actor", "comment"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _transition_action(transition: permissions.Transition):
    """An admin action taking one workflow step through the same service as the pages."""

    def action(modeladmin, request, queryset):
        for project in queryset.select_related("group"):
            try:
                services.transition_project(project, transition.name, actor=request.user)
            except services.ProjectError as error:
                modeladmin.message_user(request, f"{project.code}: {error.message}", messages.ERROR)
            else:
                modeladmin.message_user(request, _("%(code)s: done.") % {"code": project.code}, messages.SUCCESS)

    action.__name__ = f"transition_{transition.name}"
    return admin.action(description=transition.label)(action)


@admin.register(AtmpProject)
class AtmpProjectAdmin(AuditHistoryAdminMixin, admin.ModelAdmin):
    list_display = ["code", "title", "group", "atmp_class", "stage", "status"]
    list_filter = ["status", "atmp_class", "stage"]
    search_fields = ["code", "title", "acronym"]
    readonly_fields = ["code", "status"]
    autocomplete_fields = ["group", "project_lead"]
    list_select_related = ["group"]
    inlines = [RegulatoryMilestoneInline, ProjectStatusChangeInline]
    # Steps that need a comment are taken on the project page, where the comment is written.
    actions = [_transition_action(t) for t in permissions.TRANSITIONS.values() if not t.comment_required]
