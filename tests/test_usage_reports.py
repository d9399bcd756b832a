"""Usage reports: hours per resource, group and project in March 2027, checked by hand, on the page and in the files.

The fixture month holds every awkward case: a booking that starts in February, one that ends in April,
the night the clocks go forward (Sunday 28 March 2027, a 23-hour day), a cancelled and a requested
booking (neither counts), a room closure, an equipment closure inside it (counted once) and a weekend
closure of the whole facility (outside opening hours, so it takes nothing away).
"""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils import translation

from facilities.models import (
    Booking,
    BookingStatus,
    CleanRoomGrade,
    Closure,
    ClosureReason,
    Facility,
    Resource,
    ResourceKind,
    UsageTotals,
)
from facilities.periods import local_datetime
from facilities.reports import (
    ReportPeriod,
    busiest_rooms_usage,
    numbers,
    resource_usage,
    usage_report,
    usage_report_page,
)
from facilities.services import cancel_booking
from projects.models import BillingCategory, ProjectStatus
from tests.helpers import bulk_bookings, csv_frame, csv_rows, rendered_nodes

pytestmark = pytest.mark.django_db

URL = reverse("facilities:usage_report")
HOUR, HALF_HOUR = datetime.timedelta(hours=1), datetime.timedelta(minutes=30)
MARCH = f"{URL}?month=2027-03"


def at(day: str, hhmm: str) -> datetime.datetime:
    return local_datetime(datetime.date.fromisoformat(day), datetime.time.fromisoformat(hhmm))


@pytest.fixture
def rated(room, equipment):
    room.internal_hourly_rate, room.external_hourly_rate = Decimal(1000), Decimal(2000)
    room.save()
    equipment.internal_hourly_rate, equipment.external_hourly_rate = Decimal(500), Decimal(900)
    equipment.save()
    return room, equipment


@pytest.fixture
def company_project(make_group, make_project):
    company = make_group("biotech-ab", name="Biotech AB", organisation_unit="company", cost_centre="EXT-9")
    return make_project(company, status=ProjectStatus.ACTIVE, acronym="CAR")


@pytest.fixture
def march(rated, admitted_project, company_project, member, facility_user):
    """March 2027 in the test facility (open Monday to Friday, 07:00-19:00)."""
    room, equipment = rated
    room.facility.closed_on_public_holidays = False  # the hand-computed hours predate holidays (Easter 2027)
    room.facility.save()
    group = admitted_project.group
    group.cost_centre = "MED-1"
    group.save()

    def booking(resource, start, end, project=admitted_project, status=BookingStatus.APPROVED):
        return Booking(
            resource=resource,
            project=project,
            booked_by=member,
            period=(start, end),
            purpose="Process development run",
            status=status,
        )

    # Created directly: the booking rules (opening hours, how far ahead) are not what is tested here.
    Booking.objects.bulk_create(
        [
            booking(room, at("2027-02-28", "22:00"), at("2027-03-01", "10:00")),  # 10 h in March
            booking(room, at("2027-03-03", "09:00"), at("2027-03-03", "13:00")),  # 4 h
            booking(equipment, at("2027-03-03", "09:00"), at("2027-03-03", "12:00")),  # 3 h on the equipment
            booking(room, at("2027-03-04", "08:00"), at("2027-03-04", "10:00"), project=company_project),  # 2 h
            booking(room, at("2027-03-10", "09:00"), at("2027-03-10", "13:00"), status=BookingStatus.CANCELLED),
            booking(room, at("2027-03-11", "09:00"), at("2027-03-11", "13:00"), status=BookingStatus.REQUESTED),
            booking(room, at("2027-03-27", "20:00"), at("2027-03-28", "08:00")),  # 11 h: the clocks go forward
            booking(room, at("2027-03-31", "18:00"), at("2027-04-01", "09:00")),  # 6 h in March
        ]
    )
    closure = {"facility": room.facility, "reason": ClosureReason.MAINTENANCE, "created_by": facility_user}
    Closure.objects.bulk_create(
        [
            Closure(resource=room, period=(at("2027-03-15", "00:00"), at("2027-03-17", "00:00")), **closure),
            Closure(resource=equipment, period=(at("2027-03-16", "12:00"), at("2027-03-16", "18:00")), **closure),
            Closure(period=(at("2027-03-20", "00:00"), at("2027-03-21", "00:00")), **closure),
        ]
    )
    return room, equipment


@pytest.fixture
def second_facility(march, make_group, make_project, member, facility_user):
    """A second facility in March 2027: a vector lab booking its isolator room for 8 h, and a day's closure."""
    facility = Facility.objects.create(name="Viral vector unit", slug="vector-unit")
    isolator = Resource.objects.create(
        facility=facility, kind="room", name="Isolator room", slug="isolator-room", grade=CleanRoomGrade.B
    )
    vector_lab = make_project(make_group("vector-lab", name="Vector Lab"), status=ProjectStatus.ACTIVE, acronym="AAV")
    Booking.objects.create(
        resource=isolator,
        project=vector_lab,
        booked_by=member,
        period=(at("2027-03-03", "08:00"), at("2027-03-03", "16:00")),
        purpose="Vector production",
        status=BookingStatus.APPROVED,
    )
    Closure.objects.create(
        facility=facility,
        reason=ClosureReason.CLEANING,
        period=(at("2027-03-02", "00:00"), at("2027-03-03", "00:00")),
        created_by=facility_user,
    )
    return isolator


def test_the_period_counts_elapsed_hours_across_daylight_saving_changes():
    assert ReportPeriod.month(2027, 3).hours == 31 * 24 - 1
    assert ReportPeriod.month(2026, 10).hours == 31 * 24 + 1
    assert ReportPeriod.month(2026, 11).hours == 30 * 24
    assert ReportPeriod.quarter(2026, 4) == ReportPeriod(
        datetime.date(2026, 10, 1), datetime.date(2026, 12, 31), "Q4 2026"
    )


def test_opening_hours_follow_the_wall_clock_on_the_daylight_saving_day(room, facility_user):
    room.facility.open_weekdays = list(range(7))
    room.facility.closed_on_public_holidays = False
    room.facility.save()
    (usage,) = resource_usage(
        ReportPeriod.days(datetime.date(2027, 3, 28), datetime.date(2027, 3, 28)), user=facility_user
    )
    assert usage.open_hours == 12


def test_round_the_clock_opening_hours_count_the_extra_hour_when_the_clocks_go_back(room, facility_user):
    room.facility.open_weekdays = list(range(7))
    room.facility.closed_on_public_holidays = False
    room.facility.opens_at, room.facility.closes_at = datetime.time(0, 0), datetime.time(23, 59)
    room.facility.save()
    (usage,) = resource_usage(
        ReportPeriod.days(datetime.date(2026, 10, 25), datetime.date(2026, 10, 25)), user=facility_user
    )
    assert usage.open_hours == Decimal("24.98")  # 24 h 59 min of elapsed time on a 25-hour day


def test_a_round_the_clock_resource_is_open_24_hours_every_day(room, facility_user):
    room.round_the_clock = True
    room.save()
    week = ReportPeriod.days(datetime.date(2027, 3, 22), datetime.date(2027, 3, 28))  # Sunday: 23 hours
    (usage,) = resource_usage(week, user=facility_user)
    assert usage.open_hours == 7 * 24 - 1


def test_resource_figures_equal_the_hand_computed_ones(march, facility_user):
    room, equipment = march
    rows = {row.resource: row for row in resource_usage(ReportPeriod.month(2027, 3), user=facility_user)}
    # 23 weekdays of 12 h; the room closed Monday 15 and Tuesday 16; the weekend closure falls outside opening hours.
    assert rows[room].open_hours == 276
    assert rows[room].closed_hours == 24
    assert rows[room].available_hours == 252
    assert rows[room].booked_hours == 10 + 4 + 2 + 11 + 6
    assert rows[room].utilisation == Decimal("13.1")  # 33 / 252
    # The equipment's own closure lies inside its room's and counts once.
    assert rows[equipment].closed_hours == 24
    assert rows[equipment].booked_hours == 3
    assert rows[equipment].utilisation == Decimal("1.2")  # 3 / 252


def test_the_busiest_rooms_are_the_reports_rooms_with_the_most_booked_hours(march, second_facility, facility_user):
    """The written-out ranking of the staff dashboard follows resource_usage: rooms only (the equipment, booked
    for more hours than the isolator room here, is left out), by booked hours, then filled up by name."""
    room, equipment = march
    Booking.objects.create(
        resource=equipment,
        project=room.bookings.first().project,
        booked_by=room.bookings.first().booked_by,
        period=(at("2027-03-05", "07:00"), at("2027-03-05", "19:00")),
        purpose="Long run",
        status=BookingStatus.APPROVED,
    )
    quiet = Resource.objects.create(facility=room.facility, kind=ResourceKind.ROOM, name="A quiet room", slug="quiet")
    period = ReportPeriod.month(2027, 3)
    report = resource_usage(period, user=facility_user)
    rooms = [row for row in report if row.resource.kind == ResourceKind.ROOM]
    ranked = sorted(rooms, key=lambda row: (-row.booked_hours, row.resource.name))
    assert [row.resource for row in ranked] == [room, second_facility, quiet]
    for count in (1, 2, 3):
        busiest = busiest_rooms_usage(period, count, user=facility_user)
        chosen = [row for row in report if row in ranked[:count]]  # in the report's order
        assert busiest == chosen


def test_hours_and_cost_per_group_and_project(march, admitted_project, company_project, facility_user):
    room, equipment = march
    company, lab = usage_report(ReportPeriod.month(2027, 3), user=facility_user).groups
    assert company.group.billed_as == BillingCategory.EXTERNAL
    assert [(line.project, line.resource, line.hours, line.rate, line.cost) for line in company.lines] == [
        ((company_project.code, company_project.title), room, 2, 2000, 4000)
    ]
    assert lab.group.billed_as == BillingCategory.INTERNAL
    assert [(line.resource, line.hours, line.cost) for line in lab.lines] == [(equipment, 3, 1500), (room, 31, 31000)]
    assert (lab.hours, lab.cost) == (34, 32500)


def test_a_chosen_billing_category_overrides_the_organisation_unit(company_project, rated):
    company = company_project.group
    company.billing_category = BillingCategory.INTERNAL
    assert company.billed_as == BillingCategory.INTERNAL
    assert rated[0].hourly_rate(company.billed_as) == 1000


def test_the_page_shows_the_figures_tables_and_charts(client, march, facility_user):
    client.force_login(facility_user)
    response = client.get(MARCH)
    assert response.status_code == 200
    page = response.text
    assert "Usage report: March 2027" in page
    assert "743.00 h" in page
    for figure in ("276.00", "24.00", "33.00", "13.1", "31,000.00", "32,500.00", "4,000.00", "EXT-9", "MED-1"):
        assert figure in page
    assert page.count('<svg class="bar-chart"') == 2
    assert "13.1 %" in page and "34.00 h" in page  # the bars carry their numbers
    assert "<script" not in page.split("<main")[1].split("</main>")[0]


def test_the_swedish_page_writes_money_and_hours_the_swedish_way(client, march, facility_user):
    client.force_login(facility_user)
    client.cookies["django_language"] = "sv"
    page = client.get(MARCH).text
    assert "mars 2027" in page
    assert "36,00 h bokade totalt; 36\xa0500 kr." in page
    assert "31\xa0000,00" in page
    assert "13,1 %" in page and "34,00 h" in page  # the charts' bars


def test_csv_and_xlsx_hold_the_same_numbers_as_the_page(client, march, facility_user):
    room, _equipment = march
    client.force_login(facility_user)
    response = client.get(MARCH + "&format=csv&table=resources")
    assert response["Content-Disposition"] == 'attachment; filename="usage-2027-03-01-2027-03-31-resources.csv"'
    rows = csv_rows(response)
    assert rows[0][3:] == [
        "Open hours (h)",
        "Closure hours (h)",
        "Available hours (h)",
        "Booked hours (h)",
        "Utilisation (%)",
    ]
    room_row = next(row for row in rows if row[1:2] == [room.name])
    assert room_row[3:] == ["276.00", "24.00", "252.00", "33.00", "13.1"]
    billing = [row for row in csv_rows(client.get(MARCH + "&format=csv&table=groups")) if row[:1] == ["Stem Cell Lab"]]
    assert [row[5:] for row in billing] == [
        ["Biosafety cabinet", "3.00", "500.00", "1500.00"],
        ["Grade B suite", "31.00", "1000.00", "31000.00"],
    ]

    response = client.get(MARCH + "&format=xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    resources, groups, period = workbook.worksheets
    assert [cell.value for cell in period[2]] == [
        "March 2027",
        datetime.datetime(2027, 3, 1),
        datetime.datetime(2027, 3, 31),
        "All facilities",
        743,
    ]
    values = [[cell.value for cell in row] for row in resources.iter_rows()]
    assert "Open hours (h)" in values[0]
    room_cells = next(row for row in values if row[1:2] == [room.name])
    assert [float(value) for value in room_cells[3:]] == [276, 24, 252, 33, 0.131]
    costs = [row[8] for row in groups.iter_rows(values_only=True) if row[0] == "Stem Cell Lab"]
    assert costs == [1500, 31000]


def test_the_workbook_is_ready_for_finance(client, march, facility_user):
    """Numbers are numbers with their formats, dates are dates; the header stays in view and filters."""
    client.force_login(facility_user)
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(MARCH + "&format=xlsx").content))
    resources, groups, period = workbook.worksheets
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2"
        assert sheet.auto_filter.ref == sheet.dimensions
        assert all(sheet.column_dimensions[letter].width > 8 for letter in "ABCDE")
        assert all(cell.font.bold for cell in sheet[1])
    room = next(row for row in resources.iter_rows(min_row=2) if row[1].value == "Grade B suite")
    assert [(cell.data_type, cell.number_format) for cell in room[3:]] == [("n", "0.0")] * 4 + [("n", "0.0%")]
    line = next(
        row for row in groups.iter_rows(min_row=2) if [row[0].value, row[5].value] == ["Stem Cell Lab", "Grade B suite"]
    )
    hours, rate, cost = line[6:]
    assert (hours.value, hours.number_format) == (31, "0.0")
    assert (cost.value, cost.data_type) == (31000, "n")
    assert rate.number_format == cost.number_format == '#,##0.00 "kr"'
    first_day = period["B2"]
    assert first_day.is_date and first_day.number_format == "yyyy-mm-dd"
    assert resources.column_dimensions["B"].width >= len("Biosafety cabinet")


def test_pandas_reads_each_csv_without_options(client, march, facility_user):
    client.force_login(facility_user)
    resources = csv_frame(client.get(MARCH + "&format=csv&table=resources&dialect=excel"))
    assert list(resources.columns)[:2] == ["Facility", "Resource"]
    room = resources.set_index("Resource").loc["Grade B suite"]
    assert (room["Booked hours (h)"], room["Utilisation (%)"]) == (33.0, 13.1)
    groups = csv_frame(client.get(MARCH + "&format=csv&table=groups"))
    assert groups["Cost (SEK)"].dtype == "float64"
    assert groups.groupby("Research group")["Cost (SEK)"].sum().to_dict() == {
        "Biotech AB": 4000,
        "Stem Cell Lab": 32500,
    }


@pytest.mark.parametrize(
    ("language", "query"), [("sv", ""), ("en", "&dialect=excel-sv")], ids=["swedish-user", "chosen"]
)
def test_the_swedish_csv_splits_on_semicolons_with_decimal_commas(client, march, facility_user, language, query):
    room = march[0]
    room.name = "Renrum för åtgärder"
    room.save()
    client.force_login(facility_user)
    client.cookies["django_language"] = language
    response = client.get(MARCH + "&format=csv&table=resources" + query)
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    text = response.content.decode("utf-8-sig")
    assert text.splitlines()[0].count(";") == 7 and ";33,00;13,1" in text
    frame = csv_frame(response, sep=";", decimal=",")
    row = frame.set_index(frame.columns[1]).loc["Renrum för åtgärder"]
    assert list(row.iloc[2:]) == [276.0, 24.0, 252.0, 33.0, 13.1]
    assert frame[frame.columns[7]].dtype == "float64"


def test_text_from_users_comes_back_exactly_and_never_runs_as_a_formula(client, march, admitted_project, facility_user):
    group = admitted_project.group
    group.cost_centre = "-4711+MED"
    group.save()
    admitted_project.title = "=1+1"
    admitted_project.save()
    client.force_login(facility_user)
    rows = csv_rows(client.get(MARCH + "&format=csv&table=groups"))
    assert ["Stem Cell Lab", "'-4711+MED"] in [row[:2] for row in rows]
    assert "'=1+1" in [row[4] for row in rows]
    workbook = openpyxl.load_workbook(io.BytesIO(client.get(MARCH + "&format=xlsx").content))
    lines = [row for row in workbook.worksheets[1].iter_rows(min_row=2) if row[0].value == "Stem Cell Lab"]
    assert [(row[1].value, row[1].data_type) for row in lines] == [("-4711+MED", "s")] * 2
    assert [(row[4].value, row[4].data_type) for row in lines] == [("=1+1", "s")] * 2


@pytest.mark.parametrize(
    ("query", "message"),
    [("&table=everything", "There is no such table in the report"), ("&dialect=lotus", "There is no such CSV dialect")],
)
def test_unknown_tables_and_dialects_get_a_clear_message(client, march, facility_user, query, message):
    client.force_login(facility_user)
    response = client.get(MARCH + "&format=csv" + query)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_facility_report_counts_only_that_facilitys_resources(march, second_facility, facility_user):
    room, equipment = march
    march_2027 = ReportPeriod.month(2027, 3)
    centre = usage_report(march_2027, user=facility_user)
    assert {row.resource for row in centre.resources} == {room, equipment, second_facility}
    assert centre.booked_hours == 33 + 3 + 8
    assert [row.group.name for row in centre.groups] == ["Biotech AB", "Stem Cell Lab", "Vector Lab"]

    report = usage_report(march_2027, facility=room.facility, user=facility_user)
    rows = {row.resource: row for row in report.resources}
    assert set(rows) == {room, equipment}
    # The other facility's closure on Tuesday 2 March closes nothing here.
    assert (rows[room].closed_hours, rows[room].booked_hours) == (24, 33)
    assert report.booked_hours == 33 + 3
    assert [(row.group.name, row.cost) for row in report.groups] == [("Biotech AB", 4000), ("Stem Cell Lab", 32500)]

    other = {
        row.resource: row
        for row in usage_report(march_2027, facility=second_facility.facility, user=facility_user).resources
    }
    assert (other[second_facility].closed_hours, other[second_facility].booked_hours) == (12, 8)


def test_the_page_and_its_charts_show_only_the_chosen_facility(client, march, second_facility, facility_user):
    client.force_login(facility_user)
    everything = client.get(MARCH).text
    assert "Isolator room" in everything and "Vector Lab" in everything
    response = client.get(MARCH + "&facility=test-facility")
    assert response.status_code == 200
    page = response.text
    assert "Usage report: March 2027 · Test pre-GMP facility" in page
    assert '<option value="test-facility" selected>' in page
    assert "Isolator room" not in page and "Vector Lab" not in page
    assert "36.00 h booked in all" in page
    assert page.count('<svg class="bar-chart"') == 2
    assert 'href="?month=2027-03&amp;facility=test-facility&amp;format=csv&amp;table=groups"' in page
    assert 'href="?month=2027-03&amp;facility=test-facility&amp;format=xlsx"' in page


def test_the_files_name_the_chosen_facility(client, march, second_facility, facility_user):
    client.force_login(facility_user)
    response = client.get(MARCH + "&facility=test-facility&format=csv")
    assert response["Content-Disposition"] == (
        'attachment; filename="usage-test-facility-2027-03-01-2027-03-31-resources.csv"'
    )
    rows = csv_rows(response)
    assert {row[0] for row in rows[1:]} == {"Test pre-GMP facility"}
    assert not [row for row in rows if "Isolator room" in row]
    assert not [row for row in csv_rows(client.get(MARCH + "&facility=test-facility&format=csv&table=groups"))
                if "Vector Lab" in row]  # fmt: skip

    workbook = openpyxl.load_workbook(io.BytesIO(client.get(MARCH + "&facility=test-facility&format=xlsx").content))
    assert workbook.worksheets[-1]["D2"].value == "Test pre-GMP facility"
    names = [row[1] for row in workbook.worksheets[0].iter_rows(values_only=True)]
    assert "Grade B suite" in names and "Isolator room" not in names


@pytest.mark.parametrize("who", ["member", "reviewer", "pi"])
def test_only_facility_staff_and_administrators_read_reports(client, request, march, admin_user, who):
    client.force_login(request.getfixturevalue(who))
    for suffix in ("", "&format=csv", "&format=xlsx"):
        assert client.get(MARCH + suffix).status_code == 403
    client.force_login(admin_user)
    assert client.get(MARCH).status_code == 200


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("month=garbage", "Give the month as YYYY-MM, e.g. 2026-11."),
        ("month=2026-13", "with a month from 01 to 12"),
        ("month=0000-01", "Give a year from 2000 to 2100."),
        ("quarter=2026-Q5", "Give the quarter as YYYY-Qn"),
        ("year=twenty", "Enter a whole number."),
        ("start=2027-03-31&end=2027-03-01", "The last day must be on or after the first"),
        ("start=2027-03-01", "needs both its first and its last day"),
        ("month=2027-03&year=2027", "Choose one period"),
        ("month=2027-03&format=pdf", "Select a valid choice"),
        ("month=2027-03&facility=no-such-unit", "There is no such facility; choose one from the list."),
    ],
)
def test_bad_periods_get_a_clear_message_not_a_500(client, facility_user, query, message):
    client.force_login(facility_user)
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert message in response.text


@pytest.mark.parametrize(
    ("query", "label", "room_hours"),
    [
        ("quarter=2027-Q1", "Q1 2027", "35.00"),  # the February booking counts whole: 12 h
        ("year=2027", "2027", "44.00"),  # and the one into April too: 15 h
        ("start=2027-03-01&end=2027-03-31", "2027-03-01 to 2027-03-31", "33.00"),
    ],
)
def test_quarters_years_and_ranges_of_days(client, march, facility_user, query, label, room_hours):
    client.force_login(facility_user)
    response = client.get(f"{URL}?{query}")
    assert f"Usage report: {label}" in response.text
    assert f'<td class="text-end">{room_hours}</td>' in response.text


@pytest.mark.parametrize("scope", ["", "&facility=test-facility"], ids=["whole-centre", "one-facility"])
def test_report_queries_do_not_grow_with_bookings(
    client, rated, admitted_project, member, facility_user, django_assert_max_num_queries, scope
):
    room, _equipment = rated
    first = at("2027-03-01", "00:00").astimezone(datetime.UTC)  # UTC: steps of real time across the DST change

    def bulk(count):
        Booking.objects.all().delete()
        bulk_bookings(count, resource=room, project=admitted_project, user=member, first=first)

    client.force_login(facility_user)
    bulk(10)
    # The page: a page of resources (counted; a facility's read at once), their bookings, closures and exception
    # days; the totals of every line with the groups' ids, read as kept or else summed and kept (the lock, the
    # sum and the insert, and the savepoint around them); the lines of the page's groups with their projects'
    # names, their groups and resources (a facility's already read); the facilities to choose from.
    with django_assert_max_num_queries(17 - 2 * bool(scope)) as few:
        assert "2.50" in client.get(MARCH + scope).text
    with django_assert_max_num_queries(len(few.captured_queries) - 5):  # the totals as kept
        assert "2.50" in client.get(MARCH + scope).text
    bulk(2000)
    Facility.objects.bulk_create(Facility(name=f"Unit {n}", slug=f"unit-{n}") for n in range(30))
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert "500.00" in client.get(MARCH + scope).text
    for export in ("csv", "xlsx"):
        with django_assert_max_num_queries(len(few.captured_queries)):
            assert client.get(f"{MARCH}{scope}&format={export}").status_code == 200


def test_the_reports_link_shows_for_facility_staff_only(client, member, facility_user):
    client.force_login(member)
    assert f'href="{URL}"' not in client.get(reverse("dashboard")).text
    client.force_login(facility_user)
    assert f'href="{URL}">Reports</a>' in client.get(reverse("dashboard")).text


def test_public_holidays_and_exception_days_take_open_hours_away(room, facility_user):
    from facilities.models import OpeningException

    easter_week = ReportPeriod.days(datetime.date(2027, 3, 22), datetime.date(2027, 3, 28))
    (usage,) = resource_usage(easter_week, user=facility_user)
    assert usage.open_hours == 4 * 12  # Good Friday closed
    OpeningException.objects.create(
        facility=room.facility,
        first_day=datetime.date(2027, 3, 26),
        last_day=datetime.date(2027, 3, 26),
        closed=False,
        opens_at=datetime.time(9),
        closes_at=datetime.time(13),
        note="Open for a campaign",
    )
    OpeningException.objects.create(
        facility=room.facility, first_day=datetime.date(2027, 3, 22), last_day=datetime.date(2027, 3, 23), note="HVAC"
    )
    (usage,) = resource_usage(easter_week, user=facility_user)
    assert usage.open_hours == 2 * 12 + 4


def test_the_page_shows_resources_a_page_at_a_time_with_totals_of_all(
    client, rated, admitted_project, member, facility_user
):
    room, _equipment = rated
    Resource.objects.bulk_create(
        Resource(facility=room.facility, kind=ResourceKind.ROOM, name=f"Spare room {n:02d}", slug=f"spare-{n}")
        for n in range(30)
    )
    bulk_bookings(10, resource=room, project=admitted_project, user=member, first=at("2027-03-01", "09:00"))
    client.force_login(facility_user)
    first_page = client.get(MARCH).text
    assert "Resources 1 to 25 of 32; the CSV and Excel files hold them all." in first_page
    assert "Spare room 29" not in first_page
    second_page = client.get(MARCH + "&resources_page=2").text
    assert "Resources 26 to 32 of 32" in second_page and "Spare room 29" in second_page
    for page in (first_page, second_page):
        assert "2.50 h booked in all; 2,500 SEK." in page


@pytest.fixture
def lab_groups(rated, make_group, make_project, member):
    """Thirty groups, each with one project and one approved hour in the room on 1 March 2027, one after another."""
    room, _equipment = rated
    for n in range(30):
        project = make_project(make_group(f"lab-{n:02d}", name=f"Lab {n:02d}"), status=ProjectStatus.ACTIVE)
        first = at("2027-03-01", "07:00") + n * HOUR
        bulk_bookings(1, resource=room, project=project, user=member, first=first, length=HOUR)
    return room


def test_the_page_shows_groups_a_page_at_a_time_with_totals_of_all(
    client, lab_groups, facility_user, django_assert_max_num_queries
):
    client.force_login(facility_user)
    with django_assert_max_num_queries(17):  # the totals summed and kept (see above)
        first_page = client.get(MARCH).text
    assert "Groups 1 to 25 of 30; the CSV and Excel files hold them all." in first_page
    assert "Lab 24" in first_page and "Lab 25" not in first_page
    second_page = client.get(MARCH + "&page=2").text
    assert "Groups 26 to 30 of 30" in second_page and "Lab 29" in second_page and "Lab 24" not in second_page
    for page in (first_page, second_page):
        assert "30.00 h booked in all; 30,000 SEK." in page
    groups = csv_rows(client.get(MARCH + "&format=csv&table=groups"))
    assert {row[0] for row in groups[1:]} == {f"Lab {n:02d}" for n in range(30)}


def test_the_page_totals_equal_the_sum_of_every_line(march, second_facility, facility_user):
    whole = usage_report(ReportPeriod.month(2027, 3), user=facility_user)
    page = usage_report_page(ReportPeriod.month(2027, 3), user=facility_user, per_page=1, resource_page=1, group_page=1)
    assert (
        (page.booked_hours, page.cost) == (whole.booked_hours, whole.cost) == (44, 36500)
    )  # the isolator room has no rates
    assert page.groups.paginator.count == len(whole.groups) == 3


def test_the_group_table_renders_as_many_template_nodes_for_twenty_lines_as_for_one(
    client, rated, admitted_project, make_project, member, facility_user, monkeypatch
):
    room, _equipment = rated
    client.force_login(facility_user)
    bulk_bookings(1, resource=room, project=admitted_project, user=member, first=at("2027-03-01", "07:00"))
    one = rendered_nodes(client, MARCH, monkeypatch)
    for n in range(19):  # nineteen more projects of the same group: twenty lines under one group
        project = make_project(admitted_project.group, status=ProjectStatus.ACTIVE, acronym=f"P{n}")
        bulk_bookings(1, resource=room, project=project, user=member, first=at("2027-03-02", "07:00") + n * HALF_HOUR)
    page = client.get(MARCH).text
    assert page.count('<th scope="row" class="fw-normal">') == 20
    assert rendered_nodes(client, MARCH, monkeypatch) == one


def test_the_facility_list_shows_a_new_facility_at_once(client, room, facility_user):
    client.force_login(facility_user)
    assert '<option value="test-facility">' in client.get(URL).text
    Facility.objects.create(name="Cell therapy unit", slug="cell-unit")
    page = client.get(URL + "?facility=cell-unit").text
    assert '<option value="cell-unit" selected>Cell therapy unit</option>' in page


@pytest.mark.parametrize("language", ["en", "sv"])
def test_the_rows_write_numbers_as_the_templates_do(language):
    with translation.override(language):
        number = numbers()
        for value in ("0", "0.05", "7.5", "999.99", "1000", "36500.00", "1234567.89"):
            assert number(Decimal(value)) == floatformat(Decimal(value), "2g")


def test_the_rows_escape_the_names_users_gave(client, march, admitted_project, facility_user):
    admitted_project.title = "<b>Bold</b> & co"
    admitted_project.save()
    client.force_login(facility_user)
    page = client.get(MARCH).text
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in page and "<b>Bold</b>" not in page


def test_a_booking_made_and_cancelled_shows_in_the_very_next_report(client, book_room, booking_day, facility_user):
    """The report's totals and its lines follow each booking at once (the kept totals are deleted with it)."""
    month = f"{URL}?month={booking_day:%Y-%m}"
    client.force_login(facility_user)
    assert "No approved bookings in this period." in client.get(month).text
    booking = book_room("09:00", "13:00")
    assert booking.status == BookingStatus.APPROVED
    page = client.get(month).text
    assert "4.00 h booked in all" in page and booking.project.code in page
    cancel_booking(booking, by=facility_user, reason="Media not delivered")
    page = client.get(month).text
    assert "0.00 h booked in all" in page and "No approved bookings in this period." in page


def page_totals(user, facility=None):
    """The totals of the page on March 2027: booked hours, cost and the groups' ids by name."""
    page = usage_report_page(
        ReportPeriod.month(2027, 3), facility, user=user, per_page=25, resource_page=1, group_page=1
    )
    return page.booked_hours, page.cost, list(page.groups.paginator.object_list)


def summed_totals(user, facility=None):
    """The same totals summed from every line of the files, which keep nothing."""
    report = usage_report(ReportPeriod.month(2027, 3), facility, user=user)
    return report.booked_hours, report.cost, [row.group.pk for row in report.groups]


def the_four_hours_in_the_room(room):
    return Booking.objects.get(resource=room, period__startswith=at("2027-03-03", "09:00"))


def changed(**fields):
    def change(room, equipment, company_project):
        booking = the_four_hours_in_the_room(room)
        for name, value in fields.items():
            setattr(booking, name, value(room, equipment, company_project) if callable(value) else value)
        booking.save()

    return change


def deleted(room, equipment, company_project):
    the_four_hours_in_the_room(room).delete()


def approved(room, equipment, company_project):
    Booking.objects.filter(status=BookingStatus.REQUESTED).update(status=BookingStatus.APPROVED)


def moved_to_the_company(room, equipment, company_project):
    project = the_four_hours_in_the_room(room).project
    project.group = company_project.group
    project.save()


def group_changed(**fields):
    def change(room, equipment, company_project):
        group = the_four_hours_in_the_room(room).project.group
        for name, value in fields.items():
            setattr(group, name, value)
        group.save()

    return change


def room_changed(**fields):
    def change(room, equipment, company_project):
        for name, value in fields.items():
            setattr(room, name, value)
        room.save()

    return change


@pytest.mark.parametrize("scope", ["centre", "facility"])
@pytest.mark.parametrize(
    "change",
    [
        changed(status=BookingStatus.CANCELLED),
        approved,
        deleted,
        changed(period=(at("2027-04-05", "09:00"), at("2027-04-05", "13:00"))),
        changed(period=(at("2027-03-03", "09:00"), at("2027-03-03", "14:00"))),
        changed(
            resource=lambda room, equipment, company_project: equipment,
            period=(at("2027-03-05", "09:00"), at("2027-03-05", "13:00")),
        ),
        changed(project=lambda room, equipment, company_project: company_project),
        moved_to_the_company,
        group_changed(billing_category=BillingCategory.EXTERNAL),
        group_changed(name="AAA Lab"),  # first by name
        room_changed(internal_hourly_rate=Decimal(1200)),
        room_changed(active=False),
    ],
    ids=[
        "cancelled",
        "requested-approved",
        "deleted",
        "moved-to-april",
        "made-longer",
        "moved-to-the-equipment",
        "moved-to-another-project",
        "project-moved-to-another-group",
        "group-billed-externally",
        "group-renamed",
        "rate-changed",
        "room-retired",
    ],
)
def test_kept_totals_follow_every_change_in_the_very_next_report(march, company_project, facility_user, scope, change):
    room, equipment = march
    facility = room.facility if scope == "facility" else None
    kept = page_totals(facility_user, facility)
    assert kept == summed_totals(facility_user, facility)
    assert UsageTotals.objects.filter(facility=facility).exists()
    assert page_totals(facility_user, facility) == kept  # read as kept
    change(room, equipment, company_project)
    assert page_totals(facility_user, facility) == summed_totals(facility_user, facility) != kept


def test_changes_outside_the_totals_keep_them(march, member, facility_user):
    room, _equipment = march
    kept = page_totals(facility_user)
    booking = the_four_hours_in_the_room(room)
    booking.purpose = "Another purpose"
    booking.save()
    Booking.objects.create(  # approved in another month; requested in this one
        resource=room,
        project=booking.project,
        booked_by=member,
        period=(at("2027-05-03", "09:00"), at("2027-05-03", "13:00")),
        purpose="Run",
        status=BookingStatus.APPROVED,
    )
    Booking.objects.create(
        resource=room,
        project=booking.project,
        booked_by=member,
        period=(at("2027-03-05", "09:00"), at("2027-03-05", "13:00")),
        purpose="Run",
    )
    room.description = "Newly painted"
    room.save()
    assert UsageTotals.objects.get().booked_hours == kept[0]


def test_only_totals_of_whole_months_are_kept(client, march, facility_user):
    client.force_login(facility_user)
    for query in ("start=2027-03-01&end=2027-03-10", "start=2027-03-02&end=2027-03-31"):
        assert client.get(f"{reverse('facilities:usage_report')}?{query}").status_code == 200
    assert not UsageTotals.objects.exists()
    for query in ("month=2027-03", "start=2027-01-01&end=2027-03-31"):
        assert client.get(f"{reverse('facilities:usage_report')}?{query}").status_code == 200
    assert sorted(UsageTotals.objects.values_list("first_day", "last_day")) == [
        (datetime.date(2027, 1, 1), datetime.date(2027, 3, 31)),
        (datetime.date(2027, 3, 1), datetime.date(2027, 3, 31)),
    ]


@pytest.mark.django_db(transaction=True)
def test_totals_summed_while_a_change_is_under_way_are_not_kept(march, facility_user):
    room, _equipment = march
    assert page_totals(facility_user)[:2] == (36, 36500)
    UsageTotals.objects.all().delete()
    other = connection.get_new_connection(connection.get_connection_params())  # another request's transaction
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "UPDATE facilities_booking SET status = 'cancelled' WHERE id = %s",
                [the_four_hours_in_the_room(room).pk],
            )
        assert page_totals(facility_user)[:2] == (36, 36500)  # not committed yet
        assert not UsageTotals.objects.exists()
        other.commit()
    finally:
        other.close()
    assert page_totals(facility_user)[:2] == (32, 32500)
