"""The journeys people take through the portal, start to end, in a real browser."""

import datetime
import re

from django.utils import timezone
from playwright.sync_api import expect

from facilities.models import Booking, BookingStatus
from projects.models import AtmpProject, ProjectStatus


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
    page.get_by_label("Reason").fill("The vector batch failed release testing.")
    page.get_by_role("button", name="Cancel booking").click()
    expect(page.get_by_text("Cancelled").first).to_be_visible()
    booking.refresh_from_db()
    assert booking.status == BookingStatus.CANCELLED


def test_change_language(demo, log_in, live_server):
    page = log_in("researcher")
    page.get_by_label("Language").select_option("sv")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    expect(page.get_by_role("link", name="Översikt").first).to_be_visible()


def _user_id(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username).pk
