from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext as _

from audit.admin import AuditHistoryAdminMixin

from . import permissions, services, workflow
from .models import (
    AtmpProject,
    GroupApplication,
    Invitation,
    Membership,
    ProjectStatusChange,
    RegulatoryMilestone,
    ResearchGroup,
)


class RequestUserFormMixin:
    """Hands the signed-in user to the admin form, whose ``clean()`` asks the same rules as the pages."""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"request_user": request.user})


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


class ResearchGroupAdminForm(forms.ModelForm):
    request_user = None

    def clean(self):
        cleaned = super().clean()
        group = self.instance
        if group.pk is None:
            allowed = permissions.can_set_up_group(self.request_user)
        else:
            allowed = permissions.can_manage_group(self.request_user, group) and (
                "pi" not in self.changed_data or permissions.can_assign_pi(self.request_user, group)
            )
        if not allowed:
            self.add_error(None, _("You may not change this research group."))
        return cleaned


@admin.register(ResearchGroup)
class ResearchGroupAdmin(AuditHistoryAdminMixin, RequestUserFormMixin, admin.ModelAdmin):
    form = ResearchGroupAdminForm
    list_display = ["name", "pi", "organisation_unit", "department", "cost_centre", "billing_category", "active"]
    list_filter = ["active", "organisation_unit", "billing_category"]
    search_fields = ["name", "department", "cost_centre", "pi__username", "pi__last_name"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["pi"]
    list_select_related = ["pi"]
    inlines = [MembershipInline]

    def save_model(self, request, obj, form, change):
        services.save_group(obj, actor=request.user)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # The PI chosen on the group wins over roles edited in the inline.
        services.sync_pi_membership(form.instance)

    def delete_model(self, request, obj):
        services.delete_group(obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for group in queryset:
            self.delete_model(request, group)


class RegulatoryMilestoneInline(admin.TabularInline):
    model = RegulatoryMilestone
    extra = 0


class ProjectStatusChangeInline(admin.TabularInline):
    """The timeline, read-only: entries are written by the workflow only."""

    model = ProjectStatusChange
    extra = 0
    can_delete = False
    fields = readonly_fields = ["at", "from_status", "to_status", "actor", "comment"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


def _transition_action(transition: workflow.Transition):
    """An admin action taking one workflow step through the same service as the pages."""

    def action(modeladmin, request, queryset):
        for project in queryset.select_related("group"):
            try:
                workflow.transition_project(project, transition.name, actor=request.user)
            except services.ProjectError as error:
                modeladmin.message_user(request, f"{project.code}: {error.message}", messages.ERROR)
            else:
                modeladmin.message_user(request, _("%(code)s: done.") % {"code": project.code}, messages.SUCCESS)

    action.__name__ = f"transition_{transition.name}"
    return admin.action(description=transition.label)(action)


class AtmpProjectAdminForm(forms.ModelForm):
    request_user = None

    def clean(self):
        cleaned = super().clean()
        group, lead = cleaned.get("group"), cleaned.get("project_lead")
        try:
            if self.instance.pk is None:
                if group:
                    services.check_can_register(group, actor=self.request_user)
            else:
                services.check_can_edit(self.instance, actor=self.request_user)  # as stored, before this form
            if group and lead:
                services.check_project_lead(group, lead)
        except services.ProjectError as error:
            self.add_error(None, error.message)
        return cleaned


@admin.register(AtmpProject)
class AtmpProjectAdmin(AuditHistoryAdminMixin, RequestUserFormMixin, admin.ModelAdmin):
    form = AtmpProjectAdminForm
    list_display = ["code", "title", "group", "atmp_class", "stage", "status"]
    list_filter = ["status", "atmp_class", "stage"]
    search_fields = ["code", "title", "acronym"]
    readonly_fields = ["code", "status"]
    autocomplete_fields = ["group", "project_lead"]
    list_select_related = ["group"]
    inlines = [RegulatoryMilestoneInline, ProjectStatusChangeInline]
    # Steps that need a comment are taken on the project page, where the comment is written.
    actions = [_transition_action(t) for t in workflow.TRANSITIONS.values() if not t.comment_required]

    def save_model(self, request, obj, form, change):
        if change:
            services.update_project(obj, actor=request.user)
        else:
            services.register_project(obj, actor=request.user)

    def delete_model(self, request, obj):
        services.delete_project(obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for project in queryset:
            self.delete_model(request, project)


class ReadOnlyAdminMixin:
    """Shown, never edited here: the pages' services make every change, with their rules and e-mails."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GroupApplication)
class GroupApplicationAdmin(ReadOnlyAdminMixin, AuditHistoryAdminMixin, admin.ModelAdmin):
    list_display = ["name", "applicant", "organisation_unit", "status", "created_at", "decided_by", "group"]
    list_filter = ["status", "organisation_unit"]
    search_fields = ["name", "applicant__username", "applicant__last_name", "cost_centre"]
    list_select_related = ["applicant", "decided_by", "group"]


@admin.register(Invitation)
class InvitationAdmin(ReadOnlyAdminMixin, AuditHistoryAdminMixin, admin.ModelAdmin):
    list_display = ["email", "group", "role", "invited_by", "created_at", "expires_at", "accepted_at", "revoked_at"]
    list_filter = ["role"]
    search_fields = ["email", "group__name"]
    list_select_related = ["group", "invited_by"]
