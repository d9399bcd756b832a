from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import permissions, services
from .forms import AddMemberForm, ChangeRoleForm, ResearchGroupForm
from .models import AtmpProject, Membership, ResearchGroup

GROUPS_PER_PAGE = 25


def group_list(request):
    groups = ResearchGroup.objects.select_related("pi").annotate(member_count=Count("memberships")).order_by("name")
    query = request.GET.get("q", "").strip()
    if query:
        groups = groups.filter(name__icontains=query)
    page = Paginator(groups, GROUPS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "projects/group_list.html", {"page_obj": page, "query": query})


def group_detail(request, slug):
    group = get_object_or_404(ResearchGroup.objects.select_related("pi"), slug=slug)
    return _render_group_detail(request, group)


def _render_group_detail(request, group, add_form=None, status=200):
    may_manage = permissions.can_manage_group(request.user, group)
    may_assign_pi = permissions.can_assign_pi(request.user, group)
    memberships = group.memberships.select_related("user").order_by("role", "user__username")
    rows = [
        {
            "membership": membership,
            "may_change": may_manage and permissions.can_change_membership(request.user, membership),
            "role_form": ChangeRoleForm(
                initial={"role": membership.role}, may_assign_pi=may_assign_pi, prefix=f"m{membership.pk}"
            ),
        }
        for membership in memberships
    ]
    projects = AtmpProject.objects.visible_to(request.user).filter(group=group).order_by("code")
    context = {
        "group": group,
        "member_rows": rows,
        "projects": projects,
        "may_manage": may_manage,
        "add_form": add_form or AddMemberForm(may_assign_pi=may_assign_pi),
    }
    return render(request, "projects/group_detail.html", context, status=status)


def _group_for_manager(request, slug):
    group = get_object_or_404(ResearchGroup.objects.select_related("pi"), slug=slug)
    if not permissions.can_manage_group(request.user, group):
        raise PermissionDenied
    return group


def group_edit(request, slug):
    group = _group_for_manager(request, slug)
    form = ResearchGroupForm(request.POST or None, instance=group)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("The group was saved."))
        return redirect(group)
    return render(request, "projects/group_form.html", {"group": group, "form": form})


@require_POST
def member_add(request, slug):
    group = _group_for_manager(request, slug)
    form = AddMemberForm(request.POST, may_assign_pi=permissions.can_assign_pi(request.user, group))
    if form.is_valid():
        try:
            membership = services.add_member(group, form.cleaned_data["user"], form.cleaned_data["role"])
        except services.ProjectError as error:
            form.add_error("user", error.message)
        else:
            messages.success(request, _("%(user)s was added to the group.") % {"user": membership.user})
            return redirect(group)
    return _render_group_detail(request, group, add_form=form, status=400)


def _membership_for_change(request, slug, membership_id):
    group = _group_for_manager(request, slug)
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id, group=group)
    membership.group = group  # reuse the permission lookups already made on it
    if not permissions.can_change_membership(request.user, membership):
        raise PermissionDenied
    return membership


@require_POST
def member_role(request, slug, membership_id):
    membership = _membership_for_change(request, slug, membership_id)
    may_assign_pi = permissions.can_assign_pi(request.user, membership.group)
    form = ChangeRoleForm(request.POST, may_assign_pi=may_assign_pi, prefix=f"m{membership.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles offered."))
    else:
        try:
            services.change_role(membership, form.cleaned_data["role"])
        except services.ProjectError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("%(user)s is now %(role)s.") % {"user": membership.user, "role": membership.get_role_display()},
            )
    return redirect(membership.group)


@require_POST
def member_remove(request, slug, membership_id):
    membership = _membership_for_change(request, slug, membership_id)
    try:
        services.remove_member(membership)
    except services.ProjectError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(user)s was removed from the group.") % {"user": membership.user})
    return redirect(membership.group)
