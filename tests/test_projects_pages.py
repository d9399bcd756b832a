"""Project pages: registration and editing, who sees what, search, filters, the portfolio and the export."""

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse

from projects import services
from projects.filters import ProjectFilter
from projects.models import AtmpClass, AtmpProject, DevelopmentStage, ProjectStatus, RegulatoryMilestone
from tests.helpers import csv_frame, csv_rows, rendered_nodes

pytestmark = pytest.mark.django_db

LIST_URL = reverse("projects:project_list")
CREATE_URL = reverse("projects:project_create")
PORTFOLIO_URL = reverse("projects:project_portfolio")
EXPORT_URL = reverse("projects:project_export")


def project_data(group, lead, milestones=(), steps=(), **changes):
    data = {
        "title": "Lentiviral gene therapy of haematopoietic stem cells",
        "acronym": "HSC-LV",
        "group": group.pk,
        "project_lead": lead.pk,
        "lay_summary": "Repairing a patient's own blood stem cells.",
        "description": "",
        "atmp_class": "gtmp",
        "cell_origin": "autologous",
        "starting_material": "Mobilised peripheral blood CD34+ cells",
        "genetic_modification": "lentiviral",
        "indication": "Severe combined immunodeficiency",
        "therapeutic_area": "Haematology",
        "stage": "process_development",
        "trl": "4",
        "gmo_class": "2",
        "gmo_reference": "GMO-2026-17",
        "ethics_reference": "Dnr 2026-00001-01",
        "hospital_partners": "Fictive University Hospital",
        "industry_partners": "",
        "academic_partners": "",
        "rooms_needed": "Grade B suite",
        "equipment_needed": "Closed cell processing system",
        "expected_start": "2026-09-01",
        "expected_end": "2027-03-31",
        "campaign_days": "14",
        "milestones-TOTAL_FORMS": str(len(milestones)),
        "milestones-INITIAL_FORMS": "0",
        "milestones-MIN_NUM_FORMS": "0",
        "milestones-MAX_NUM_FORMS": "1000",
        "steps-TOTAL_FORMS": str(len(steps)),
        "steps-INITIAL_FORMS": "0",
    }
    for prefix, items in (("milestones", milestones), ("steps", steps)):
        for index, item in enumerate(items):
            data.update({f"{prefix}-{index}-{key}": value for key, value in item.items()})
    return {**data, **changes}


CTA = {"kind": "clinical_trial_application", "date": "2026-05-01", "outcome_date": "2026-08-01", "reference": "CT-1"}


class TestRegistration:
    def test_a_member_registers_a_draft_with_milestones(self, client, group, member):
        client.force_login(member)
        assert client.get(CREATE_URL).status_code == 200
        response = client.post(CREATE_URL, project_data(group, member, milestones=[CTA]))
        project = AtmpProject.objects.get()
        assert response.status_code == 302
        assert response["Location"] == project.get_absolute_url()
        assert project.code.startswith("ATMP-")
        assert project.status == ProjectStatus.DRAFT
        assert project.project_lead == member
        assert project.milestones.get().reference == "CT-1"
        assert project.status_changes.get().to_status == ProjectStatus.DRAFT

    def test_the_form_offers_only_the_users_groups(self, client, group, member, make_group):
        other = make_group("other-lab", name="Other Lab")
        client.force_login(member)
        page = client.get(CREATE_URL).text
        assert "Stem Cell Lab" in page
        assert "Other Lab" not in page
        response = client.post(CREATE_URL, project_data(other, other.pi))
        assert response.status_code == 200
        assert "Select a valid choice" in response.text
        assert not AtmpProject.objects.exists()

    def test_the_lead_must_belong_to_the_group(self, client, group, member, outsider):
        client.force_login(member)
        response = client.post(CREATE_URL, project_data(group, outsider))
        assert response.status_code == 200
        assert not AtmpProject.objects.exists()

    def test_people_without_a_group_cannot_register(self, client, make_user, reviewer):
        client.force_login(make_user())
        assert client.get(CREATE_URL).status_code == 403
        client.force_login(reviewer)
        assert client.post(CREATE_URL, {}).status_code == 403

    @pytest.mark.parametrize(
        ("changes", "milestones", "message"),
        [
            ({"atmp_class": "magic"}, [], "Select a valid choice"),
            ({"stage": "phase_4"}, [], "Select a valid choice"),
            ({"genetic_modification": "teleportation"}, [], "Select a valid choice"),
            ({"trl": "0"}, [], "greater than or equal to 1"),
            ({"trl": "10"}, [], "less than or equal to 9"),
            ({"title": "x" * 5000}, [], "at most 300 characters"),
            ({"lay_summary": "x" * 111_000}, [], "at most 3000 characters (it has 111000)"),
            ({"description": "x" * 10_001}, [], "at most 10000 characters"),
            ({"expected_start": "2027-01-01", "expected_end": "2026-01-01"}, [], "comes before its start"),
            ({}, [{**CTA, "date": "2026-09-01", "outcome_date": "2026-01-01"}], "comes before the application"),
            ({}, [{**CTA, "kind": "approval_by_magic"}], "Select a valid choice"),
        ],
    )
    def test_bad_input_shows_errors_and_writes_nothing(self, client, group, member, changes, milestones, message):
        client.force_login(member)
        response = client.post(CREATE_URL, project_data(group, member, milestones=milestones, **changes))
        assert response.status_code == 200
        assert message in response.text
        assert not AtmpProject.objects.exists()
        assert not RegulatoryMilestone.objects.exists()


class TestEditing:
    def edit_url(self, project):
        return reverse("projects:project_edit", args=[project.code])

    def test_members_edit_a_draft_and_its_milestones(self, client, group, member, make_project):
        project = make_project(group)
        RegulatoryMilestone.objects.create(project=project, kind="prime", date="2026-01-01")
        client.force_login(member)
        assert client.get(self.edit_url(project)).status_code == 200
        milestone = project.milestones.get()
        data = project_data(group, group.pi, title="Renamed", milestones=[{**CTA, "id": milestone.pk, "DELETE": "on"}])
        data["milestones-INITIAL_FORMS"] = "1"
        assert client.post(self.edit_url(project), data).status_code == 302
        project.refresh_from_db()
        assert project.title == "Renamed"
        assert not project.milestones.exists()

    @pytest.mark.parametrize("status", [ProjectStatus.SUBMITTED, ProjectStatus.ACCEPTED])
    def test_nobody_but_an_administrator_edits_after_submission(self, client, group, member, status, make_project):
        project = make_project(group, status=status)
        client.force_login(member)
        assert client.get(self.edit_url(project)).status_code == 403
        assert client.post(self.edit_url(project), project_data(group, group.pi, title="Sneaky")).status_code == 403
        project.refresh_from_db()
        assert project.title != "Sneaky"

    @pytest.mark.parametrize(("who", "status_code"), [("reviewer", 403), ("facility_user", 403), ("outsider", 404)])
    def test_others_cannot_edit(self, client, group, make_project, request, who, status_code):
        project = make_project(group)
        client.force_login(request.getfixturevalue(who))
        assert client.get(self.edit_url(project)).status_code == status_code
        assert client.post(self.edit_url(project), project_data(group, group.pi)).status_code == status_code


class TestServicesRefuseWhoMayNot:
    """Registering and editing refuse in the service, whoever calls it: a page, the admin or a command."""

    def test_only_members_register_for_their_group(self, group, outsider, reviewer, member):
        for actor in (outsider, reviewer):
            project = AtmpProject(group=group, project_lead=group.pi, title="Not theirs")
            with pytest.raises(services.ProjectError, match="Only members of Stem Cell Lab register"):
                services.register_project(project, actor=actor)
        assert not AtmpProject.objects.exists()
        project = services.register_project(AtmpProject(group=group, project_lead=member, title="Theirs"), actor=member)
        assert project.status_changes.get().to_status == ProjectStatus.DRAFT

    def test_the_lead_must_belong_to_the_group(self, group, member, outsider):
        project = AtmpProject(group=group, project_lead=outsider, title="Led from outside")
        with pytest.raises(services.ProjectError, match="project lead must be a member"):
            services.register_project(project, actor=member)
        assert not AtmpProject.objects.exists()

    @pytest.mark.parametrize(("who", "status"), [("outsider", ProjectStatus.DRAFT), ("reviewer", ProjectStatus.DRAFT),
                                                 ("member", ProjectStatus.SUBMITTED)])  # fmt: skip
    def test_only_members_edit_and_only_drafts(self, group, make_project, request, who, status):
        project = make_project(group, status=status)
        project.title = "Changed"
        with pytest.raises(services.ProjectError, match="only while it is a draft"):
            services.update_project(project, actor=request.getfixturevalue(who))
        project.refresh_from_db()
        assert project.title != "Changed"

    def test_administrators_correct_the_record_after_submission(self, group, admin_user, make_project):
        project = make_project(group, status=ProjectStatus.ACCEPTED)
        project.title = "Corrected"
        services.update_project(project, actor=admin_user)
        project.refresh_from_db()
        assert (project.title, project.status) == ("Corrected", ProjectStatus.ACCEPTED)

    def test_only_administrators_delete(self, group, pi, admin_user, make_project):
        project = make_project(group)
        with pytest.raises(PermissionDenied):
            services.delete_project(project, actor=pi)
        services.delete_project(project, actor=admin_user)
        assert not AtmpProject.objects.filter(pk=project.pk).exists()


class TestAdmin:
    def admin_data(self, group, lead, **changes):
        data = {"title": "Registered in the admin", "group": group.pk, "project_lead": lead.pk, "atmp_class": "sctmp",
                "cell_origin": "autologous", "genetic_modification": "none", "stage": "discovery", "trl": "1",
                "gmo_class": "0"}  # fmt: skip
        for prefix in ("milestones", "steps", "status_changes"):
            data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
        return {**data, **changes}

    def test_registering_in_the_admin_opens_the_timeline(self, client, group, admin_user):
        client.force_login(admin_user)
        response = client.post(reverse("admin:projects_atmpproject_add"), self.admin_data(group, group.pi))
        assert response.status_code == 302
        project = AtmpProject.objects.get()
        assert project.status == ProjectStatus.DRAFT
        assert project.status_changes.get().actor == admin_user

    def test_the_admin_asks_the_project_lead_rule(self, client, group, admin_user, outsider):
        client.force_login(admin_user)
        response = client.post(reverse("admin:projects_atmpproject_add"), self.admin_data(group, outsider))
        assert response.status_code == 200
        assert "The project lead must be a member of the research group." in response.text
        assert not AtmpProject.objects.exists()


class TestVisibility:
    @pytest.mark.parametrize("who", ["pi", "member", "reviewer", "facility_user", "admin_user"])
    def test_the_group_and_the_centre_see_a_project(self, client, group, make_project, request, who):
        project = make_project(group, title="Secret science")
        client.force_login(request.getfixturevalue(who))
        assert client.get(project.get_absolute_url()).status_code == 200
        assert "Secret science" in client.get(LIST_URL).text

    def test_everybody_else_gets_404_and_an_empty_list(self, client, group, outsider, make_project):
        project = make_project(group, title="Secret science")
        client.force_login(outsider)
        assert client.get(project.get_absolute_url()).status_code == 404
        assert client.get(reverse("projects:project_edit", args=[project.code])).status_code == 404
        assert client.post(reverse("projects:project_submit", args=[project.code])).status_code == 404
        assert "Secret science" not in client.get(LIST_URL).text
        assert client.get(reverse("projects:project_detail", args=["ATMP-2000-0001"])).status_code == 404


def test_markup_in_any_field_is_shown_escaped(client, group, pi, reviewer, make_project):
    markup = "<script>alert(1)</script>"
    project = make_project(
        group,
        title=markup,
        acronym="<b>X</b>",
        lay_summary=markup,
        indication=markup,
        hospital_partners=markup,
        rooms_needed=markup,
        status=ProjectStatus.SUBMITTED,
    )
    RegulatoryMilestone.objects.create(project=project, kind="other", date="2026-01-01", note=markup)
    client.force_login(reviewer)
    client.post(reverse("projects:project_request_changes", args=[project.code]), {"comment": markup})
    for url in (project.get_absolute_url(), LIST_URL, reverse("dashboard")):
        page = client.get(url).text
        assert markup not in page and "<b>X</b>" not in page, url
    assert client.get(project.get_absolute_url()).text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 6


class TestListAndSearch:
    @pytest.fixture
    def projects(self, group, make_project):
        return {
            "hsc": make_project(
                group, title="Lentiviral stem cell therapy", atmp_class=AtmpClass.GTMP, stage="authorised"
            ),
            "cartilage": make_project(
                group, title="Chondrocyte implant", indication="Cartilage defects", atmp_class=AtmpClass.TEP
            ),
            "cart": make_project(
                group, title="CAR-T cells", acronym="CAR19", status=ProjectStatus.ACTIVE, stage="phase_1"
            ),
        }

    def codes(self, client, **params):
        response = client.get(LIST_URL, params)
        assert response.status_code == 200
        return {p.code for p in response.context["page_obj"]}

    def test_search_filters_and_sorting(self, client, reviewer, projects):
        client.force_login(reviewer)
        assert self.codes(client, q="cartilage") == {projects["cartilage"].code}  # indication, stemmed
        assert self.codes(client, q="CAR19") == {projects["cart"].code}
        assert self.codes(client, q=projects["hsc"].code) == {projects["hsc"].code}
        assert self.codes(client, atmp_class="tep") == {projects["cartilage"].code}
        assert self.codes(client, status="active", stage="phase_1") == {projects["cart"].code}
        assert self.codes(client, group="stem-cell-lab") == {p.code for p in projects.values()}
        response = client.get(LIST_URL, {"ordering": "title"})
        assert [p.title for p in response.context["page_obj"]] == sorted(p.title for p in projects.values())
        response = client.get(LIST_URL, {"ordering": "stage"})  # along development, not alphabetical
        assert [p.stage for p in response.context["page_obj"]] == ["discovery", "phase_1", "authorised"]

    def test_the_search_finds_each_searched_field_by_its_words(self, client, reviewer, group, make_project, projects):
        lay = make_project(group, title="Islet transplant", lay_summary="Insulin-producing cells for diabetes.")
        client.force_login(reviewer)
        assert self.codes(client, q="chondrocytes") == {projects["cartilage"].code}  # title, stemmed
        assert self.codes(client, q="diabetes") == {lay.code}  # lay summary
        assert self.codes(client, q="cells") == {projects["hsc"].code, projects["cart"].code, lay.code}  # stemmed
        assert self.codes(client, q="cells -diabetes") == {projects["hsc"].code, projects["cart"].code}  # web search
        assert self.codes(client, q='"stem cell"') == {projects["hsc"].code}
        assert self.codes(client, q="melanoma") == set()

    def test_the_search_finds_a_project_by_its_changed_title_at_once(self, client, reviewer, projects):
        project = projects["cartilage"]
        project.title = "Meniscus scaffold"
        project.save()
        client.force_login(reviewer)
        assert self.codes(client, q="meniscus") == {project.code}

    def test_the_list_pages_through_the_projects(self, client, reviewer, group, make_many_projects):
        make_many_projects(group, 30)
        client.force_login(reviewer)
        first, second = client.get(LIST_URL), client.get(LIST_URL, {"page": 2})
        shown = [project.code for page in (first, second) for project in page.context["page_obj"]]
        assert len(first.context["rows"]) == 25
        assert sorted(shown) == sorted(AtmpProject.objects.values_list("code", flat=True))
        assert "Page 2 of 2" in second.text

    def test_unknown_filter_values_show_nothing_and_no_error(self, client, reviewer, projects):
        client.force_login(reviewer)
        assert self.codes(client, atmp_class="magic") == set()
        assert self.codes(client, group="no-such-group") == set()

    def test_the_group_filter_offers_only_the_users_own_groups(self, client, pi, group, make_group, reviewer):
        """Typing a slug filters by any group; the datalist suggests only one's own, so it stays short."""
        others = [make_group(f"other-lab-{n}") for n in range(5)]
        make_group("closed-lab", pi=pi, active=False)
        client.force_login(pi)
        response = client.get(LIST_URL)
        assert [g.slug for g in response.context["group_choices"]] == [group.slug]
        assert f'<option value="{group.slug}">' in response.content.decode()
        assert "closed-lab" not in response.content.decode()
        client.force_login(reviewer)
        response = client.get(LIST_URL, {"group": others[0].slug})
        assert response.context["group_choices"] == []
        assert "other-lab-1" not in response.content.decode()
        assert response.context["filter"].form["group"].value() == others[0].slug

    def test_the_search_uses_the_gin_index(self, group, make_many_projects):
        make_many_projects(group, 300)
        queryset = ProjectFilter({"q": "cartilage"}, queryset=AtmpProject.objects.all()).qs
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
        assert "project_search_gin" in plan


def measured_queries(client, url, django_assert_max_num_queries, make_more):
    with django_assert_max_num_queries(40) as few:
        assert client.get(url).status_code == 200
    make_more()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
    return len(few.captured_queries)


@pytest.mark.parametrize("url_name", ["project_list", "project_portfolio"])
def test_list_and_portfolio_queries_do_not_grow_with_projects(
    client, group, reviewer, make_many_projects, django_assert_max_num_queries, url_name
):
    client.force_login(reviewer)
    make_many_projects(group, 5)
    measured_queries(
        client,
        reverse(f"projects:{url_name}"),
        django_assert_max_num_queries,
        lambda: make_many_projects(group, 195, start=9100),
    )


def test_search_queries_do_not_grow_with_projects(
    client, group, reviewer, make_many_projects, django_assert_max_num_queries
):
    client.force_login(reviewer)
    make_many_projects(group, 5)
    measured_queries(
        client,
        f"{LIST_URL}?q=autologous",
        django_assert_max_num_queries,
        lambda: make_many_projects(group, 195, start=9100),
    )


@pytest.mark.parametrize("query", ["", "?q=autologous&status=draft&ordering=stage"])
def test_the_list_renders_as_many_template_nodes_for_a_full_page_of_many_projects_as_for_a_full_page(
    client, group, reviewer, make_many_projects, monkeypatch, query
):
    """Each row costs the same few nodes, the filter's options none of their own: a page's work is bounded."""
    client.force_login(reviewer)
    make_many_projects(group, 25)
    full_page = rendered_nodes(client, LIST_URL + query, monkeypatch)
    make_many_projects(group, 500, start=9100)
    assert rendered_nodes(client, LIST_URL + query, monkeypatch) <= full_page + 10  # the pagination links


def test_a_project_list_row_costs_one_template_node(client, group, reviewer, make_many_projects, monkeypatch):
    client.force_login(reviewer)
    make_many_projects(group, 1)
    one_row = rendered_nodes(client, LIST_URL, monkeypatch)
    make_many_projects(group, 9, start=9100)
    assert rendered_nodes(client, LIST_URL, monkeypatch) - one_row <= 9  # a row is one string


@pytest.mark.parametrize(
    ("language", "labels"),
    [
        ("en", ["Under review", "Somatic cell therapy medicinal product (sCTMP)"]),
        ("sv", ["Under granskning", "Läkemedel för somatisk cellterapi (sCTMP)"]),
    ],
)
def test_the_detail_names_each_choice_by_its_label_in_the_reader_s_language(
    client, group, reviewer, make_project, language, labels
):
    project = make_project(group, status=ProjectStatus.UNDER_REVIEW, atmp_class=AtmpClass.SCTMP)
    client.force_login(reviewer)
    page = client.get(project.get_absolute_url(), headers={"accept-language": language}).text
    for label in labels:
        assert label in page


def test_the_filter_options_cost_no_template_nodes(client, group, reviewer, monkeypatch):
    client.force_login(reviewer)
    with_options = rendered_nodes(client, LIST_URL, monkeypatch)
    response = client.get(LIST_URL, {"status": "active"})
    assert '<option value="active" selected>' in response.text
    assert response.text.count("<option") >= len(AtmpClass) + len(DevelopmentStage) + len(ProjectStatus)
    assert rendered_nodes(client, f"{LIST_URL}?status=active", monkeypatch) == with_options


def test_detail_queries_do_not_grow_with_projects_milestones_or_timeline(
    client, group, pi, reviewer, make_project, make_many_projects, django_assert_max_num_queries
):
    project = make_project(group, status=ProjectStatus.UNDER_REVIEW)
    make_many_projects(group, 5)
    client.force_login(reviewer)

    def make_more():
        make_many_projects(group, 195, start=9100)
        RegulatoryMilestone.objects.bulk_create(
            RegulatoryMilestone(project=project, kind="other", date="2026-01-01") for _ in range(20)
        )
        project.status_changes.bulk_create(
            project.status_changes.model(project=project, from_status="draft", to_status="submitted", actor=pi)
            for _ in range(20)
        )

    measured_queries(client, project.get_absolute_url(), django_assert_max_num_queries, make_more)


class TestPortfolio:
    def test_counts_by_class_and_stage(self, client, group, reviewer, make_many_projects):
        make_many_projects(group, 3, atmp_class=AtmpClass.TEP, stage=DevelopmentStage.PRECLINICAL)
        make_many_projects(group, 2, start=9100, atmp_class=AtmpClass.GTMP, stage=DevelopmentStage.PHASE_I)
        client.force_login(reviewer)
        response = client.get(PORTFOLIO_URL)
        matrix = response.context["matrix"]
        rows = {row["value"]: row for row in matrix["rows"]}
        assert rows["tep"]["cells"][DevelopmentStage.values.index("preclinical")] == 3
        assert rows["gtmp"]["total"] == 2
        assert matrix["total"] == 5
        assert "<svg" in response.text and "<script>" not in response.text.split("</main>")[0]
        assert client.get(PORTFOLIO_URL, {"atmp_class": "tep"}).context["matrix"]["total"] == 3

    @pytest.mark.parametrize("url", [PORTFOLIO_URL, EXPORT_URL])
    @pytest.mark.parametrize("who", ["pi", "member", "outsider"])
    def test_only_the_centre_sees_the_portfolio_and_export(self, client, group, request, url, who):
        client.force_login(request.getfixturevalue(who))
        assert client.get(url).status_code == 403

    def test_csv_export_of_the_filtered_list(self, client, group, facility_user, make_project):
        make_project(group, title="=HYPERLINK(evil)", atmp_class=AtmpClass.TEP)
        make_project(group, title="Other", atmp_class=AtmpClass.GTMP)
        client.force_login(facility_user)
        response = client.get(EXPORT_URL, {"atmp_class": "tep"})
        assert response["Content-Type"].startswith("text/csv")
        rows = csv_rows(response)
        assert rows[0][0] == "Reference code"
        assert len(rows) == 2
        assert rows[1][2] == "'=HYPERLINK(evil)"

    def test_the_csv_export_opens_in_pandas_and_in_swedish_excel(self, client, group, facility_user, make_project):
        lead = group.pi
        lead.first_name, lead.last_name = "Anna", "Berg"
        lead.save()
        make_project(group, title="Återställd immunförsvar", atmp_class=AtmpClass.TEP, trl=4, project_lead=lead)
        client.force_login(facility_user)
        frame = csv_frame(client.get(EXPORT_URL, {"dialect": "excel"}))
        assert frame["TRL"].tolist() == [4]
        assert frame["Project lead"].tolist() == ["Anna Berg"]
        swedish = csv_frame(client.get(EXPORT_URL, {"dialect": "excel-sv"}), sep=";", decimal=",")
        assert swedish["Title"].tolist() == ["Återställd immunförsvar"]
        assert swedish["TRL"].tolist() == [4]


def test_reviewers_find_the_queue_on_the_dashboard(client, group, reviewer, member, make_project):
    waiting = make_project(group, title="Waiting for review", status=ProjectStatus.SUBMITTED)
    make_project(group, title="Still a draft")
    client.force_login(reviewer)
    page = client.get(reverse("dashboard")).text
    assert "Projects waiting for review" in page
    assert waiting.get_absolute_url() in page
    assert "Still a draft" not in page
    client.force_login(member)
    assert "Projects waiting for review" not in client.get(reverse("dashboard")).text


def test_navigation_links_by_role(client, member, reviewer):
    client.force_login(member)
    page = client.get(reverse("dashboard")).text
    assert f'href="{LIST_URL}"' in page
    assert f'href="{PORTFOLIO_URL}"' not in page
    client.force_login(reviewer)
    assert f'href="{PORTFOLIO_URL}"' in client.get(reverse("dashboard")).text
