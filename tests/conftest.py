"""Small fixtures shared by the whole suite: users in every role, a research group, projects."""

import datetime
import itertools
import shutil

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.utils import translation
from psycopg2 import sql

from atmp_portal.roles import CENTRE_REVIEWERS, FACILITY_STAFF
from projects import services as project_services
from projects.models import AtmpProject, Membership, MembershipRole, ProjectStatus
from tests.helpers import PASSWORD

_serial = itertools.count(1)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    # The suite connects as the owner role, which creates the test database and empties it between
    # transactional tests (TRUNCATE); each test then acts as the runtime role (as_runtime_role below).
    if settings.DATABASE_OWNER:
        owner = {key: value for key, value in settings.DATABASE_OWNER.items() if key != "OPTIONS"}
        settings.DATABASES["default"].update(owner)


@pytest.fixture(autouse=True)
def as_runtime_role(request):
    """A test that uses the database acts as the portal's runtime role: a privilege it lacks fails the test.

    SET ROLE inside the test's transaction ends with its rollback. Transactional tests (no such
    transaction) and tests marked ``database_owner`` stay the owner.
    """
    uses_database = "db" in request.fixturenames or request.node.get_closest_marker("django_db")
    if settings.DATABASE_RUNTIME_ROLE and uses_database and not request.node.get_closest_marker("database_owner"):
        request.getfixturevalue("db")
        if connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(settings.DATABASE_RUNTIME_ROLE)))
    yield


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashers are slow on purpose; tests create many users.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def english_outside_requests():
    # A request in Swedish leaves its language active in the thread; each test starts in English.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True, scope="session")
def private_documents(tmp_path_factory):
    """Documents the tests upload go to a temporary folder, not to the worktree's .data/."""
    from django.core.files.storage import FileSystemStorage

    from projects.models import ProjectDocument

    ProjectDocument._meta.get_field("file").storage = FileSystemStorage(location=tmp_path_factory.mktemp("documents"))


@pytest.fixture
def make_user(db):
    def make(username=None, *, role_group=None, **fields):
        username = username or f"user{next(_serial)}"
        fields.setdefault("email", f"{username}@example.org")
        user = get_user_model().objects.create_user(username=username, password=PASSWORD, **fields)
        if role_group:
            # get_or_create: a transactional test before this one may have flushed the migration's groups.
            user.groups.add(Group.objects.get_or_create(name=role_group)[0])
        return user

    return make


@pytest.fixture
def admin_user(make_user):
    return make_user("admin", is_staff=True, is_superuser=True)


@pytest.fixture
def facility_user(make_user):
    return make_user("facility", role_group=FACILITY_STAFF)


@pytest.fixture
def reviewer(make_user):
    return make_user("reviewer", role_group=CENTRE_REVIEWERS)


@pytest.fixture
def make_group(make_user):
    def make(slug=None, *, pi=None, **fields):
        slug = slug or f"group-{next(_serial)}"
        fields.setdefault("name", slug.replace("-", " ").title())
        fields.setdefault("organisation_unit", "medicine")
        return project_services.create_group(pi=pi or make_user(), slug=slug, **fields)

    return make


@pytest.fixture
def pi(make_user):
    return make_user("pi")


@pytest.fixture
def group(make_group, pi):
    return make_group("stem-cell-lab", pi=pi, name="Stem Cell Lab")


@pytest.fixture
def add_member(make_user):
    def add(group, role=MembershipRole.MEMBER, username=None):
        user = make_user(username)
        Membership.objects.create(group=group, user=user, role=role)
        return user

    return add


@pytest.fixture
def manager(group, add_member):
    return add_member(group, MembershipRole.MANAGER, "manager")


@pytest.fixture
def member(group, add_member):
    return add_member(group, MembershipRole.MEMBER, "member")


@pytest.fixture
def outsider(make_group, add_member):
    return add_member(make_group("other-group"), MembershipRole.MEMBER, "outsider")


@pytest.fixture
def make_project(db):
    def make(group, *, status=ProjectStatus.DRAFT, project_lead=None, **fields):
        fields.setdefault("title", "Lentiviral gene therapy for a rare blood disorder")
        project = AtmpProject(group=group, project_lead=project_lead or group.pi, **fields)
        project.status = status
        project.save()
        return project

    return make


# --- ATMP projects (issue 3) ---


@pytest.fixture
def lead(group, add_member):
    """A group member who leads a project, not its PI."""
    return add_member(group, MembershipRole.MEMBER, "lead")


@pytest.fixture
def make_many_projects(db):
    """Many projects in one INSERT, with explicit codes outside the counter's range."""

    def make(group, count, *, start=9000, **fields):
        fields.setdefault("title", "Autologous cell therapy batch study")
        projects = [
            AtmpProject(code=f"ATMP-1999-{start + n:05d}", group=group, project_lead=group.pi, **fields)
            for n in range(count)
        ]
        return AtmpProject.objects.bulk_create(projects)

    return make


# --- Booking fixtures (facilities): a facility, a grade B room with its equipment, a qualified booker ---


@pytest.fixture
def facility(db):
    from facilities.models import Facility

    return Facility.objects.create(name="Test pre-GMP facility", slug="test-facility")


@pytest.fixture
def room(facility):
    from facilities.models import CleanRoomGrade, Resource, ResourceKind

    return Resource.objects.create(
        facility=facility,
        kind=ResourceKind.ROOM,
        name="Grade B suite",
        slug="grade-b-suite",
        grade=CleanRoomGrade.B,
        max_occupancy=3,
        protection_level=2,
        changeover_minutes=60,
    )


@pytest.fixture
def equipment(room):
    from facilities.models import Resource, ResourceKind

    return Resource.objects.create(
        facility=room.facility,
        kind=ResourceKind.EQUIPMENT,
        name="Biosafety cabinet",
        slug="bsc",
        equipment_type="Biosafety cabinet class II",
        room=room,
        training_required=True,
    )


@pytest.fixture
def qualify(db):
    """Give a user gowning for a grade (``grade="B"``) or training on a resource, valid for a year."""

    from django.utils import timezone

    from facilities.models import Qualification, QualificationKind

    def qualify(user, *, grade="", resource=None, valid_until=None):
        today = timezone.localdate()
        return Qualification.objects.create(
            user=user,
            kind=QualificationKind.TRAINING if resource else QualificationKind.GOWNING,
            grade=grade,
            resource=resource,
            valid_from=today - datetime.timedelta(days=30),
            valid_until=valid_until or today + datetime.timedelta(days=365),
        )

    return qualify


@pytest.fixture
def booker(member, equipment, qualify):
    """A member of the group, gowned for grade B and trained on the equipment."""
    qualify(member, grade="B")
    qualify(member, resource=equipment)
    return member


@pytest.fixture
def team(group, add_member, equipment, qualify):
    """``team(n)``: n new members of the group, each gowned for grade B and trained on the equipment."""

    def make(count):
        people = []
        for _ in range(count):
            person = add_member(group)
            qualify(person, grade="B")
            qualify(person, resource=equipment)
            people.append(person)
        return people

    return make


@pytest.fixture
def admitted_project(group, make_project):
    return make_project(group, status=ProjectStatus.ACTIVE, acronym="HSC", gmo_class=1)


@pytest.fixture
def booking_day():
    """A Monday at least a week ahead, so that tests pass on any day."""

    from django.utils import timezone

    day = timezone.localdate() + datetime.timedelta(days=7)
    return day + datetime.timedelta(days=(7 - day.weekday()) % 7)


@pytest.fixture
def at():
    """``at(day, "09:00")``: an aware datetime at that local wall-clock time."""

    from facilities.periods import local_datetime

    return lambda day, hhmm: local_datetime(day, datetime.time.fromisoformat(hhmm))


# --- University login (SAML): a test identity provider, and the portal configured for it ---


@pytest.fixture(scope="session")
def identity_provider(tmp_path_factory):
    """Skipped, with what to install, where Debian's xmlsec1 is missing: SAML signs and checks with it."""
    if shutil.which("xmlsec1") is None:
        pytest.skip("no xmlsec1: apt-get install -y xmlsec1 (.ci/run installs it)")
    from tests.saml_idp import TestIdentityProvider

    return TestIdentityProvider(tmp_path_factory.mktemp("saml"))


@pytest.fixture
def saml(settings, identity_provider):
    """University login on, against the test identity provider."""
    settings.SAML_CONFIG = identity_provider.sp_settings
    return identity_provider


# --- The REST API: a test client that sends a personal token ---


@pytest.fixture
def api_client(db):
    """``api_client(user, scope="read write")``: a test client calling the API with a new token of ``user``."""
    from django.test import Client

    from api import services as token_services

    def make(user, scope="read write", valid_days=30):
        _token, secret = token_services.create_token(user, name="Test", scope=scope, valid_days=valid_days)
        return Client(headers={"authorization": f"Bearer {secret}"})

    return make


@pytest.fixture
def book_room(booker, room, admitted_project, booking_day, at):
    """``book_room(start, end, purpose, **extra)``: the booker's booking of the room on ``booking_day``, through the
    service; ``extra`` goes to ``create_booking`` (entrants, equipment...)."""
    from django.db.backends.postgresql.psycopg_any import DateTimeTZRange

    from facilities.services import create_booking

    def book(start="09:00", end="13:00", purpose="Media fill", **extra):
        [booking] = create_booking(
            by=booker,
            resource=room,
            project=admitted_project,
            period=DateTimeTZRange(at(booking_day, start), at(booking_day, end)),
            purpose=purpose,
            **extra,
        )
        return booking

    return book
