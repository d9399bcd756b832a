"""The journeys people take through the portal, start to end, in a real browser."""

import datetime
import re

from django.utils import timezone
from playwright.sync_api import expect

from facilities.models import Booking, BookingStatus
from projects.models import AtmpProject, Membership, MembershipRole, ProjectStatus, ResearchGroup


def a_free_weekday_far_ahead() -> datetime.date:
    """A Tuesday six weeks ahead: past the demo bookings, inside the 60-day booking window."""
    today = timezone.localdate()
    monday = today - datetime.timedelta(days=today.weekday()) + datetime.timedelta(weeks=6)
    return monday + datetime.timedelta(days=1)


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
    page.locator(f"td.calendar-free a[href*='start={day:%Y-%m-%d}T09:00']").click()
    expect(page.get_by_label("Start")).to_have_value(f"{day:%Y-%m-%d}T09:00")
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
