from django.urls import path

from . import views
from .workflow import TRANSITIONS

app_name = "projects"

urlpatterns = [
    path("groups/", views.group_list, name="group_list"),
    path("groups/<slug:slug>/", views.group_detail, name="group_detail"),
    path("groups/<slug:slug>/edit/", views.group_edit, name="group_edit"),
    path("groups/<slug:slug>/members/add/", views.member_add, name="member_add"),
    path("groups/<slug:slug>/members/<int:membership_id>/role/", views.member_role, name="member_role"),
    path("groups/<slug:slug>/members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
    path("groups/<slug:slug>/invitations/", views.invitation_create, name="invitation_create"),
    path(
        "groups/<slug:slug>/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation_revoke",
    ),
    path("invitations/<str:token>/", views.invitation, name="invitation"),
    path("group-applications/", views.my_applications, name="my_applications"),
    path("group-applications/new/", views.application_create, name="application_create"),
    path("group-applications/review/", views.application_queue, name="application_queue"),
    path(
        "group-applications/<int:application_id>/approve/",
        views.application_decide,
        {"approve": True},
        name="application_approve",
    ),
    path(
        "group-applications/<int:application_id>/decline/",
        views.application_decide,
        {"approve": False},
        name="application_decline",
    ),
    path("projects/", views.project_list, name="project_list"),
    path("projects/new/", views.project_create, name="project_create"),
    path("projects/portfolio/", views.project_portfolio, name="project_portfolio"),
    path("projects/export.csv", views.project_export, name="project_export"),
    path("projects/<str:code>/", views.project_detail, name="project_detail"),
    path("projects/<str:code>/edit/", views.project_edit, name="project_edit"),
    # One POST endpoint per workflow step: /projects/<code>/submit/, /accept/, /request-changes/, ...
    *(
        path(
            f"projects/<str:code>/{name.replace('_', '-')}/",
            views.project_transition,
            {"name": name},
            name=f"project_{name}",
        )
        for name in TRANSITIONS
    ),
]
