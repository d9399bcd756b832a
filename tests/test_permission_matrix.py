"""Who gets what: every URL for every demo login, by GET and by POST, from one table; and every page
but the public ones sends anonymous visitors to log in.

The demo data is seeded once for the module (inside a transaction rolled back at the end); each test
runs in its own savepoint, so a POST that changes something leaves the next test the same world.
"""

import datetime
import io
import json
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.urls import get_resolver, resolve, reverse

from api.services import create_token
from facilities.demo import SERIES
from facilities.models import Booking, BookingStatus, Closure, Qualification
from facilities.services import feed_of
from logbook.models import Cleaning, Deviation, DeviationStatus
from projects import services as project_services
from projects.models import AtmpProject, DocumentKind, GroupApplication, Membership, ProjectStatus, ResearchGroup
from projects.services import upload_document
from tests.helpers import walk_urlpatterns

ROLES = ("anonymous", "admin", "facility", "reviewer", "pi", "researcher", "outsider", "qa")

# URL → expected status per role, in the order of ROLES, for GET and for POST (an empty form).
# {group} is the PI's group (the researcher is a member), {draft} a draft of that group led by the PI,
# {review} a project of another group under review, {booking} the researcher's pending request.
MATRIX = {
    "/": ("302 200 200 200 200 200 200 200", "302 405 405 405 405 405 405 405"),
    "/healthz": ("200 200 200 200 200 200 200 200", "405 405 405 405 405 405 405 405"),
    "/accounts/login/": ("200 200 200 200 200 200 200 200", "200 200 200 200 200 200 200 200"),
    "/account/data.json": ("302 200 200 200 200 200 200 200", "302 405 405 405 405 405 405 405"),
    "/admin/": ("302 200 302 302 302 302 302 302", "302 200 302 302 302 302 302 302"),
    # University login (SAML): open to all, since one logs in through it; the login goes to the identity
    # provider, and the answer's endpoint refuses an empty POST with its page.
    "/saml2/metadata/": ("200 200 200 200 200 200 200 200", "405 405 405 405 405 405 405 405"),
    "/saml2/login/": ("302 302 302 302 302 302 302 302", "405 405 405 405 405 405 405 405"),
    "/saml2/acs/": ("302 302 302 302 302 302 302 302", "400 400 400 400 400 400 400 400"),
    # Research groups
    "/groups/": ("302 200 200 200 200 200 200 200", "302 405 405 405 405 405 405 405"),
    "/groups/{group}/": ("302 200 200 200 200 200 200 200", "302 405 405 405 405 405 405 405"),
    "/groups/{group}/edit/": ("302 200 403 403 200 403 403 403", "302 200 403 403 200 403 403 403"),
    "/groups/{group}/members/add/": ("302 405 405 405 405 405 405 405", "302 400 403 403 400 403 403 403"),
    "/groups/{group}/members/{membership}/role/": (
        "302 405 405 405 405 405 405 405",
        "302 302 403 403 302 403 403 403",
    ),
    "/groups/{group}/members/{membership}/remove/": (
        "302 200 403 403 200 403 403 403",
        "302 302 403 403 302 403 403 403",
    ),
    "/groups/{group}/invitations/": ("302 405 405 405 405 405 405 405", "302 400 403 403 400 403 403 403"),
    "/groups/{group}/invitations/{invitation}/revoke/": (
        "302 405 405 405 405 405 405 405",
        "302 302 403 403 302 403 403 403",
    ),
    # The link of an invitation sent to the outsider: everyone else is told it is not theirs.
    "/invitations/{invitation_token}/": ("302 403 403 403 403 403 200 403", "302 403 403 403 403 403 302 403"),
    "/group-applications/": ("302 200 200 200 200 200 200 200", "302 405 405 405 405 405 405 405"),
    "/group-applications/new/": ("302 200 200 200 200 200 200 200", "302 200 200 200 200 200 200 200"),
    "/group-applications/review/": ("302 200 403 200 403 403 403 403", "302 405 405 405 405 405 405 405"),
    "/group-applications/{application}/approve/": (
        "302 405 405 405 405 405 405 405",
        "302 302 403 302 403 403 403 403",
    ),
    "/group-applications/{application}/decline/": (
        "302 200 403 200 403 403 403 403",
        "302 302 403 302 403 403 403 403",
    ),
    # ATMP projects
    "/projects/": ("302 200 200 200 200 200 200 200", "302 405 405 405 405 405 405 405"),
    "/projects/new/": ("302 403 403 403 200 200 200 403", "302 403 403 403 200 200 200 403"),
    "/projects/portfolio/": ("302 200 200 200 403 403 403 403", "302 405 405 405 405 405 405 405"),
    "/projects/export.csv": ("302 200 200 200 403 403 403 403", "302 405 405 405 405 405 405 405"),
    "/projects/{draft}/": ("302 200 200 200 200 200 404 404", "302 405 405 405 405 405 405 405"),
    "/projects/{draft}/edit/": ("302 200 403 403 200 200 404 404", "302 200 403 403 200 200 404 404"),
    "/projects/{draft}/submit/": ("302 403 403 403 200 403 404 404", "302 403 403 403 302 403 404 404"),
    "/projects/{review}/accept/": ("302 200 403 200 404 404 404 404", "302 302 403 302 404 404 404 404"),
    "/projects/{review}/reject/": ("302 200 403 200 404 404 404 404", "302 302 403 302 404 404 404 404"),
    "/projects/{review}/request-changes/": ("302 200 403 200 404 404 404 404", "302 302 403 302 404 404 404 404"),
    "/projects/{submitted}/start-review/": ("302 200 403 200 404 404 404 404", "302 302 403 302 404 404 404 404"),
    "/projects/{accepted}/activate/": ("302 200 200 200 403 403 404 404", "302 302 302 302 403 403 404 404"),
    "/projects/{active}/complete/": ("302 200 200 200 403 403 404 404", "302 302 302 302 403 403 404 404"),
    "/projects/{draft}/withdraw/": ("302 403 403 403 200 403 404 404", "302 403 403 403 302 403 404 404"),
    # Project documents: whoever sees the project reads them, the group's members upload (an empty form: 400).
    "/projects/{draft}/documents/": ("302 200 200 200 200 200 404 404", "302 400 403 403 400 400 404 404"),
    "/projects/{draft}/documents/{document}/": (
        "302 200 200 200 200 200 404 404",
        "302 405 405 405 405 405 405 405",
    ),
    # Facilities and bookings
    "/facilities/": ("302 200 200 200 200 200 200 200", "302 405 405 405 405 405 405 405"),
    "/facilities/pre-gmp/": ("302 200 200 200 200 200 200 200", "302 405 405 405 405 405 405 405"),
    "/facilities/pre-gmp/schedule/?days=7": ("302 200 200 200 200 200 200 200", "302 405 405 405 405 405 405 405"),
    "/resources/grade-b-suite-1/": ("302 200 200 200 200 200 200 200", "302 405 405 405 405 405 405 405"),
    "/resources/grade-b-suite-1/month/": ("302 200 200 200 200 200 200 200", "302 405 405 405 405 405 405 405"),
    "/bookings/free/": ("302 200 200 200 200 200 200 200", "302 405 405 405 405 405 405 405"),
    "/bookings/calendar/": ("302 200 200 200 200 200 200 200", "302 302 302 302 302 302 302 302"),
    "/bookings/calendar/regenerate/": ("302 405 405 405 405 405 405 405", "302 302 302 302 302 302 302 302"),
    # iCalendar feeds: the secret token is the key, since calendar programs do not log in.
    "/calendar/{feed}.ics": ("200 200 200 200 200 200 200 200", "405 405 405 405 405 405 405 405"),
    "/calendar/{staff_feed}/resources/grade-b-suite-1.ics": (
        "200 200 200 200 200 200 200 200",
        "405 405 405 405 405 405 405 405",
    ),
    "/calendar/{feed}/resources/grade-b-suite-1.ics": (
        "404 404 404 404 404 404 404 404",
        "405 405 405 405 405 405 405 405",
    ),
    "/calendar/not-a-token.ics": ("404 404 404 404 404 404 404 404", "405 405 405 405 405 405 405 405"),
    # Usage reports
    "/reports/usage/": ("302 200 200 403 403 403 403 403", "302 405 405 405 405 405 405 405"),
    "/reports/usage/?format=xlsx": ("302 200 200 403 403 403 403 403", "302 405 405 405 405 405 405 405"),
    "/bookings/": ("302 200 200 200 200 200 200 200", "302 405 405 405 405 405 405 405"),
    "/bookings/new/": ("302 200 200 200 200 200 200 200", "302 200 200 200 200 200 200 200"),
    "/bookings/pending/": ("302 200 200 403 403 403 403 403", "302 405 405 403 403 403 403 403"),
    "/bookings/{booking}/": ("302 200 200 404 200 200 404 404", "302 405 405 405 405 405 405 405"),
    "/bookings/{booking}/cancel/": ("302 200 200 404 403 200 404 404", "302 400 400 404 403 400 404 404"),
    "/bookings/{booking}/approve/": ("302 405 405 405 405 405 405 405", "302 302 302 403 403 403 403 403"),
    "/bookings/{booking}/reject/": ("302 200 200 403 403 403 403 403", "302 400 400 403 403 403 403 403"),
    # {series}: the researcher's requested series
    "/bookings/series/{series}/": ("302 200 200 404 200 200 404 404", "302 405 405 405 405 405 405 405"),
    "/bookings/series/{series}/approve/": ("302 405 405 405 405 405 405 405", "302 302 302 403 403 403 403 403"),
    "/bookings/series/{series}/reject/": ("302 200 200 403 403 403 403 403", "302 400 400 403 403 403 403 403"),
    "/bookings/series/{series}/cancel/": ("302 200 200 404 403 200 404 404", "302 400 400 404 403 400 404 404"),
    "/closures/": ("302 200 200 403 403 403 403 403", "302 200 200 403 403 403 403 403"),
    "/closures/{closure}/edit/": ("302 200 200 403 403 403 403 403", "302 200 200 403 403 403 403 403"),
    "/closures/{closure}/delete/": ("302 405 405 405 405 405 405 405", "302 302 302 403 403 403 403 403"),
    "/qualifications/": ("302 200 200 200 200 200 200 200", "302 405 405 405 405 405 405 405"),
    "/qualifications/manage/": ("302 200 200 403 403 403 403 403", "302 200 200 403 403 403 403 403"),
    "/qualifications/{qualification}/renew/": ("302 405 405 405 405 405 405 405", "302 302 302 403 403 403 403 403"),
    # The audit trail
    "/history/project/{draft_pk}/": ("302 200 200 200 403 403 403 403", "302 405 405 405 405 405 405 405"),
    "/history/booking/{booking}/": ("302 200 200 403 403 403 403 200", "302 405 405 405 405 405 405 405"),
    # The room logbook: {deviation} is the researcher's open deviation in a room of the PI's group's project.
    "/bookings/{booking}/check-in/": ("302 200 200 404 200 200 404 404", "302 400 400 404 400 400 404 404"),
    "/bookings/{booking}/check-out/": ("302 405 405 405 405 405 405 405", "302 302 302 404 302 302 404 404"),
    "/resources/grade-b-suite-1/logbook/": ("302 200 200 403 403 200 403 200", "302 405 405 405 405 405 405 405"),
    "/resources/grade-b-suite-1/logbook/?format=csv": (
        "302 200 200 403 403 200 403 200",
        "302 405 405 405 405 405 405 405",
    ),
    "/resources/grade-b-suite-1/logbook/cleaning/{cleaning}/correct/": (
        "302 200 200 403 403 403 403 200",
        "302 400 400 403 403 403 403 400",
    ),
    "/resources/grade-b-suite-1/line-clearance/": (
        "302 200 200 403 403 200 403 200",
        "302 400 400 403 403 400 403 403",
    ),
    "/resources/grade-b-suite-1/cleaning/": ("302 200 200 403 403 200 403 403", "302 400 400 403 403 400 403 403"),
    "/resources/grade-b-suite-1/monitoring/": ("302 200 200 403 403 403 403 403", "302 400 400 403 403 403 403 403"),
    "/resources/grade-b-suite-1/quarantine/": ("302 405 405 405 405 405 405 405", "302 302 302 403 403 403 403 302"),
    "/resources/grade-b-suite-1/release/": ("302 200 403 403 403 403 403 200", "302 400 403 403 403 403 403 400"),
    "/facilities/pre-gmp/status/": ("302 200 200 200 200 200 200 200", "302 405 405 405 405 405 405 405"),
    "/deviations/": ("302 200 200 200 200 200 200 200", "302 405 405 405 405 405 405 405"),
    "/deviations/new/": ("302 200 200 200 200 200 200 200", "302 400 400 400 400 400 400 400"),
    "/deviations/{deviation}/": ("302 200 200 404 200 200 404 200", "302 302 302 404 403 403 404 302"),
    "/history/deviation/{deviation}/": ("302 200 200 403 403 403 403 200", "302 405 405 405 405 405 405 405"),
    "/deviations/{deviation}/close/": ("302 405 405 405 405 405 405 405", "302 302 403 404 403 403 404 302"),
    # API tokens, and the API's documentation page and schema
    "/account/tokens/": ("302 200 200 200 200 200 200 200", "302 400 400 400 400 400 400 400"),
    "/account/tokens/{token}/revoke/": ("302 405 405 405 405 405 405 405", "302 404 404 404 404 302 404 404"),
    "/api/v1/": ("302 200 200 200 200 200 200 200", "302 405 405 405 405 405 405 405"),
    "/api/v1/openapi.json": ("200 200 200 200 200 200 200 200", "405 405 405 405 405 405 405 405"),
    # The API: each role calls with its own read-write token (see API_CALL), anonymous callers with none.
    "/api/v1/facilities": ("401 200 200 200 200 200 200 200", "405 405 405 405 405 405 405 405"),
    "/api/v1/facilities/pre-gmp": ("401 200 200 200 200 200 200 200", "405 405 405 405 405 405 405 405"),
    "/api/v1/resources": ("401 200 200 200 200 200 200 200", "405 405 405 405 405 405 405 405"),
    "/api/v1/resources/grade-b-suite-1": ("401 200 200 200 200 200 200 200", "405 405 405 405 405 405 405 405"),
    "/api/v1/resources/grade-b-suite-1/free-time?project={accepted}&first_day=2030-01-07&last_day=2030-01-07": (
        "401 200 200 200 200 200 400 400",
        "405 405 405 405 405 405 405 405",
    ),
    "/api/v1/bookings": ("401 200 200 200 200 200 200 200", "401 422 422 422 422 422 422 422"),
    "/api/v1/bookings/{booking}": ("401 200 200 404 200 200 404 404", "405 405 405 405 405 405 405 405"),
    "/api/v1/bookings/{booking}/cancel": ("405 405 405 405 405 405 405 405", "401 200 200 404 403 200 404 404"),
    "/api/v1/projects": ("401 200 200 200 200 200 200 200", "405 405 405 405 405 405 405 405"),
    "/api/v1/projects/{draft}": ("401 200 200 200 200 200 404 404", "405 405 405 405 405 405 405 405"),
    "/api/v1/reports/usage": ("401 200 200 403 403 403 403 403", "405 405 405 405 405 405 405 405"),
}
# A body the API's POST endpoints accept as JSON (the cancellation's reason); the pages get an empty form.
API_POST_BODY = {"reason": "Permission matrix"}

CASES = [
    pytest.param(url, method, role, int(status), id=f"{method} {url} {role}")
    for url, by_method in MATRIX.items()
    for method, statuses in zip(("GET", "POST"), by_method, strict=True)
    for role, status in zip(ROLES, statuses.split(), strict=True)
]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo data and a few objects the table names, seeded once; rolled back after the module."""
    with django_db_blocker.unblock():
        seeding = transaction.atomic()
        seeding.__enter__()
        try:
            # The demo's real password hashing is slow on purpose; the table logs in with force_login.
            with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
                call_command("seed_demo", "--demo", stdout=io.StringIO())
            users = {user.username: user for user in get_user_model().objects.all()}
            group = ResearchGroup.objects.get(pi=users["pi"])
            draft = AtmpProject(group=group, project_lead=users["pi"], title="Matrix draft")
            draft.save()
            invitation, invitation_token = project_services.invite_member(
                group, email=users["outsider"].email, role="member", actor=users["pi"]
            )
            document = upload_document(
                draft,
                actor=users["pi"],
                kind=DocumentKind.ETHICS_APPROVAL,
                title="Ethics approval",
                document_date=datetime.date(2026, 1, 15),
                file=SimpleUploadedFile("approval.pdf", b"%PDF-1.7\n%%EOF\n"),
            )
            yield {
                "users": users,
                "group": group.slug,
                "membership": Membership.objects.get(group=group, user=users["researcher"]).pk,
                "draft": draft.code,
                "draft_pk": draft.pk,
                "document": document.pk,
                "review": AtmpProject.objects.exclude(group=group).get(status=ProjectStatus.UNDER_REVIEW).code,
                "booking": Booking.objects.filter(
                    booked_by=users["researcher"], status=BookingStatus.REQUESTED, project__group=group
                )
                .upcoming()
                .first()
                .pk,
                "qualification": Qualification.objects.filter(user=users["researcher"]).first().pk,
                "submitted": _demo_project(ProjectStatus.SUBMITTED),
                "accepted": _demo_project(ProjectStatus.ACCEPTED, group=group),
                "active": _demo_project(ProjectStatus.ACTIVE, group=group),
                "feed": feed_of(users["researcher"]).token,
                "staff_feed": feed_of(users["facility"]).token,
                "series": str(SERIES),
                "closure": Closure.objects.first().pk,
                "invitation": invitation.pk,
                "invitation_token": invitation_token,
                "application": GroupApplication.objects.pending().first().pk,
                "cleaning": Cleaning.objects.filter(room__slug="grade-b-suite-1").first().pk,
                "deviation": Deviation.objects.get(reported_by=users["researcher"], status=DeviationStatus.OPEN).pk,
                "token": create_token(users["researcher"], name="Matrix", scope="read write", valid_days=30)[0].pk,
                "api_tokens": {
                    role: create_token(users[role], name="Matrix", scope="read write", valid_days=30)[1]
                    for role in ROLES[1:]
                },
            }
        finally:
            transaction.set_rollback(True)
            seeding.__exit__(None, None, None)


def _demo_project(status, group=None):
    projects = AtmpProject.objects.filter(status=status)
    return (projects.filter(group=group) if group else projects).order_by("code").first().code


def test_the_matrix_names_every_page():
    """A new URL must get its row: the table and the URL configuration name the same views."""
    in_matrix = {resolve(url.split("?")[0].format_map(SAMPLE)).view_name for url in MATRIX}
    in_urlconf = {name for name, _route in walk_urlpatterns(get_resolver().url_patterns)}
    in_urlconf -= {"set_language", "logout", "password_change", "password_change_done"} | {
        name for name in in_urlconf if name.startswith("password_reset")
    }
    # django-ninja names every operation and its root (which it reverses to place the API): these answer at the
    # URL of another name, GET /api/v1/bookings for POST and the documentation page for the root.
    in_urlconf -= {"api:booking_create", "api:api-root"}
    assert in_urlconf - in_matrix == set()


# Values that make every URL of the table resolvable, for the test above.
SAMPLE = {
    "group": "g",
    "membership": 1,
    "draft": "ATMP-2026-0001",
    "draft_pk": 1,
    "document": 1,
    "review": "ATMP-2026-0001",
    "submitted": "ATMP-2026-0001",
    "accepted": "ATMP-2026-0001",
    "active": "ATMP-2026-0001",
    "booking": 1,
    "qualification": 1,
    "feed": "t",
    "staff_feed": "t",
    "series": "00000000-0000-0000-0000-000000000000",
    "closure": 1,
    "invitation": 1,
    "invitation_token": "t",
    "application": 1,
    "token": 1,
    "deviation": 1,
    "cleaning": 1,
}


@pytest.mark.parametrize(("url", "method", "role", "expected"), CASES)
def test_permission_matrix(client, db, demo, request, url, method, role, expected):
    if url.startswith("/saml2/"):
        request.getfixturevalue("saml")  # the university login's pages exist where it is configured
    path = url.format(**demo)
    if API_CALL.match(path):
        headers = {"authorization": f"Bearer {demo['api_tokens'][role]}"} if role != "anonymous" else {}
        body = json.dumps(API_POST_BODY)
        response = (
            client.get(path, headers=headers)
            if method == "GET"
            else client.post(path, body, content_type="application/json", headers=headers)
        )
        assert response.status_code == expected
        if expected != 405:  # django-ninja refuses an unknown method before the API answers
            assert response["Content-Type"] == "application/json; charset=utf-8"
        return
    if role != "anonymous":
        client.force_login(demo["users"][role])
    response = client.get(path) if method == "GET" else client.post(path, {})
    assert response.status_code == expected
    if response.status_code == 302 and role == "anonymous":
        # To the login page, or with a login request to the identity provider.
        assert "/login/" in response.url or "?SAMLRequest=" in response.url
    if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
        # The Content-Security-Policy drops inline styles: no page (nor crispy-forms) may rely on them.
        assert ' style="' not in response.content.decode()


# Anonymous visitors, on every URL of the URL configuration

# The API's calls, which authenticate with a token: everything under /api/v1/ but its documentation and schema.
API_CALL = re.compile(r"^/api/v1/(?!openapi\.json|$)")

# Views anonymous visitors may reach, by URL name.
PUBLIC = {
    "api:openapi-json",  # describes the API, holds no data
    "login",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "healthz",
    "set_language",
    "saml2_metadata",
    "saml2_login",
    "saml2_acs",
    "facilities:calendar_feed",  # secret token instead of a login
    "facilities:resource_feed",
}
SAMPLE_VALUES = {
    "slug": "some-slug",
    "int": "1",
    "str": "some-value",
    "path": "some/path",
    "uuid": "00000000-0000-0000-0000-000000000000",
}


def _sample_path(route):
    if route.startswith("^"):  # a regex route, e.g. from an included library
        return None
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_VALUES[m.group(1) or "str"], route)


PRIVATE_PAGES = sorted(
    {
        (name, _sample_path(route))
        for name, route in walk_urlpatterns(get_resolver().url_patterns)
        if name not in PUBLIC and _sample_path(route) and not API_CALL.match(_sample_path(route))
    }
)
API_CALLS = sorted(
    {
        (name, _sample_path(route))
        for name, route in walk_urlpatterns(get_resolver().url_patterns)
        if name not in PUBLIC and _sample_path(route) and API_CALL.match(_sample_path(route))
    }
)


def test_the_walk_finds_the_pages():
    names = {name for name, _ in PRIVATE_PAGES}
    assert {"dashboard", "projects:group_list", "projects:group_edit", "password_change"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "path"), PRIVATE_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_login(client, name, path, method):
    response = getattr(client, method)(path)
    assert response.status_code == 302, name
    assert response["Location"].startswith(reverse("login") + "?next="), name


def test_the_walk_finds_the_api_calls():
    names = {name for name, _ in API_CALLS}
    assert {"api:booking_list", "api:booking_cancel", "api:usage_report"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "path"), API_CALLS)
def test_anonymous_api_calls_get_401_not_a_login_page(client, name, path):
    methods = {"get": client.get, "post": client.post}
    answers = {method: call(path).status_code for method, call in methods.items()}
    # Each call answers 401 to the method it offers (and 405 to the other one, if it offers only one).
    assert 401 in answers.values(), name
    assert set(answers.values()) <= {401, 405}, name


@pytest.mark.django_db
def test_admin_asks_anonymous_visitors_to_log_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
