from django.urls import path

from . import views

app_name = "projects"

urlpatterns = [
    path("groups/", views.group_list, name="group_list"),
    path("groups/<slug:slug>/", views.group_detail, name="group_detail"),
    path("groups/<slug:slug>/edit/", views.group_edit, name="group_edit"),
    path("groups/<slug:slug>/members/add/", views.member_add, name="member_add"),
    path("groups/<slug:slug>/members/<int:membership_id>/role/", views.member_role, name="member_role"),
    path("groups/<slug:slug>/members/<int:membership_id>/remove/", views.member_remove, name="member_remove"),
]
