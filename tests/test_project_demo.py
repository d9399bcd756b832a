"""The demo projects: every class and stage, admitted ones to book with, timelines, and idempotent seeding."""

import io

import pytest
from django.core.management import call_command

from projects.models import (
    AtmpClass,
    AtmpProject,
    DevelopmentStage,
    ProjectStatus,
    ProjectStatusChange,
    RegulatoryMilestone,
)

pytestmark = pytest.mark.django_db


def snapshot():
    return {
        "projects": list(AtmpProject.objects.order_by("code").values_list("code", "acronym", "status")),
        "milestones": list(RegulatoryMilestone.objects.order_by("pk").values_list("project__code", "kind", "date")),
        "timeline": list(ProjectStatusChange.objects.order_by("pk").values_list("project__code", "to_status")),
    }


def test_demo_projects_cover_the_portfolio_and_seeding_twice_changes_nothing(settings, mailoutbox):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    first = snapshot()
    call_command("seed_demo", stdout=io.StringIO())
    assert snapshot() == first

    projects = AtmpProject.objects.all()
    assert set(projects.values_list("atmp_class", flat=True)) == set(AtmpClass.values)
    assert set(projects.values_list("stage", flat=True)) == set(DevelopmentStage.values)
    assert set(projects.values_list("status", flat=True)) == set(ProjectStatus.values)
    assert {"HSC-LV", "EXP-HSC", "CAR19"} <= set(projects.admitted().values_list("acronym", flat=True))
    assert first["milestones"]
    for project in projects:
        assert project.status_changes.last().to_status == project.status
    assert mailoutbox == []
