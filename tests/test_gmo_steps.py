"""The GMO class belongs to each activity: a booking names its process step, the room's protection level covers it."""

import pytest
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.urls import reverse

from facilities import services
from facilities.models import Booking, ProtectionLevel
from facilities.services import BookingError
from projects.models import AtmpProject, GeneticModification, GmoClass, ProcessStep, ProjectStatus
from tests.test_projects_pages import CREATE_URL, project_data

pytestmark = pytest.mark.django_db

NEW = reverse("facilities:booking_new")
CLASS_2_REFUSAL = (
    "The step “Lentiviral transduction” is contained use class 2, and Grade B suite has protection level 1 "
    "(approved for contained use class 1 only); book a room of protection level 2 or higher."
)


@pytest.fixture
def level_1_room(room):
    room.protection_level = ProtectionLevel.LEVEL_1
    room.save()
    return room


@pytest.fixture
def car_t(group, make_project):
    """A class 2 project: transduction is class 2, the washed cells' cryopreservation class 1."""
    project = make_project(
        group,
        status=ProjectStatus.ACTIVE,
        acronym="CAR-LV",
        genetic_modification=[GeneticModification.LENTIVIRAL],
        gmo_class=GmoClass.CLASS_2,
    )
    ProcessStep.objects.create(project=project, name="Lentiviral transduction", gmo_class=GmoClass.CLASS_2)
    ProcessStep.objects.create(project=project, name="Cryopreservation of washed cells", gmo_class=GmoClass.CLASS_1)
    return project


def step(project, name):
    return project.steps.get(name=name)


@pytest.fixture
def book(booker, level_1_room, car_t, booking_day, at):
    def book(step=None, *, project=None, start="09:00", end="13:00"):
        return services.create_booking(
            by=booker,
            resource=level_1_room,
            project=project or car_t,
            period=DateTimeTZRange(at(booking_day, start), at(booking_day, end)),
            purpose="Cryopreservation",
            step=step,
        )

    return book


class TestTheService:
    def test_a_class_1_step_of_a_class_2_project_is_accepted_in_a_level_1_room(self, book, car_t):
        [booking] = book(step(car_t, "Cryopreservation of washed cells"))
        assert booking.step.name == "Cryopreservation of washed cells"

    def test_a_class_2_step_is_refused_there_naming_the_step_its_class_and_the_level(self, book, car_t):
        with pytest.raises(BookingError) as refusal:
            book(step(car_t, "Lentiviral transduction"))
        assert refusal.value.message == CLASS_2_REFUSAL
        assert not Booking.objects.exists()

    def test_a_room_not_approved_for_gmo_work_refuses_even_a_class_1_step(self, book, car_t, level_1_room):
        level_1_room.protection_level = ProtectionLevel.NONE
        level_1_room.save()
        refusal = "“Cryopreservation of washed cells” is contained use class 1, and Grade B suite is not approved"
        with pytest.raises(BookingError, match=refusal):
            book(step(car_t, "Cryopreservation of washed cells"))

    def test_without_a_step_the_project_s_highest_class_decides(self, book, level_1_room):
        with pytest.raises(BookingError) as refusal:
            book()
        assert refusal.value.message == (
            "ATMP-2026-0001 CAR-LV is contained use class 2, and Grade B suite has protection level 1 (approved for "
            "contained use class 1 only); book a room of protection level 2 or higher. If the booking is for a "
            "process step of a lower class, choose that step."
        )
        level_1_room.protection_level = ProtectionLevel.LEVEL_2
        level_1_room.save()
        assert book()[0].step is None

    def test_another_project_s_step_is_refused(self, book, group, make_project, car_t):
        other = make_project(
            group,
            status=ProjectStatus.ACTIVE,
            acronym="OTHER",
            genetic_modification=[GeneticModification.AAV],
            gmo_class=GmoClass.CLASS_1,
        )
        with pytest.raises(BookingError, match="Choose a process step of"):
            book(step(car_t, "Cryopreservation of washed cells"), project=other)

    def test_a_project_without_gmo_needs_no_step(self, book, admitted_project):
        admitted_project.gmo_class = GmoClass.NONE
        admitted_project.save()
        assert book(project=admitted_project)


class TestTheBookingForm:
    def data(self, room, project, booking_day, **changes):
        return {"resource": room.slug, "project": project.pk, "start": f"{booking_day}T09:00",
                "end": f"{booking_day}T13:00", "purpose": "Transduction", **changes}  # fmt: skip

    def test_the_step_is_offered_and_booked(self, client, booker, level_1_room, car_t, booking_day):
        client.force_login(booker)
        assert "Cryopreservation of washed cells" in client.get(NEW).text
        cryo = step(car_t, "Cryopreservation of washed cells")
        response = client.post(NEW, self.data(level_1_room, car_t, booking_day, step=cryo.pk))
        assert response.status_code == 302
        booking = Booking.objects.get()
        assert booking.step == cryo
        assert "Cryopreservation of washed cells" in client.get(booking.get_absolute_url()).text

    def test_a_class_2_step_is_refused_with_the_message(self, client, booker, level_1_room, car_t, booking_day):
        client.force_login(booker)
        transduction = step(car_t, "Lentiviral transduction")
        response = client.post(NEW, self.data(level_1_room, car_t, booking_day, step=transduction.pk))
        assert response.status_code == 200
        assert "The step “Lentiviral transduction” is contained use class 2" in response.text
        assert not Booking.objects.exists()

    def test_a_step_of_another_project_is_a_form_error(
        self, client, booker, level_1_room, car_t, admitted_project, booking_day
    ):
        client.force_login(booker)
        cryo = step(car_t, "Cryopreservation of washed cells")
        response = client.post(NEW, self.data(level_1_room, admitted_project, booking_day, step=cryo.pk))
        assert response.status_code == 200
        assert "Choose a process step of" in response.text
        assert not Booking.objects.exists()


class TestTheProjectForm:
    STEPS = [
        {"name": "Lentiviral transduction", "gmo_class": "2"},
        {"name": "Cryopreservation of washed cells", "gmo_class": "1"},
    ]

    def test_a_project_records_its_steps(self, client, group, member):
        client.force_login(member)
        response = client.post(CREATE_URL, project_data(group, member, steps=self.STEPS))
        assert response.status_code == 302
        project = AtmpProject.objects.get()
        assert list(project.steps.values_list("name", "gmo_class")) == [
            ("Lentiviral transduction", 2),
            ("Cryopreservation of washed cells", 1),
        ]
        assert "Cryopreservation of washed cells: Contained use class 1" in client.get(project.get_absolute_url()).text

    def test_a_step_above_the_project_s_class_is_refused(self, client, group, member):
        client.force_login(member)
        response = client.post(CREATE_URL, project_data(group, member, steps=self.STEPS, gmo_class="1"))
        assert response.status_code == 200
        assert "A step&#x27;s contained-use class cannot exceed the project&#x27;s (contained use class 1)" in (
            response.text
        )
        assert not AtmpProject.objects.exists()


def test_the_demo_books_each_step_by_its_own_class(settings):
    import io

    from django.core.management import call_command

    from facilities.models import Resource

    settings.DEBUG = True
    call_command("seed_demo", stdout=io.StringIO())
    project = AtmpProject.objects.get(acronym="HSC-LV")
    level_1_room = Resource.objects.get(slug="grade-d-process-lab")
    assert project.gmo_class == GmoClass.CLASS_2
    assert level_1_room.protection_level == ProtectionLevel.LEVEL_1
    services.check_containment(level_1_room, project, step(project, "Cryopreservation of washed cells"))
    with pytest.raises(BookingError, match="“Lentiviral transduction” is contained use class 2"):
        services.check_containment(level_1_room, project, step(project, "Lentiviral transduction"))
    transductions = Booking.objects.filter(project=project, step__name="Lentiviral transduction")
    assert transductions.exists()
    assert {b.resource.containing_room.protection_level for b in transductions} == {ProtectionLevel.LEVEL_2}


class TestTheApi:
    def post(self, client, data):
        return client.post("/api/v1/bookings", data, content_type="application/json")

    def data(self, room, project, day, at, **changes):
        period = {"start": at(day, "09:00").isoformat(), "end": at(day, "13:00").isoformat()}
        return {"resource": room.slug, "project": project.code, **period, "purpose": "Cryo", **changes}

    def test_a_booking_names_its_step_through_the_api_too(
        self, api_client, booker, level_1_room, car_t, admitted_project, booking_day, at
    ):
        client = api_client(booker)
        cryo, transduction = step(car_t, "Cryopreservation of washed cells"), step(car_t, "Lentiviral transduction")
        refused = self.post(client, self.data(level_1_room, car_t, booking_day, at, step=transduction.pk))
        assert refused.status_code == 400
        assert refused.json()["detail"] == CLASS_2_REFUSAL
        foreign = self.post(client, self.data(level_1_room, admitted_project, booking_day, at, step=cryo.pk))
        assert foreign.status_code == 400
        assert "Choose a process step of" in foreign.json()["detail"]
        made = self.post(client, self.data(level_1_room, car_t, booking_day, at, step=cryo.pk))
        assert made.status_code == 201
        assert made.json()[0]["step"] == cryo.pk
        assert Booking.objects.get().step == cryo
