"""The project record's vocabulary and consistency: vectors as a multiple choice, stages, milestones and outcomes."""

import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from projects import services
from projects.models import (
    AtmpClass,
    AtmpProject,
    GeneticModification,
    MilestoneKind,
    MilestoneOutcome,
    RegulatoryMilestone,
)
from tests.test_projects_pages import CREATE_URL, project_data

pytestmark = pytest.mark.django_db

GTMP_NEEDS_MODIFICATION = "A gene therapy medicinal product (GTMP) has a genetic modification"
VIRAL_NEEDS_GMO_CLASS = "A viral vector is a genetically modified organism"
NONE_EXCLUDES = "“None” excludes every other modification"


def post_project(client, group, member, **changes):
    client.force_login(member)
    return client.post(CREATE_URL, project_data(group, member, **changes))


class TestModifications:
    def test_a_lentiviral_crispr_edited_car_t_is_recorded_with_both(self, client, group, member):
        response = post_project(client, group, member, genetic_modification=["lentiviral", "gene_editing"])
        assert response.status_code == 302
        project = AtmpProject.objects.get()
        assert project.genetic_modification == ["lentiviral", "gene_editing"]
        page = client.get(project.get_absolute_url()).text
        assert "Lentiviral vector, Genome editing (CRISPR, TALEN, ZFN)" in page

    def test_the_form_offers_every_modification_as_a_check_box(self, client, group, member):
        client.force_login(member)
        page = client.get(CREATE_URL).text
        box = r'type="checkbox" class="form-check-input"\s+name="genetic_modification" value="(\w+)"'
        boxes = re.findall(box, page)
        assert boxes == GeneticModification.values

    @pytest.mark.parametrize(
        ("changes", "message"),
        [
            ({"genetic_modification": ["none", "lentiviral"]}, NONE_EXCLUDES),
            ({"genetic_modification": ["none"]}, GTMP_NEEDS_MODIFICATION),
            ({"genetic_modification": ["lentiviral"], "gmo_class": "0"}, VIRAL_NEEDS_GMO_CLASS),
            ({"genetic_modification": ["aav", "gene_editing"], "gmo_class": "0"}, VIRAL_NEEDS_GMO_CLASS),
            ({"genetic_modification": []}, "This field is required"),
        ],
    )
    def test_an_inconsistent_record_is_refused_with_its_message(self, client, group, member, changes, message):
        response = post_project(client, group, member, **changes)
        assert response.status_code == 200
        assert message in response.text
        assert not AtmpProject.objects.exists()

    @pytest.mark.parametrize(
        "changes",
        [
            {"atmp_class": "sctmp", "genetic_modification": ["none"], "gmo_class": "0"},
            {"genetic_modification": ["mrna", "transfection"], "gmo_class": "0"},
            {"genetic_modification": ["adenoviral"], "gmo_class": "1"},
        ],
    )
    def test_a_consistent_record_is_accepted(self, client, group, member, changes):
        assert post_project(client, group, member, **changes).status_code == 302
        assert AtmpProject.objects.get().genetic_modification == changes["genetic_modification"]

    def test_the_admin_asks_the_same_rules(self, client, group, admin_user):
        client.force_login(admin_user)
        data = {"title": "Registered in the admin", "group": group.pk, "project_lead": group.pi.pk,
                "atmp_class": "gtmp", "cell_origin": "autologous", "genetic_modification": ["lentiviral"],
                "stage": "discovery", "trl": "1", "gmo_class": "0"}  # fmt: skip
        for prefix in ("milestones", "steps", "status_changes"):
            data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
        response = client.post(reverse("admin:projects_atmpproject_add"), data)
        assert response.status_code == 200
        assert VIRAL_NEEDS_GMO_CLASS in response.text
        assert not AtmpProject.objects.exists()
        response = client.post(reverse("admin:projects_atmpproject_add"), {**data, "gmo_class": "2"})
        assert response.status_code == 302

    def test_the_service_refuses_an_inconsistent_record_from_any_caller(self, group):
        project = AtmpProject(
            group=group, project_lead=group.pi, title="Gene therapy without a gene", atmp_class=AtmpClass.GTMP
        )
        with pytest.raises(services.ProjectError, match=re.escape(GTMP_NEEDS_MODIFICATION)):
            services.register_project(project, actor=group.pi)
        assert not AtmpProject.objects.exists()


class TestMilestones:
    def milestone(self, **fields):
        return {"kind": "cat_classification", "date": "2026-01-10", "outcome_date": "2026-03-01", **fields}

    def test_a_cat_classification_can_conclude_not_an_atmp(self, client, group, member):
        response = post_project(client, group, member, milestones=[self.milestone(outcome="not_atmp")])
        assert response.status_code == 302
        milestone = RegulatoryMilestone.objects.get()
        assert milestone.outcome == MilestoneOutcome.NOT_AN_ATMP
        assert "Not an ATMP" in client.get(milestone.project.get_absolute_url()).text

    def test_only_a_cat_classification_concludes_not_an_atmp(self, client, group, member):
        milestones = [self.milestone(kind="scientific_advice", outcome="not_atmp")]
        response = post_project(client, group, member, milestones=milestones)
        assert response.status_code == 200
        assert "Only a CAT classification concludes “not an ATMP”." in response.text
        assert not AtmpProject.objects.exists()

    def test_an_outcome_left_out_is_pending(self, client, group, member):
        post_project(client, group, member, milestones=[self.milestone(kind="gmo_permit", outcome="")])
        milestone = RegulatoryMilestone.objects.get()
        assert (milestone.kind, milestone.outcome) == (MilestoneKind.GMO_PERMIT, MilestoneOutcome.PENDING)


def test_every_demo_project_is_consistent(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    for project in AtmpProject.objects.all():
        assert project.inconsistencies() == {}, project.acronym
    hospital_exemption = AtmpProject.objects.get(acronym="MSC-HE")
    assert hospital_exemption.stage.startswith("phase_")
    assert hospital_exemption.milestones.filter(kind=MilestoneKind.HOSPITAL_EXEMPTION).exists()


VOCABULARY_MIGRATION = ("projects", "0007_vocabulary_and_outcomes")
BEFORE_VOCABULARY = ("projects", "0006_group_applications_invitations")


def migrate(*targets):
    executor = MigrationExecutor(connection)
    executor.migrate(list(targets))
    return executor.loader.project_state(list(targets)).apps


@pytest.mark.django_db(transaction=True)
def test_the_vocabulary_migration_moves_demo_projects_forwards(settings):
    """The demo data taken back to single vectors and "GMP manufacturing", then migrated forwards."""
    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    latest = list(MigrationExecutor(connection).loader.graph.leaf_nodes())
    try:
        old_apps = migrate(BEFORE_VOCABULARY)
        OldProject = old_apps.get_model("projects", "AtmpProject")
        OldProject.objects.filter(acronym="CHONDRO-S").update(stage="gmp_manufacturing")
        assert OldProject.objects.get(acronym="CAR19").genetic_modification == "lentiviral"
        migrate(VOCABULARY_MIGRATION)
    finally:
        migrate(*latest)
    projects = {p.acronym: p for p in AtmpProject.objects.all()}
    assert projects["CHONDRO-S"].stage == "tech_transfer"
    assert projects["CAR19"].genetic_modification == ["lentiviral"]
    assert projects["EXP-HSC"].genetic_modification == ["none"]
    assert projects["HSC-LV"].genetic_modification == ["lentiviral"]


def test_the_demo_facility_is_one_a_gmp_expert_recognises(settings):
    from facilities.models import CleanRoomGrade, Resource, ResourceKind

    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    rooms = Resource.objects.filter(kind=ResourceKind.ROOM)
    assert not rooms.filter(grade=CleanRoomGrade.A_IN_B).exists()
    for cabinet in Resource.objects.filter(kind=ResourceKind.EQUIPMENT, grade=CleanRoomGrade.A_IN_B):
        assert cabinet.room.grade == CleanRoomGrade.B
    assert Resource.objects.get(slug="flow-cytometer").room.grade == CleanRoomGrade.UNCLASSIFIED
    equipment = set(Resource.objects.filter(kind=ResourceKind.EQUIPMENT).values_list("slug", flat=True))
    pre_gmp_suite = {"cell-counter", "isolator-b2", "ln2-storage", "freezer-80", "tube-welder", "tube-sealer",
                     "electroporator-b1", "thawing-device", "particle-counter", "air-sampler"}  # fmt: skip
    assert pre_gmp_suite <= equipment
    # Shown bilingually: the same data serves English and Swedish readers.
    assert all(" / " in name for name in Resource.objects.values_list("name", flat=True))


def test_a_room_is_never_grade_a():
    from django.core.exceptions import ValidationError

    from facilities.models import CleanRoomGrade, Resource, ResourceKind

    room = Resource(kind=ResourceKind.ROOM, grade=CleanRoomGrade.A_IN_B)
    with pytest.raises(ValidationError, match="Grade A is a zone, not a room"):
        room.clean()
