"""The project workflow: every step, taken and refused by every role, with its timeline entry and e-mail."""

import logging
import threading

import pytest
from django.db import connection
from django.urls import reverse

from projects import services, workflow
from projects.models import AtmpProject, ProjectStatus, ProjectStatusChange
from projects.workflow import TRANSITIONS

pytestmark = pytest.mark.django_db

ROLES = ["pi", "lead", "member", "outsider", "reviewer", "facility_user", "admin_user"]
# Who may take each step; everybody else is refused.
ALLOWED = {
    "submit": {"pi", "lead"},
    "withdraw": {"pi", "lead"},
    "start_review": {"reviewer", "admin_user"},
    "accept": {"reviewer", "admin_user"},
    "reject": {"reviewer", "admin_user"},
    "request_changes": {"reviewer", "admin_user"},
    "activate": {"reviewer", "facility_user", "admin_user"},
    "complete": {"reviewer", "facility_user", "admin_user"},
}
STEPS = [(name, source) for name, transition in TRANSITIONS.items() for source in transition.sources]


def transition_url(project, name):
    return reverse(f"projects:project_{name}", args=[project.code])


@pytest.fixture
def people(pi, lead, member, outsider, reviewer, facility_user, admin_user):
    return {
        "pi": pi,
        "lead": lead,
        "member": member,
        "outsider": outsider,
        "reviewer": reviewer,
        "facility_user": facility_user,
        "admin_user": admin_user,
    }


def test_the_table_covers_every_step():
    assert set(ALLOWED) == set(TRANSITIONS)
    assert TRANSITIONS["request_changes"].target == ProjectStatus.DRAFT
    assert {name for name, t in TRANSITIONS.items() if t.comment_required} == {"reject", "request_changes"}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "source"), STEPS)
def test_every_step_by_every_role(client, group, lead, people, make_project, name, source, role):
    project = make_project(group, status=source, project_lead=lead)
    client.force_login(people[role])
    url = transition_url(project, name)
    refused = 404 if role == "outsider" else 403

    assert client.get(url).status_code == (200 if role in ALLOWED[name] else refused)  # a confirmation page
    project.refresh_from_db()
    assert project.status == source

    response = client.post(url, {"comment": "Reasons given."})
    project.refresh_from_db()
    if role in ALLOWED[name]:
        assert response.status_code == 302
        assert project.status == TRANSITIONS[name].target
        entry = project.status_changes.get()
        assert (entry.from_status, entry.to_status, entry.actor, entry.comment) == (
            source,
            TRANSITIONS[name].target,
            people[role],
            "Reasons given.",
        )
    else:
        assert response.status_code == refused
        assert project.status == source
        assert not project.status_changes.exists()


@pytest.mark.parametrize(("name", "wrong_status"), [("accept", "draft"), ("submit", "accepted"), ("complete", "draft")])
def test_a_step_from_the_wrong_status_is_refused(client, group, admin_user, pi, make_project, name, wrong_status):
    project = make_project(group, status=wrong_status)
    client.force_login(admin_user if name != "submit" else pi)
    assert client.post(transition_url(project, name)).status_code == 403
    project.refresh_from_db()
    assert project.status == wrong_status


@pytest.mark.parametrize("name", ["reject", "request_changes"])
def test_reject_and_request_changes_need_a_comment(client, group, reviewer, make_project, name):
    project = make_project(group, status=ProjectStatus.UNDER_REVIEW)
    client.force_login(reviewer)
    response = client.post(transition_url(project, name), {"comment": "   "}, follow=True)
    assert "needs a comment" in response.text
    project.refresh_from_db()
    assert project.status == ProjectStatus.UNDER_REVIEW
    assert not project.status_changes.exists()


def test_a_full_life_leaves_a_timeline_on_the_project_page(client, group, pi, reviewer, facility_user, make_project):
    project = make_project(group)
    steps = [
        (pi, "submit", ""),
        (reviewer, "request_changes", "Add the vector's GMO notification."),
        (pi, "submit", "Notification added."),
        (reviewer, "start_review", ""),
        (reviewer, "accept", "Welcome to the facility."),
        (facility_user, "activate", ""),
        (facility_user, "complete", "Tech transfer to GMP done."),
    ]
    for actor, name, comment in steps:
        client.force_login(actor)
        assert client.post(transition_url(project, name), {"comment": comment}).status_code == 302
    project.refresh_from_db()
    assert project.status == ProjectStatus.COMPLETED
    timeline = list(project.status_changes.values_list("from_status", "to_status"))
    assert timeline == [
        ("draft", "submitted"),
        ("submitted", "draft"),
        ("draft", "submitted"),
        ("submitted", "under_review"),
        ("under_review", "accepted"),
        ("accepted", "active"),
        ("active", "completed"),
    ]
    page = client.get(project.get_absolute_url()).text
    assert "Add the vector&#x27;s GMO notification." in page
    assert "Tech transfer to GMP done." in page


@pytest.mark.parametrize(
    ("name", "status", "who"), [("withdraw", "draft", "pi"), ("reject", "under_review", "reviewer")]
)
def test_withdrawing_or_rejecting_asks_for_confirmation_first(client, group, people, make_project, name, status, who):
    project = make_project(group, status=status)
    client.force_login(people[who])
    url = transition_url(project, name)
    page = client.get(project.get_absolute_url()).text
    assert f'href="{url}"' in page
    assert f'id="comment-{name}"' not in page  # the comment is asked on the confirmation page
    response = client.get(url)
    assert response.status_code == 200
    assert "This cannot be undone." in response.text
    assert 'name="comment"' in response.text
    project.refresh_from_db()
    assert project.status == status
    client.post(url, {"comment": "The funding ended."})
    project.refresh_from_db()
    assert project.status == {"withdraw": "withdrawn", "reject": "rejected"}[name]


def test_buttons_show_only_the_steps_the_user_may_take(client, group, pi, member, reviewer, make_project):
    project = make_project(group, status=ProjectStatus.SUBMITTED)
    client.force_login(reviewer)
    page = client.get(project.get_absolute_url()).text
    assert transition_url(project, "start_review") in page
    assert transition_url(project, "request_changes") in page
    assert transition_url(project, "withdraw") not in page
    client.force_login(pi)
    page = client.get(project.get_absolute_url()).text
    assert transition_url(project, "withdraw") in page
    assert transition_url(project, "start_review") not in page
    client.force_login(member)
    assert "Next steps" not in client.get(project.get_absolute_url()).text


class TestMail:
    def test_submit_tells_the_reviewers(
        self, client, group, pi, reviewer, make_project, mailoutbox, django_capture_on_commit_callbacks
    ):
        project = make_project(group)
        client.force_login(pi)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(transition_url(project, "submit"))
        assert len(mailoutbox) == 1
        assert mailoutbox[0].to == [reviewer.email]
        assert project.code in mailoutbox[0].subject
        assert project.get_absolute_url() in mailoutbox[0].body

    def test_a_decision_tells_the_pi_and_the_lead(
        self, client, group, pi, lead, reviewer, make_project, mailoutbox, django_capture_on_commit_callbacks
    ):
        project = make_project(group, status=ProjectStatus.UNDER_REVIEW, project_lead=lead)
        client.force_login(reviewer)
        with django_capture_on_commit_callbacks(execute=True):
            client.post(transition_url(project, "reject"), {"comment": "Not an ATMP."})
        assert len(mailoutbox) == 1
        assert sorted(mailoutbox[0].to) == sorted([pi.email, lead.email])
        assert "Not an ATMP." in mailoutbox[0].body

    def test_a_decision_reaches_each_person_in_their_language_whoever_decided(
        self, client, group, pi, lead, reviewer, make_project, mailoutbox, django_capture_on_commit_callbacks
    ):
        from facilities.models import NotificationPreferences

        NotificationPreferences.objects.create(user=pi, language="sv")
        project = make_project(group, status=ProjectStatus.UNDER_REVIEW, project_lead=lead)
        client.force_login(reviewer)
        client.post("/i18n/setlang/", {"language": "sv", "next": "/"})  # the reviewer works in Swedish
        with django_capture_on_commit_callbacks(execute=True):
            client.post(transition_url(project, "reject"), {"comment": "Not an ATMP."})
        by_address = {message.to[0]: message for message in mailoutbox}
        assert set(by_address) == {pi.email, lead.email}
        assert "har ändrat status" in by_address[pi.email].body
        assert "changed the status" in by_address[lead.email].body
        assert by_address[lead.email].extra_headers["Auto-Submitted"] == "auto-generated"

    def test_no_mail_before_the_commit(self, client, group, pi, reviewer, make_project, mailoutbox):
        client.force_login(pi)
        client.post(transition_url(make_project(group), "submit"))
        assert mailoutbox == []  # the test's transaction never commits

    def test_a_failing_mail_server_does_not_break_the_step(
        self, client, settings, group, pi, reviewer, make_project, caplog, django_capture_on_commit_callbacks
    ):
        settings.EMAIL_BACKEND = "tests.test_calendar_feeds.BrokenMailBackend"
        project = make_project(group)
        client.force_login(pi)
        with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
            response = client.post(transition_url(project, "submit"))
        assert response.status_code == 302
        project.refresh_from_db()
        assert project.status == ProjectStatus.SUBMITTED
        assert f"Could not send “{project.code} is now Submitted”" in caplog.text


class TestAdmin:
    def test_status_is_read_only_and_actions_use_the_rules(self, client, group, admin_user, make_project):
        draft = make_project(group)
        submitted = make_project(group, status=ProjectStatus.SUBMITTED)
        client.force_login(admin_user)
        change_page = client.get(reverse("admin:projects_atmpproject_change", args=[draft.pk])).text
        assert 'name="status"' not in change_page
        changelist = reverse("admin:projects_atmpproject_changelist")
        client.post(changelist, {"action": "transition_start_review", "_selected_action": [draft.pk, submitted.pk]})
        draft.refresh_from_db()
        submitted.refresh_from_db()
        assert draft.status == ProjectStatus.DRAFT  # no review of a draft, not even by an administrator
        assert submitted.status == ProjectStatus.UNDER_REVIEW
        assert submitted.status_changes.get().actor == admin_user


@pytest.mark.django_db(transaction=True)
def test_twenty_projects_created_at_once_get_twenty_codes(group):
    codes, errors = [], []
    start = threading.Barrier(20)

    def create():
        try:
            start.wait()
            project = AtmpProject.objects.create(title="Concurrent", group=group, project_lead=group.pi)
            codes.append(project.code)
        except Exception as error:  # collected and shown by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=create) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(codes)) == 20
    assert all(code.startswith("ATMP-") for code in codes)


def test_codes_count_per_year_and_are_never_reused(group, make_project):
    first = make_project(group)
    first.delete()
    second = make_project(group)
    assert second.code != first.code
    assert int(second.code[-4:]) == int(first.code[-4:]) + 1


def test_a_lost_race_between_two_reviewers_changes_nothing(group, reviewer, admin_user, make_project):
    project = make_project(group, status=ProjectStatus.UNDER_REVIEW)
    stale_copy = AtmpProject.objects.get(pk=project.pk)
    workflow.transition_project(project, "accept", actor=reviewer)
    with pytest.raises(services.ProjectError):
        workflow.transition_project(stale_copy, "reject", actor=admin_user, comment="Too late.")
    assert ProjectStatusChange.objects.filter(project=project).count() == 1


@pytest.mark.parametrize(("name", "who"), [("accept", "member"), ("accept", "facility_user"), ("submit", "member")])
def test_the_service_refuses_who_may_not_whoever_calls_it(group, people, make_project, name, who):
    source = TRANSITIONS[name].sources[0]
    project = make_project(group, status=source)
    with pytest.raises(services.ProjectError, match="or you may not do this"):
        workflow.transition_project(project, name, actor=people[who], comment="Reasons given.")
    project.refresh_from_db()
    assert project.status == source
    assert not project.status_changes.exists()
