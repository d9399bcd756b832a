"""Applications for new research groups: a user applies, a centre reviewer approves or declines."""

import pytest
from django.urls import reverse
from pghistory.models import Events

from projects import services
from projects.models import ApplicationStatus, GroupApplication, MembershipRole, ResearchGroup

pytestmark = pytest.mark.django_db

APPLY = reverse("projects:application_create")
QUEUE = reverse("projects:application_queue")


def application_data(**changes):
    data = {
        "name": "Islet Transplantation Lab",
        "organisation_unit": "medicine",
        "department": "Department of Clinical Sciences",
        "cost_centre": "MED-9000",
        "description": "Encapsulated islet cells for type 1 diabetes.",
    }
    return {**data, **changes}


@pytest.fixture
def applicant(make_user):
    return make_user("applicant", first_name="Alva", last_name="Sökande")


@pytest.fixture
def application(applicant):
    return services.apply_for_group(actor=applicant, **application_data())


def approve_url(application):
    return reverse("projects:application_approve", args=[application.pk])


def decline_url(application):
    return reverse("projects:application_decline", args=[application.pk])


def test_a_user_applies_and_the_reviewers_hear_of_it(
    client, applicant, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(applicant)
    assert client.get(APPLY).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(APPLY, application_data())
    assert response.status_code == 302
    application = GroupApplication.objects.get()
    assert (application.applicant, application.status) == (applicant, ApplicationStatus.PENDING)
    assert not ResearchGroup.objects.filter(name="Islet Transplantation Lab").exists()
    assert [m.to for m in mailoutbox] == [[reviewer.email]]
    assert "Islet Transplantation Lab" in mailoutbox[0].subject
    page = client.get(reverse("projects:my_applications"))
    assert "Islet Transplantation Lab" in page.text
    assert "Waiting for a decision" in page.text


def test_an_application_for_a_taken_name_is_refused(client, applicant, group):
    client.force_login(applicant)
    response = client.post(APPLY, application_data(name="stem cell lab"))
    assert response.status_code == 200
    assert "exists already" in response.text
    assert not GroupApplication.objects.exists()


def test_a_second_application_for_the_same_name_waits_for_the_first(client, application, member):
    client.force_login(member)
    response = client.post(APPLY, application_data(name="ISLET transplantation lab"))
    assert "is waiting for a decision already" in response.text
    assert GroupApplication.objects.count() == 1


def test_bad_input_shows_errors_and_saves_nothing(client, applicant):
    client.force_login(applicant)
    response = client.post(APPLY, application_data(name="x" * 500, organisation_unit="nowhere", cost_centre=""))
    assert response.status_code == 200
    assert "Ensure this value has at most 200 characters" in response.text
    assert "Select a valid choice" in response.text
    assert not GroupApplication.objects.exists()


def test_a_reviewer_approves_and_the_applicant_becomes_pi(
    client, application, applicant, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(reviewer)
    assert "Islet Transplantation Lab" in client.get(QUEUE).text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(approve_url(application), {"comment": "Welcome."})
    assert response.status_code == 302
    application.refresh_from_db()
    group = application.group
    assert (application.status, application.decided_by) == (ApplicationStatus.APPROVED, reviewer)
    assert (group.name, group.slug, group.pi, group.cost_centre) == (
        "Islet Transplantation Lab",
        "islet-transplantation-lab",
        applicant,
        "MED-9000",
    )
    assert group.memberships.get().role == MembershipRole.PI
    assert [m.to for m in mailoutbox] == [[applicant.email]]
    assert "approved" in mailoutbox[0].body
    queue = client.get(QUEUE).text
    assert "The research group Islet Transplantation Lab was created." in queue
    assert "No applications are waiting." in queue


def test_approval_and_decline_are_in_the_audit_trail(client, application, make_user, reviewer):
    other = services.apply_for_group(actor=make_user(), **application_data(name="Other Lab"))
    client.force_login(reviewer)
    client.post(approve_url(application))
    client.post(decline_url(other), {"comment": "Join the Stem Cell Lab instead."})
    approved = Events.objects.tracks(application).order_by("pgh_id").last()
    declined = Events.objects.tracks(other).order_by("pgh_id").last()
    assert approved.pgh_diff["status"] == ["pending", "approved"]
    assert approved.pgh_context["user"] == reviewer.pk
    assert declined.pgh_diff["status"] == ["pending", "declined"]
    assert declined.pgh_context["reason"] == "Join the Stem Cell Lab instead."


def test_reviewers_read_the_history_of_an_application(client, application, reviewer):
    client.force_login(reviewer)
    client.post(decline_url(application), {"comment": "Join the Stem Cell Lab instead."})
    response = client.get(reverse("audit:object_history", args=["group_application", application.pk]))
    assert response.status_code == 200
    assert "Join the Stem Cell Lab instead." in response.text


def test_a_reviewer_declines_with_a_comment(
    client, application, applicant, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(reviewer)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decline_url(application), {"comment": "Join the Stem Cell Lab instead."})
    assert response.status_code == 302
    application.refresh_from_db()
    assert (application.status, application.group) == (ApplicationStatus.DECLINED, None)
    assert not ResearchGroup.objects.filter(name="Islet Transplantation Lab").exists()
    assert [m.to for m in mailoutbox] == [[applicant.email]]
    assert "Join the Stem Cell Lab instead." in mailoutbox[0].body
    client.force_login(applicant)
    assert "Join the Stem Cell Lab instead." in client.get(reverse("projects:my_applications")).text


def test_declining_asks_for_confirmation_first(client, application, reviewer, mailoutbox):
    client.force_login(reviewer)
    assert f'href="{decline_url(application)}"' in client.get(reverse("projects:application_queue")).text
    response = client.get(decline_url(application))
    assert response.status_code == 200
    assert "Decline the application?" in response.text
    assert 'name="comment"' in response.text
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING
    assert mailoutbox == []
    client.post(decline_url(application), {"comment": "Join the Stem Cell Lab instead."})
    application.refresh_from_db()
    assert application.status == ApplicationStatus.DECLINED


def test_declining_without_a_comment_is_refused_with_a_message(client, application, reviewer, mailoutbox):
    client.force_login(reviewer)
    response = client.post(decline_url(application), {"comment": "  "}, follow=True)
    assert "Declining an application needs a comment saying why." in response.text
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING
    assert mailoutbox == []


def test_a_decided_application_is_not_decided_again(client, application, reviewer):
    client.force_login(reviewer)
    client.post(decline_url(application), {"comment": "No."})
    response = client.post(approve_url(application), follow=True)
    assert "This application was decided already: Declined." in response.text
    assert not ResearchGroup.objects.filter(name="Islet Transplantation Lab").exists()


def test_approval_is_refused_when_the_name_was_taken_meanwhile(client, application, reviewer, make_group):
    make_group("islet-lab", name="Islet Transplantation Lab")
    client.force_login(reviewer)
    response = client.post(approve_url(application), follow=True)
    assert "exists already" in response.text
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING


@pytest.mark.parametrize("who", ["applicant", "member", "facility_user", "pi"])
def test_others_get_403_on_the_queue_and_the_decisions(client, application, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(QUEUE).status_code == 403
    assert client.post(approve_url(application)).status_code == 403
    assert client.post(decline_url(application), {"comment": "No."}).status_code == 403
    application.refresh_from_db()
    assert application.status == ApplicationStatus.PENDING


def test_my_applications_shows_only_mine(client, application, member):
    client.force_login(member)
    response = client.get(reverse("projects:my_applications"))
    assert "Islet Transplantation Lab" not in response.text
    assert "You have not applied for a research group." in response.text


@pytest.mark.parametrize("count", [1, 30])
def test_the_list_pages_run_few_queries_however_many_applications(
    client, applicant, reviewer, count, django_assert_max_num_queries
):
    GroupApplication.objects.bulk_create(
        GroupApplication(applicant=applicant, **application_data(name=f"Lab {n}")) for n in range(count)
    )
    client.force_login(reviewer)
    with django_assert_max_num_queries(10):
        assert client.get(QUEUE).status_code == 200
    client.force_login(applicant)
    with django_assert_max_num_queries(10):
        assert client.get(reverse("projects:my_applications")).status_code == 200


def test_the_pages_speak_swedish(client, application, reviewer):
    client.force_login(reviewer)
    client.post("/i18n/setlang/", {"language": "sv", "next": "/"})
    assert "Ansökningar om nya forskargrupper" in client.get(reverse("dashboard")).text
    queue = client.get(QUEUE).text
    assert "Avslå" in queue
    assert "Kommentar (valfri)" in queue
    response = client.post(decline_url(application), {"comment": ""}, follow=True)
    assert "Att avslå en ansökan kräver en kommentar med motivering." in response.text
