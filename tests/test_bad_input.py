"""Property-based: whatever is posted to the project, booking, group-application and invitation forms, or
put in the query string of the list and calendar pages, the portal answers with a page or a clear refusal
(never a 500) and a refusal writes nothing."""

import datetime

import pytest
from django.apps import apps
from django.db import models
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from facilities.models import Booking, Closure, Qualification
from projects.models import (
    AtmpClass,
    AtmpProject,
    DevelopmentStage,
    GroupApplication,
    Invitation,
    Membership,
    ProjectStatusChange,
    RegulatoryMilestone,
    ResearchGroup,
)

FUZZ = settings(
    max_examples=40,
    deadline=None,
    database=None,  # no example database in the checkout
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
pytestmark = pytest.mark.slow

TRACKED_TABLES = (AtmpProject, RegulatoryMilestone, ProjectStatusChange, Booking, Closure, Qualification)

junk = st.text(max_size=60)
numbers = st.integers(min_value=-(10**12), max_value=10**12).map(str)
dates = st.dates().map(str)
datetimes = st.datetimes().map(lambda moment: moment.isoformat(sep=" ", timespec="minutes"))
anything = st.one_of(junk, numbers, dates, datetimes, st.just(""))


def row_counts():
    """The rows of every table a form may write, with their audit events: a refusal changes none."""
    return {
        model.__name__: (model.objects.count(), model.pgh_event_model.objects.count())
        if hasattr(model, "pgh_event_model")
        else (model.objects.count(),)
        for model in TRACKED_TABLES
    }


def post_and_check(client, url, data):
    before = row_counts()
    response = client.post(url, data)  # an exception in the view fails the test: the client re-raises it
    assert response.status_code in (200, 302, 400, 403, 404)
    if response.status_code != 302:
        assert row_counts() == before
    return response


PROJECT_FIELDS = ("title", "acronym", "lay_summary", "description", "indication", "starting_material", "gmo_reference")


@pytest.mark.django_db
class TestProjectForm:
    @FUZZ
    @given(data=st.data())
    def test_arbitrary_project_posts_are_answered_cleanly(self, client, member, data):
        client.force_login(member)
        group = member.memberships.get().group
        form = {name: data.draw(anything, label=name) for name in PROJECT_FIELDS}
        form.update(
            group=data.draw(st.one_of(st.just(str(group.pk)), anything), label="group"),
            project_lead=data.draw(st.one_of(st.just(str(member.pk)), anything), label="project_lead"),
            atmp_class=data.draw(st.one_of(st.sampled_from(AtmpClass.values), junk), label="atmp_class"),
            stage=data.draw(st.one_of(st.sampled_from(DevelopmentStage.values), junk), label="stage"),
            trl=data.draw(st.one_of(numbers, junk), label="trl"),
            gmo_class=data.draw(st.one_of(numbers, junk), label="gmo_class"),
            **{
                "milestones-TOTAL_FORMS": data.draw(st.one_of(st.just("1"), numbers, junk), label="total"),
                "milestones-INITIAL_FORMS": data.draw(st.one_of(st.just("0"), numbers, junk), label="initial"),
                "milestones-0-kind": data.draw(junk, label="kind"),
                "milestones-0-date": data.draw(st.one_of(dates, junk), label="milestone date"),
            },
        )
        post_and_check(client, "/projects/new/", form)


@pytest.mark.django_db
class TestBookingForm:
    @FUZZ
    @given(data=st.data())
    def test_arbitrary_booking_posts_are_answered_cleanly(
        self, client, booker, room, equipment, admitted_project, data
    ):
        client.force_login(booker)
        form = {
            "resource": data.draw(st.one_of(st.sampled_from([str(room.pk), room.slug]), anything), label="resource"),
            "project": data.draw(st.one_of(st.just(str(admitted_project.pk)), anything), label="project"),
            "start": data.draw(st.one_of(datetimes, junk), label="start"),
            "end": data.draw(st.one_of(datetimes, junk), label="end"),
            "entrants": data.draw(st.one_of(st.just(str(booker.pk)), numbers, junk), label="entrants"),
            "purpose": data.draw(junk, label="purpose"),
            "equipment": data.draw(st.one_of(st.just(str(equipment.pk)), anything), label="equipment"),
            "repeat_weekdays": data.draw(st.lists(st.one_of(numbers, junk), max_size=3), label="weekdays"),
            "repeat_until": data.draw(st.one_of(dates, junk), label="repeat until"),
        }
        post_and_check(client, "/bookings/new/", form)

    @FUZZ
    @given(start=st.datetimes(min_value=datetime.datetime(2000, 1, 1)), hours=st.integers(-48, 48))
    def test_plausible_periods_are_booked_or_refused_in_words(
        self, client, booker, room, admitted_project, start, hours
    ):
        client.force_login(booker)
        end = start + datetime.timedelta(hours=hours)
        form = {
            "resource": room.pk,
            "project": admitted_project.pk,
            "start": start.isoformat(sep=" ", timespec="minutes"),
            "end": end.isoformat(sep=" ", timespec="minutes"),
            "entrants": booker.pk,
            "purpose": "Fuzzed process run",
        }
        response = post_and_check(client, "/bookings/new/", form)
        if response.status_code == 200:
            assert 'class="invalid-feedback' in response.content.decode() or "alert" in response.content.decode()


GROUP_TABLES = (GroupApplication, Invitation, Membership, ResearchGroup)


def group_row_counts():
    return {model.__name__: model.objects.count() for model in GROUP_TABLES}


@pytest.mark.django_db
class TestGroupForms:
    """Applications, decisions and invitations: a refusal writes nothing, an answer is never a 500."""

    @FUZZ
    @given(data=st.data())
    def test_arbitrary_applications_and_decisions_are_answered_cleanly(self, client, member, reviewer, data):
        client.force_login(member)
        form = {name: data.draw(anything, label=name) for name in ("name", "department", "cost_centre", "description")}
        form["organisation_unit"] = data.draw(st.one_of(st.just("medicine"), junk), label="organisation_unit")
        before = group_row_counts()
        response = client.post("/group-applications/new/", form)
        assert response.status_code in (200, 302, 400)
        if response.status_code != 302:
            assert group_row_counts() == before
        application = GroupApplication.objects.first()
        if application:
            client.force_login(reviewer)
            action = data.draw(st.sampled_from(["approve", "decline"]), label="action")
            url = f"/group-applications/{application.pk}/{action}/"
            assert client.post(url, {"comment": data.draw(anything, label="comment")}).status_code in (302, 400)

    @FUZZ
    @given(data=st.data())
    def test_arbitrary_invitations_are_answered_cleanly(self, client, group, pi, data):
        client.force_login(pi)
        form = {
            "invite-email": data.draw(st.one_of(st.emails(), anything), label="email"),
            "invite-role": data.draw(st.one_of(st.sampled_from(["member", "manager", "pi"]), junk), label="role"),
        }
        before = group_row_counts()
        response = client.post(f"/groups/{group.slug}/invitations/", form)
        assert response.status_code in (302, 400)
        if response.status_code != 302:
            assert group_row_counts() == before


PARAMETERS = ("q", "page", "atmp_class", "stage", "status", "group", "show", "date", "week", "resource", "start")
query_strings = st.dictionaries(st.one_of(st.sampled_from(PARAMETERS), junk), anything, max_size=4)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/projects/",
        "/groups/",
        "/group-applications/",
        "/bookings/",
        "/bookings/new/",
        "/facilities/test-facility/",
        "/resources/grade-b-suite/",
    ],
)
class TestQueryParameters:
    @settings(FUZZ, max_examples=30)
    @given(params=query_strings)
    def test_arbitrary_query_parameters_never_break_a_page(self, client, booker, room, admitted_project, url, params):
        client.force_login(booker)
        before = row_counts()
        response = client.get(url, params)
        assert response.status_code in (200, 400, 404)
        assert row_counts() == before


def test_every_text_field_of_the_portal_has_a_length_limit():
    """Forms and the admin take their limits from the models: no text field takes a whole book."""
    unlimited = [
        f"{model._meta.label}.{field.name}"
        for app in ("projects", "facilities", "logbook", "api")
        for model in apps.get_app_config(app).get_models()
        if not model._meta.label.endswith("Event")  # the audit copies follow their models
        for field in model._meta.get_fields()
        if isinstance(field, models.TextField) and not field.max_length
    ]
    assert unlimited == []


@pytest.mark.django_db
def test_an_over_long_comment_on_a_step_is_refused_with_a_message(client, group, pi, make_project):
    project = make_project(group)
    before = row_counts()
    client.force_login(pi)
    url = f"{project.get_absolute_url()}withdraw/"
    response = client.post(url, {"comment": "x" * 111_000}, follow=True)
    assert "at most 2000 characters" in response.text
    project.refresh_from_db()
    assert project.status == "draft"
    assert row_counts() == before
