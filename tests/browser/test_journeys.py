"""The journeys people take through the portal, start to end, in a real browser."""

import datetime
import re
from urllib.parse import parse_qs, urlsplit

from django.utils import timezone
from playwright.sync_api import expect

from facilities.models import Booking, BookingStatus
from projects.models import AtmpProject, Membership, MembershipRole, ProjectStatus, ResearchGroup


def a_free_weekday_far_ahead() -> datetime.date:
    """A Tuesday six weeks ahead: past the demo bookings, inside the 60-day booking window."""
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday()) + datetime.timedelta(weeks=6)
    return monday + datetime.timedelta(days=1)


def free_time_of(page, resource_slug):
    """The first stretch of free time in the row of ``resource_slug``: its element and its local start and end."""
    cell = page.locator(f"[role=row]:has(a[href='/resources/{resource_slug}/']) .b-free[data-from]").first
    cell.scroll_into_view_if_needed()
    start, end = (datetime.datetime.fromisoformat(cell.get_attribute(name)) for name in ("data-from", "data-to"))
    return cell, start, end


def drag_across(page, cell, start, end, first, last):
    """Drag with the mouse across ``cell`` (free time from ``start`` to ``end``) from ``first`` to ``last``."""
    box = cell.bounding_box()

    def x_at(moment):
        return box["x"] + box["width"] * ((moment - start) / (end - start))

    y = box["y"] + box["height"] / 2
    page.mouse.move(x_at(first) + 1, y)
    page.mouse.down()
    page.mouse.move(x_at(first + (last - first) / 2), y, steps=4)
    page.mouse.move(x_at(last) + 1, y, steps=4)
    page.mouse.up()


def switch_user(page, log_in, username):
    page.context.clear_cookies()
    return log_in(username)


def test_register_submit_and_accept_a_project(demo, log_in, live_server):
    page = log_in("researcher")
    page.get_by_role("link", name="Projects", exact=True).click()
    page.get_by_role("link", name="Register a project").click()
    page.get_by_label("Title").fill("Gene-corrected keratinocyte sheets for epidermolysis bullosa")
    page.get_by_label("Acronym").fill("KERA-GT")
    page.get_by_label("Research group").select_option(label="Haematopoietic Stem Cell Laboratory")
    page.get_by_label("Project lead").select_option(value=str(_user_id("researcher")))
    page.get_by_label("ATMP class").select_option(label="Tissue-engineered product (TEP)")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("KERA-GT")
    code = AtmpProject.objects.get(acronym="KERA-GT").code

    page.get_by_role("button", name="Submit to the centre").click()
    expect(page.get_by_text("Submitted", exact=True).first).to_be_visible()

    page = switch_user(page, log_in, "reviewer")
    page.get_by_role("link", name=code).first.click()
    page.get_by_role("button", name="Start review").click()
    page.get_by_label(re.compile("Comment for .Accept.")).fill("Fits the pre-GMP programme.")
    page.get_by_role("button", name="Accept", exact=True).click()
    expect(page.get_by_text("Fits the pre-GMP programme.")).to_be_visible()
    assert AtmpProject.objects.get(code=code).status == ProjectStatus.ACCEPTED


def test_book_a_free_slot_from_the_week_approve_and_cancel(demo, log_in, live_server):
    day = a_free_weekday_far_ahead()
    page = log_in("researcher")
    iso_year, iso_week, _ = day.isocalendar()
    page.goto(f"{live_server.url}/resources/grade-b-suite-1/?week={iso_year}-W{iso_week:02d}")
    page.locator(f".schedule .b-free a[href*='start={day:%Y-%m-%dT}']").first.click()
    expect(page.get_by_label("Start")).to_have_value(re.compile(f"^{day:%Y-%m-%d}T"))
    page.get_by_label("Start").fill(f"{day:%Y-%m-%d}T09:00")
    page.get_by_label("ATMP project").select_option(index=1)
    page.get_by_label("End").fill(f"{day:%Y-%m-%d}T12:00")
    page.get_by_label("Purpose").fill("Process development run 3: transduction")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text("Requested").first).to_be_visible()
    booking = Booking.objects.get(purpose="Process development run 3: transduction")
    assert booking.status == BookingStatus.REQUESTED

    page = switch_user(page, log_in, "facility")
    page.goto(f"{live_server.url}{booking.get_absolute_url()}")
    page.get_by_role("button", name="Approve").click()
    expect(page.get_by_text("Approved").first).to_be_visible()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.APPROVED

    page = switch_user(page, log_in, "researcher")
    page.goto(f"{live_server.url}{booking.get_absolute_url()}")
    page.get_by_role("link", name="Cancel booking").click()
    page.get_by_label("Reason").fill("The vector batch failed release testing.")
    page.get_by_role("button", name="Cancel booking").click()
    expect(page.get_by_text("Cancelled").first).to_be_visible()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_change_language(demo, log_in, live_server):
    page = log_in("researcher")
    page.get_by_text("Language: English").click()
    page.get_by_role("button", name="Svenska").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("link", name="Översikt").first).to_be_visible()


def _user_id(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username).pk


def test_invite_by_mail_and_accept_after_logging_in(demo, log_in, live_server, mailoutbox):
    page = log_in("pi")
    page.goto(f"{live_server.url}/groups/stem-cell-lab/")
    page.locator("#id_invite-email").fill("outsider@demo.atmp.example")
    page.locator("#id_invite-role").select_option(label="Manager")
    page.get_by_role("button", name="Send invitation").click()
    expect(page.get_by_text("An invitation was sent to outsider@demo.atmp.example.")).to_be_visible()
    link = re.search(r"/invitations/[^/\s]+/", mailoutbox[-1].body).group(0)

    page.context.clear_cookies()
    page.goto(live_server.url + link)  # signed out: the login page, which leads back here
    page.locator("#id_username").fill("outsider")
    page.locator("#id_password").fill("demo-pass-2026")
    page.locator("main form button[type=submit]").click()
    page.get_by_role("button", name="Accept the invitation").click()
    expect(page.get_by_text("Welcome to Haematopoietic Stem Cell Laboratory.")).to_be_visible()
    membership = Membership.objects.get(group__slug="stem-cell-lab", user__username="outsider")
    assert membership.role == MembershipRole.MANAGER


def test_apply_for_a_group_and_become_its_pi(demo, log_in, live_server):
    page = log_in("researcher")
    page.get_by_role("link", name="Research groups", exact=True).click()
    page.get_by_role("link", name="Apply for a new research group").click()
    page.get_by_label("Name of the group").fill("Corneal Regeneration Group")
    page.get_by_label("Organisation unit").select_option(label="Faculty of Medicine")
    page.get_by_label("Cost centre").fill("MED-5150")
    page.get_by_label("Description").fill("Limbal stem cell sheets for corneal repair.")
    page.get_by_role("button", name="Send the application").click()
    expect(page.get_by_text("Waiting for a decision")).to_be_visible()

    page = switch_user(page, log_in, "reviewer")
    page.goto(f"{live_server.url}/group-applications/review/")
    page.get_by_role("button", name="Approve Corneal Regeneration Group").click()
    expect(page.get_by_text("The research group Corneal Regeneration Group was created.")).to_be_visible()

    page = switch_user(page, log_in, "researcher")
    page.goto(f"{live_server.url}/group-applications/")
    page.get_by_role("link", name="Corneal Regeneration Group").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Corneal Regeneration Group")
    assert ResearchGroup.objects.get(name="Corneal Regeneration Group").pi.username == "researcher"


def test_drag_across_free_time_in_the_schedule_opens_the_form_with_that_start_and_end(demo, log_in, live_server):
    day = a_free_weekday_far_ahead()
    page = log_in("researcher")
    page.goto(f"{live_server.url}/facilities/pre-gmp/schedule/?date={day}")
    cell, start, end = free_time_of(page, "grade-b-suite-1")
    first, last = start + datetime.timedelta(hours=1), start + datetime.timedelta(hours=3, minutes=30)
    assert last <= end
    drag_across(page, cell, start, end, first, last)
    page.wait_for_url(re.compile(r"/bookings/new/\?"))
    expect(page.get_by_label("Start")).to_have_value(f"{first:%Y-%m-%dT%H:%M}")
    expect(page.get_by_label("End")).to_have_value(f"{last:%Y-%m-%dT%H:%M}")
    expect(page.locator("#id_resource")).to_have_value("grade-b-suite-1")


def test_drag_across_free_time_in_the_week_snaps_to_half_hours(demo, log_in, live_server):
    day = a_free_weekday_far_ahead()
    page = log_in("researcher")
    iso_year, iso_week, _ = day.isocalendar()
    page.goto(f"{live_server.url}/resources/grade-b-suite-1/?week={iso_year}-W{iso_week:02d}")
    cell = page.locator(f"[role=row]:has-text('{day:%a} {day.day} {day:%b}') .b-free[data-from]").first
    cell.scroll_into_view_if_needed()
    start, end = (datetime.datetime.fromisoformat(cell.get_attribute(name)) for name in ("data-from", "data-to"))
    # Ten minutes past the half hours: the selection snaps to them.
    first = start + datetime.timedelta(hours=2, minutes=10)
    last = start + datetime.timedelta(hours=4, minutes=10)
    drag_across(page, cell, start, end, first, last)
    page.wait_for_url(re.compile(r"/bookings/new/\?"))
    expect(page.get_by_label("Start")).to_have_value(f"{start + datetime.timedelta(hours=2):%Y-%m-%dT%H:%M}")
    expect(page.get_by_label("End")).to_have_value(f"{start + datetime.timedelta(hours=4):%Y-%m-%dT%H:%M}")


def test_the_same_booking_is_made_without_javascript_by_the_free_link(demo, live_server, browser):
    day = a_free_weekday_far_ahead()
    context = browser.new_context(java_script_enabled=False, locale="en-GB", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill("researcher")
    page.locator("#id_password").fill("demo-pass-2026")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/facilities/pre-gmp/schedule/?date={day}")
    link = page.locator("[role=row]:has(a[href='/resources/grade-b-suite-1/']) .b-free a").first
    proposed = parse_qs(urlsplit(link.get_attribute("href")).query)
    link.click()
    expect(page.get_by_label("Start")).to_have_value(proposed["start"][0])
    expect(page.get_by_label("End")).to_have_value(proposed["end"][0])
    page.get_by_label("ATMP project").select_option(index=1)
    page.get_by_label("Purpose").fill("Media fill booked without JavaScript")
    page.get_by_role("button", name="Book").click()
    expect(page.get_by_text("Media fill booked without JavaScript").first).to_be_visible()
    booking = Booking.objects.get(purpose="Media fill booked without JavaScript")
    assert f"{timezone.localtime(booking.start):%Y-%m-%dT%H:%M}" == proposed["start"][0]
    assert f"{timezone.localtime(booking.end):%Y-%m-%dT%H:%M}" == proposed["end"][0]
    context.close()
