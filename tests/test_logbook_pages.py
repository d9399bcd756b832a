"""The logbook's pages: the room logbook (filters, CSV, print), the status board, signing through a form,
deviations reported and closed; constant queries for 10 and 1,000 entries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from atmp_portal.roles import QUALITY_ASSURANCE
from logbook.models import Cleaning, CleaningAgent, Deviation, EmResult, LineClearance, RoomHold, SignatureMeaning
from tests.helpers import PASSWORD, csv_frame, csv_rows, rendered_nodes


@pytest.fixture
def qa(make_user):
    return make_user("qa", role_group=QUALITY_ASSURANCE)


def _cleanings(room, user, count):
    agent = CleaningAgent.objects.get_or_create(name="Chlorine dioxide", defaults={"sporicidal": True})[0]
    first = timezone.now() - datetime.timedelta(days=30)
    Cleaning.objects.bulk_create(
        Cleaning(
            room=room,
            agent=agent,
            areas="Floors",
            performed_at=first + datetime.timedelta(minutes=20 * n),
            signed_by=user,
            meaning=SignatureMeaning.PERFORMED,
        )
        for n in range(count)
    )


def _queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    ("url", "queries"),
    [
        # session, user, room, entries counted, a page of them, its records of each kind (here cleanings), hold
        ("/resources/grade-b-suite/logbook/", 7),
        # session, user, facility, the rooms with their latest records, their holds, today's bookings
        ("/facilities/test-facility/status/", 6),
    ],
)
def test_logbook_and_status_board_queries_do_not_grow(client, room, facility_user, url, queries):
    client.force_login(facility_user)
    _cleanings(room, facility_user, 10)
    assert _queries(client, url) == queries
    _cleanings(room, facility_user, 990)
    assert _queries(client, url) == queries


def test_an_empty_logbook_counts_its_entries_and_reads_no_page_of_them(client, room, facility_user):
    client.force_login(facility_user)
    assert _queries(client, "/resources/grade-b-suite/logbook/") == 5  # session, user, room, entries counted, hold


@pytest.mark.parametrize("url", ["/resources/grade-b-suite/logbook/", "/facilities/test-facility/status/"])
def test_logbook_and_status_board_render_as_many_template_nodes_for_a_thousand_entries_as_for_a_page(
    client, room, facility_user, url, monkeypatch
):
    """The logbook shows a page of entries and the board each room's latest: neither grows with the room's records."""
    client.force_login(facility_user)
    _cleanings(room, facility_user, 30)
    a_page = rendered_nodes(client, url, monkeypatch)
    _cleanings(room, facility_user, 970)
    assert rendered_nodes(client, url, monkeypatch) == a_page


def test_the_logbook_lists_entries_newest_first_and_filters_by_kind(client, room, facility_user):
    _cleanings(room, facility_user, 3)
    RoomHold.objects.create(room=room, cause="quarantine", note="Leaking filter", placed_by=facility_user)
    client.force_login(facility_user)
    page = client.get("/resources/grade-b-suite/logbook/").content.decode()
    assert page.index("Leaking filter") < page.index("Chlorine dioxide")
    assert "logbook-print.css" in page
    only_cleaning = client.get("/resources/grade-b-suite/logbook/?kind=cleaning").content.decode()
    assert "Leaking filter" not in only_cleaning and "Chlorine dioxide" in only_cleaning


def test_the_logbook_filters_by_period_and_exports_csv(client, room, facility_user):
    facility_user.first_name, facility_user.last_name = "Eva", "Lind"
    facility_user.save()
    _cleanings(room, facility_user, 3)
    client.force_login(facility_user)
    day = (timezone.localdate() - datetime.timedelta(days=30)).isoformat()
    response = client.get(f"/resources/grade-b-suite/logbook/?kind=cleaning&first_day={day}&last_day={day}&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = csv_rows(response)
    assert len(rows) == 4 and rows[0][0] == "Time"
    frame = csv_frame(response)
    assert list(frame.columns) == ["Time", "Kind", "Entry", "By", "Signature"]
    assert set(frame["By"]) == {"Eva Lind"}
    later = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    assert len(csv_rows(client.get(f"/resources/grade-b-suite/logbook/?first_day={later}&format=csv"))) == 1


def test_bad_filters_are_a_400(client, room, facility_user):
    client.force_login(facility_user)
    assert client.get("/resources/grade-b-suite/logbook/?first_day=garbage").status_code == 400
    assert client.get("/resources/grade-b-suite/logbook/?kind=nonsense").status_code == 400


def test_signing_a_clearance_through_the_form(client, room, facility_user):
    from logbook.services import checklist_of

    client.force_login(facility_user)
    items = checklist_of(room)
    wrong = client.post("/resources/grade-b-suite/line-clearance/", {"items": items, "password": "nope"})
    assert wrong.status_code == 400 and not LineClearance.objects.exists()
    assert "nothing was signed" in wrong.content.decode()
    signed = client.post("/resources/grade-b-suite/line-clearance/", {"items": items, "password": PASSWORD})
    assert signed.status_code == 302
    assert LineClearance.objects.get().signed_by == facility_user


def test_the_status_board_shows_holds_and_overdue_sporicide(client, room, facility_user):
    RoomHold.objects.create(room=room, cause="quarantine", note="Leak", placed_by=facility_user)
    client.force_login(facility_user)
    page = client.get("/facilities/test-facility/status/").content.decode()
    assert "On hold" in page and "since" in page


def test_a_deviation_reported_investigated_and_closed_by_qa(client, room, booker, facility_user, qa):
    client.force_login(booker)
    response = client.post(
        "/deviations/new/",
        {"room": room.pk, "category": "material", "severity": "critical", "description": "Wrong medium lot used"},
    )
    deviation = Deviation.objects.get()
    assert response.status_code == 302 and response["Location"] == deviation.get_absolute_url()
    assert room.holds.get().deviation == deviation
    assert f">{deviation.code}</a>" in client.get("/deviations/").content.decode()

    client.force_login(facility_user)
    client.post(deviation.get_absolute_url(), {"investigation": "Lot mix-up", "capa": "Two-person check"})
    client.force_login(qa)
    client.post(f"/deviations/{deviation.pk}/close/", {"password": PASSWORD, "note": "Effective"})
    deviation.refresh_from_db()
    assert deviation.status == "closed"
    assert deviation.closures.get().meaning == SignatureMeaning.APPROVED


def test_deviations_of_others_are_not_shown(client, room, booker, outsider):
    client.force_login(booker)
    form = {"room": room.pk, "category": "other", "severity": "minor", "description": "x"}
    client.post("/deviations/new/", form, follow=True)
    client.force_login(outsider)
    assert Deviation.objects.get().code not in client.get("/deviations/").content.decode()


def test_an_em_result_through_the_form_keeps_its_limits(client, room, facility_user):
    client.force_login(facility_user)
    response = client.post(
        "/resources/grade-b-suite/monitoring/",
        {
            "sampling_point": "Door",
            "grade": "B",
            "method": "air",
            "state": "in_operation",
            "sampled_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "value": "3",
            "password": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert EmResult.objects.get().action_limit == 10


def _overdue_section(client):
    return client.get("/").content.decode().split('id="sporicide-overdue"')[1].split("</section>")[0]


def test_the_staff_dashboard_flags_rooms_overdue_for_their_sporicide(client, room, facility_user):
    client.force_login(facility_user)
    assert room.name in _overdue_section(client)
    _cleanings(room, facility_user, 1)  # 30 days ago: still overdue (every 7 days)
    Cleaning.objects.create(
        room=room,
        agent=CleaningAgent.objects.get(),
        areas="Walls",
        signed_by=facility_user,
        meaning=SignatureMeaning.PERFORMED,
    )
    assert room.name not in _overdue_section(client)


def test_qa_reads_the_history_of_a_deviation(client, room, booker, qa):
    from logbook import services

    deviation = services.report_deviation(by=booker, room=room, category="other", severity="minor", description="x")
    client.force_login(qa)
    assert client.get(f"/history/deviation/{deviation.pk}/").status_code == 200
    assert f"/history/deviation/{deviation.pk}/" in client.get(deviation.get_absolute_url()).content.decode()


def test_a_correction_shows_in_the_logbook_beside_the_original(client, room, facility_user):
    from logbook import services

    original = services.sign_clearance(room, by=facility_user, password=PASSWORD, ticked=services.checklist_of(room))
    services.correct(original, by=facility_user, password=PASSWORD, reason="Wrong note", note="Filter changed")
    client.force_login(facility_user)
    page = client.get("/resources/grade-b-suite/logbook/?kind=clearance").content.decode()
    assert "Correction of the entry signed" in page and "Wrong note" in page
    assert page.count("Waste removed") == 2  # the original is listed as signed


def test_correcting_a_cleaning_through_its_form(client, room, facility_user, booker):
    _cleanings(room, facility_user, 1)
    original = Cleaning.objects.get()
    url = f"/resources/grade-b-suite/logbook/cleaning/{original.pk}/correct/"
    client.force_login(facility_user)
    assert url in client.get("/resources/grade-b-suite/logbook/").content.decode()
    form = {
        "performed_at": timezone.localtime(original.performed_at).strftime("%Y-%m-%dT%H:%M"),
        "agent": original.agent_id,
        "areas": "Floors and walls",
        "reason": "Walls were forgotten",
    }
    assert client.post(url, {**form, "password": "wrong"}).status_code == 400
    assert client.post(url, {**form, "password": PASSWORD}).status_code == 302
    correction = Cleaning.objects.get(corrects=original)
    original.refresh_from_db()
    assert (correction.areas, original.areas, correction.correction_reason) == (
        "Floors and walls",
        "Floors",
        "Walls were forgotten",
    )
    client.force_login(booker)  # neither the signer nor staff
    assert client.get(url).status_code == 403


def test_a_deviation_names_the_booking_it_happened_in(client, room, booker, admitted_project):
    from facilities.models import Booking

    start = timezone.now() - datetime.timedelta(hours=1)
    booking = Booking.objects.create(
        resource=room, project=admitted_project, booked_by=booker, period=(start, start + datetime.timedelta(hours=2)),
        purpose="Run", status="approved",
    )  # fmt: skip
    client.force_login(booker)
    assert f'value="{booking.pk}" selected' in client.get(f"/deviations/new/?booking={booking.pk}").content.decode()
    form = {"booking": booking.pk, "category": "procedure", "severity": "minor", "description": "Step skipped"}
    assert client.post("/deviations/new/", form).status_code == 302
    assert Deviation.objects.get().booking == booking
    assert client.get("/deviations/new/?booking=garbage").status_code == 200
