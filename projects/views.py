from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from atmp_portal import exports
from atmp_portal.confirmation import confirmation_page
from atmp_portal.dates import local_text
from atmp_portal.links import link_pattern
from atmp_portal.people import full_name
from atmp_portal.rules import require
from atmp_portal.widgets import escaped
from audit.permissions import can_view_history

from . import permissions, reports, services, workflow
from .filters import ProjectFilter
from .forms import (
    AddMemberForm,
    AtmpProjectForm,
    ChangeRoleForm,
    CommentForm,
    DocumentUploadForm,
    GroupApplicationForm,
    InvitationForm,
    MilestoneFormSet,
    ProcessStepFormSet,
    ResearchGroupForm,
)
from .models import (
    AtmpClass,
    AtmpProject,
    DevelopmentStage,
    GroupApplication,
    Invitation,
    Membership,
    ProjectStatus,
    ResearchGroup,
)

GROUPS_PER_PAGE = 25
APPLICATIONS_PER_PAGE = 25
PROJECTS_PER_PAGE = 25
# What the project list shows of each project (and its ordering and filters read).
PROJECT_LIST_FIELDS = ("code", "title", "acronym", "group__name", "atmp_class", "stage", "status", "updated_at")


@require_GET
def group_list(request):
    groups = ResearchGroup.objects.select_related("pi").annotate(member_count=Count("memberships")).order_by("name")
    query = request.GET.get("q", "").strip()
    if query:
        groups = groups.filter(name__icontains=query)
    page = Paginator(groups, GROUPS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "projects/group_list.html", {"page_obj": page, "query": query})


@require_GET
def group_detail(request, slug):
    group = get_object_or_404(ResearchGroup.objects.select_related("pi"), slug=slug)
    return _render_group_detail(request, group)


def _render_group_detail(request, group, add_form=None, invite_form=None, status=200):
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
        "may_view_history": can_view_history(request.user, "group"),
        "add_form": add_form or AddMemberForm(may_assign_pi=may_assign_pi),
        "invitations": group.invitations.pending().select_related("invited_by") if may_manage else [],
        "invite_form": invite_form or InvitationForm(),
    }
    return render(request, "projects/group_detail.html", context, status=status)


def _group(slug):
    return get_object_or_404(ResearchGroup.objects.select_related("pi"), slug=slug)


def group_edit(request, slug):
    group = _group(slug)
    require(permissions.can_manage_group(request.user, group))
    form = ResearchGroupForm(request.POST if request.method == "POST" else None, instance=group)
    if request.method == "POST" and form.is_valid():
        services.save_group(form.save(commit=False), actor=request.user)
        messages.success(request, _("The group was saved."))
        return redirect(group)
    return render(request, "projects/group_form.html", {"group": group, "form": form})


@require_POST
def member_add(request, slug):
    group = _group(slug)
    require(permissions.can_manage_group(request.user, group))
    form = AddMemberForm(request.POST, may_assign_pi=permissions.can_assign_pi(request.user, group))
    if form.is_valid():
        try:
            membership = services.add_member(
                group, identifier=form.cleaned_data["user"], role=form.cleaned_data["role"], actor=request.user
            )
        except services.ProjectError as error:
            form.add_error("user", error.message)
        else:
            messages.success(request, _("%(user)s was added to the group.") % {"user": full_name(membership.user)})
            return redirect(group)
    return _render_group_detail(request, group, add_form=form, status=400)


def _membership(request, slug, membership_id):
    group = _group(slug)
    require(permissions.can_manage_group(request.user, group))
    membership = get_object_or_404(Membership.objects.select_related("user"), pk=membership_id, group=group)
    membership.group = group  # reuse the permission lookups already made on it
    return membership


@require_POST
def member_role(request, slug, membership_id):
    membership = _membership(request, slug, membership_id)
    require(permissions.can_change_membership(request.user, membership))
    may_assign_pi = permissions.can_assign_pi(request.user, membership.group)
    form = ChangeRoleForm(request.POST, may_assign_pi=may_assign_pi, prefix=f"m{membership.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles offered."))
    else:
        try:
            services.change_role(membership, form.cleaned_data["role"], actor=request.user)
        except services.ProjectError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("%(user)s is now %(role)s.")
                % {"user": full_name(membership.user), "role": membership.get_role_display()},
            )
    return redirect(membership.group)


@require_http_methods(["GET", "POST"])
def member_remove(request, slug, membership_id):
    membership = _membership(request, slug, membership_id)
    require(permissions.can_change_membership(request.user, membership))
    if request.method == "GET":
        return confirmation_page(
            request,
            title=_("Remove %(user)s from the group?") % {"user": full_name(membership.user)},
            consequence=_(
                "%(user)s leaves %(group)s and no longer sees its projects or books for them, until added again."
            )
            % {"user": full_name(membership.user), "group": membership.group.name},
            action_label=_("Remove"),
            back_url=membership.group.get_absolute_url(),
        )
    try:
        services.remove_member(membership, actor=request.user)
    except services.ProjectError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(user)s was removed from the group.") % {"user": full_name(membership.user)})
    return redirect(membership.group)


@require_POST
def invitation_create(request, slug):
    group = _group(slug)
    require(permissions.can_invite(request.user, group))
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation, _token = services.invite_member(
                group, email=form.cleaned_data["email"], role=form.cleaned_data["role"], actor=request.user
            )
        except services.ProjectError as error:
            form.add_error("email", error.message)
        else:
            messages.success(request, _("An invitation was sent to %(email)s.") % {"email": invitation.email})
            return redirect(group)
    return _render_group_detail(request, group, invite_form=form, status=400)


@require_POST
def invitation_revoke(request, slug, invitation_id):
    group = _group(slug)
    require(permissions.can_manage_group(request.user, group))
    invitation = get_object_or_404(Invitation, pk=invitation_id, group=group)
    invitation.group = group  # reuse the permission lookups already made on it
    try:
        services.revoke_invitation(invitation, actor=request.user)
    except services.ProjectError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The invitation to %(email)s was revoked.") % {"email": invitation.email})
    return redirect(group)


def invitation(request, token):
    """The invited person's page: the invitation and, while it is usable, the button that accepts it."""
    found = services.find_invitation(token)
    if found is None:
        raise Http404
    if not permissions.can_accept_invitation(request.user, found):
        return render(request, "projects/invitation_wrong_user.html", status=403)
    if request.method == "POST":
        try:
            services.accept_invitation(found, actor=request.user)
        except services.ProjectError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Welcome to %(group)s.") % {"group": found.group})
            return redirect(found.group)
    try:
        services.check_invitation_usable(found)
    except services.ProjectError as error:
        refusal = error.message
    else:
        refusal = ""
    return render(request, "projects/invitation.html", {"invitation": found, "refusal": refusal})


# Applications for new research groups


def application_create(request):
    require(permissions.can_apply_for_group(request.user))
    form = GroupApplicationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.apply_for_group(actor=request.user, **form.cleaned_data)
        except services.ProjectError as error:
            form.add_error("name", error.message)
        else:
            messages.success(request, _("Your application was sent to the centre's reviewers."))
            return redirect("projects:my_applications")
    return render(request, "projects/application_form.html", {"form": form})


@require_GET
def my_applications(request):
    applications = GroupApplication.objects.filter(applicant=request.user).select_related("group")
    page = Paginator(applications, APPLICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "projects/my_applications.html", {"page_obj": page})


@require_GET
def application_queue(request):
    require(permissions.can_decide_group_applications(request.user))
    applications = GroupApplication.objects.pending().select_related("applicant").order_by("created_at", "pk")
    page = Paginator(applications, APPLICATIONS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "projects/application_queue.html", {"page_obj": page})


@require_http_methods(["GET", "POST"])
def application_decide(request, application_id, approve):
    # Declining has no way back, so its URL shows a confirmation page; approving is a POST only.
    if approve and request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    require(permissions.can_decide_group_applications(request.user))
    application = get_object_or_404(GroupApplication, pk=application_id)
    if request.method == "GET":
        return confirmation_page(
            request,
            title=_("Decline the application?"),
            consequence=_("No research group %(name)s is created; the applicant receives your comment by e-mail.")
            % {"name": application.name},
            action_label=_("Decline"),
            back_url=reverse("projects:application_queue"),
            form=CommentForm(required=True),
        )
    try:
        comment = CommentForm.posted(request.POST)
        if approve:
            group = services.approve_group_application(application, actor=request.user, comment=comment)
        else:
            services.decline_group_application(application, actor=request.user, comment=comment)
    except services.ProjectError as error:
        messages.error(request, error.message)
    else:
        if approve:
            messages.success(request, _("The research group %(group)s was created.") % {"group": group})
        else:
            messages.success(request, _("The application for %(name)s was declined.") % {"name": application.name})
    return redirect("projects:application_queue")


# ATMP projects


def _filtered_projects(request):
    """The projects this user may see, narrowed by the list's filters; an invalid filter shows none."""
    projects = AtmpProject.objects.visible_to(request.user)
    filterset = ProjectFilter(
        request.GET or None, queryset=projects.with_workflow_order().order_by("-updated_at", "code")
    )
    if filterset.is_bound and not filterset.is_valid():
        return filterset, projects.none()
    return filterset, filterset.qs


def _filter_context(request, filterset):
    """What the filter form partial needs: the filter and the groups its datalist offers."""
    return {"filter": filterset, "group_choices": list(ProjectFilter.group_choices(request.user))}


def _project_rows(projects) -> list[str]:
    """The list's rows of ``projects`` (values of PROJECT_LIST_FIELDS), each written as one string: a template
    would render a dozen nodes per row. Links and labels are looked up here once, not per row."""
    # Each label translated once, not once per row.
    class_labels, stage_labels, status_labels = (
        {choice.value: str(choice.label) for choice in choices}
        for choices in (AtmpClass, DevelopmentStage, ProjectStatus)
    )
    project_page = link_pattern("projects:project_detail")
    rows = []
    for project in projects:
        code, title = escaped(project["code"]), escaped(project["title"])
        if project["acronym"]:
            title = f"<strong>{escaped(project['acronym'])}</strong> · {title}"
        class_label = class_labels.get(project["atmp_class"], project["atmp_class"])
        stage_label = stage_labels.get(project["stage"], project["stage"])
        status_label = status_labels.get(project["status"], project["status"])
        rows.append(
            mark_safe(  # every value escaped
                f'<tr><td><a href="{escaped(project_page.format(project["code"]))}">{code}</a></td>'
                f"<td>{title}</td><td>{escaped(project['group__name'])}</td><td>{escaped(class_label)}</td>"
                f"<td>{escaped(stage_label)}</td>"
                f'<td><span class="badge text-bg-secondary">{escaped(status_label)}</span></td>'
                f"<td>{escaped(local_text(project['updated_at'], 'SHORT_DATE_FORMAT'))}</td></tr>\n"
            )
        )
    return rows


@require_GET
def project_list(request):
    filterset, projects = _filtered_projects(request)
    page = Paginator(projects, PROJECTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        **_filter_context(request, filterset),
        "page_obj": page,
        "rows": _project_rows(page.object_list.values(*PROJECT_LIST_FIELDS)),  # counted without the group's join
        "may_register": permissions.can_register_project(request.user),
        "may_see_portfolio": permissions.can_see_portfolio(request.user),
    }
    return render(request, "projects/project_list.html", context)


@require_GET
def project_portfolio(request):
    require(permissions.can_see_portfolio(request.user))
    filterset, projects = _filtered_projects(request)
    context = {**_filter_context(request, filterset), "matrix": reports.class_stage_matrix(projects)}
    return render(request, "projects/portfolio.html", context)


@require_GET
def project_export(request):
    require(permissions.can_see_portfolio(request.user))
    _filterset, projects = _filtered_projects(request)
    table = reports.projects_table(projects.select_related("group", "project_lead"))
    return exports.csv_download(request, table, f"atmp-projects-{timezone.localdate():%Y-%m-%d}")


def _visible_project(request, code):
    projects = AtmpProject.objects.visible_to(request.user).select_related("group__pi", "project_lead")
    return get_object_or_404(projects, code=code)


@require_GET
def project_detail(request, code):
    project = _visible_project(request, code)
    context = {
        "project": project,
        "milestones": project.milestones.all(),
        "steps": project.steps.order_by("pk"),  # one project's: the default order by project joins it again
        "timeline": project.status_changes.select_related("actor"),
        "may_edit": permissions.can_edit_project(request.user, project),
        "transitions": workflow.available_transitions(request.user, project),
        "may_view_history": can_view_history(request.user, "project"),
    }
    return render(request, "projects/project_detail.html", context)


def _project_form(request, project):
    """Render or save the project form with its milestones; the service decides whether saving is allowed."""
    data = request.POST if request.method == "POST" else None
    form = AtmpProjectForm(data, instance=project, user=request.user)
    milestones = MilestoneFormSet(data, instance=project, prefix="milestones")
    steps = ProcessStepFormSet(data, instance=project, prefix="steps")
    # The project form first: the steps are checked against the project's class as entered.
    if data is not None and form.is_valid() and all([milestones.is_valid(), steps.is_valid()]):
        save = services.update_project if project.pk else services.register_project
        try:
            project = save(form.save(commit=False), actor=request.user, milestones=milestones, steps=steps)
        except services.ProjectError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Project %(code)s was saved.") % {"code": project.code})
            return redirect(project)
    context = {"form": form, "milestones": milestones, "steps": steps, "project": project}
    return render(request, "projects/project_form.html", context)


def project_create(request):
    require(permissions.can_register_project(request.user))
    return _project_form(request, AtmpProject())


def project_edit(request, code):
    project = _visible_project(request, code)
    require(permissions.can_edit_project(request.user, project))
    return _project_form(request, project)


@require_http_methods(["GET", "POST"])
def project_transition(request, code, name):
    project = _visible_project(request, code)
    transition = workflow.TRANSITIONS[name]
    require(permissions.can_transition(request.user, project, transition))
    if request.method == "GET":
        return confirmation_page(
            request,
            title=_("%(action)s %(code)s?") % {"action": transition.label, "code": project.code},
            consequence=_("%(code)s goes from %(from)s to %(to)s; those who follow the project are told.")
            % {
                "code": project.code,
                "from": project.get_status_display(),
                "to": ProjectStatus(transition.target).label,
            },
            action_label=transition.label,
            back_url=project.get_absolute_url(),
            form=CommentForm(required=transition.comment_required),
        )
    try:
        workflow.transition_project(project, name, actor=request.user, comment=CommentForm.posted(request.POST))
    except services.ProjectError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("%(code)s is now %(status)s.") % {"code": project.code, "status": project.get_status_display()}
        )
    return redirect(project)


# Project documents


def project_documents(request, code):
    """The project's documents, every version; the group's members upload new ones here."""
    project = _visible_project(request, code)
    may_upload = permissions.can_upload_document(request.user, project)
    form = DocumentUploadForm()
    status = 200
    if request.method == "POST":
        require(may_upload)
        form = DocumentUploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                document = services.upload_document(project, actor=request.user, **form.cleaned_data)
            except services.ProjectError as error:
                form.add_error("file", error.message)
            else:
                messages.success(request, _("%(document)s was uploaded.") % {"document": document})
                return redirect("projects:project_documents", code=project.code)
        status = 400
    context = {
        "project": project,
        "documents": project.documents.select_related("uploaded_by"),
        "form": form if may_upload else None,
    }
    return render(request, "projects/project_documents.html", context, status=status)


@require_GET
def document_download(request, code, pk):
    """One document's file, to those who see the project; others get 404, as for the project itself."""
    project = _visible_project(request, code)
    document = get_object_or_404(project.documents, pk=pk)
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=document.download_name,
        content_type=document.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response
