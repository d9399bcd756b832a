"""A researcher makes an API token on its page and reads the API's documentation, all within the CSP."""

import re

from playwright.sync_api import expect

from api.models import ApiToken


def test_make_a_token_and_read_the_api_docs(demo, log_in, live_server):
    page = log_in("researcher")
    blocked = []
    page.on(
        "console", lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None
    )

    page.locator(".navbar .dropdown-toggle").click()
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("Freezer LIMS")
    page.get_by_label("Read and write").check()
    page.get_by_role("button", name="Create token").click()
    secret = page.get_by_label("Token").input_value()
    assert secret.startswith("atmp_")
    expect(page.get_by_role("cell", name="Freezer LIMS", exact=True)).to_be_visible()
    assert ApiToken.objects.get(name="Freezer LIMS").may_write

    page.get_by_role("link", name="REST API").click()
    # Swagger UI, from the portal's own static files, lists the operations of the live schema.
    expect(page.get_by_text("/api/v1/bookings/{booking_id}/cancel")).to_be_visible()
    expect(page.locator(".opblock")).to_have_count(12)
    assert blocked == []

    page.goto(f"{live_server.url}/account/tokens/")
    page.get_by_role("button", name=re.compile("Revoke .Freezer LIMS.")).click()
    expect(page.get_by_text("was revoked")).to_be_visible()
