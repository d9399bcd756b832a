"""University login in a real browser, with the identity provider on a site of its own: its answer is a
form that posts across sites to the portal, as SWAMID's identity providers answer. Which cookies go
with that POST, and with the redirect after it, is the browser's decision (SameSite)."""

import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.contrib.auth import get_user_model

from tests.saml_idp import ANNA, TestIdentityProvider


@pytest.fixture
def idp_site(tmp_path, live_server):
    """The identity provider at http://127.0.0.1:<port>/sso, another site than the portal's localhost."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), None)
    idp = TestIdentityProvider(tmp_path, sso_url=f"http://127.0.0.1:{server.server_address[1]}/sso")
    acs = f"{live_server.url}/saml2/acs/"

    class SignOn(BaseHTTPRequestHandler):
        def do_GET(self):
            fields = "".join(
                f'<input type="hidden" name="{name}" value="{html.escape(value)}">'
                for name, value in idp.answer(self.path, ANNA).items()
            )
            body = f'<form method="post" action="{acs}">{fields}</form><script>document.forms[0].submit()</script>'
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args):
            pass

    server.RequestHandlerClass = SignOn
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield idp
    server.shutdown()
    server.server_close()


# (SameSite of the SAML session cookie, of the portal's session cookie, where the visitor ends, account made)
COOKIES = [
    ("None", "Lax", "/projects/", True),  # the settings: logged in, on the page they asked for
    ("None", "Strict", "/accounts/login/?next=/projects/", True),  # the new session is left out of the redirect
    ("Lax", "Lax", "/saml2/acs/", False),  # the requests this browser made are left out of the POST: refused
]


@pytest.mark.parametrize(("saml_samesite", "session_samesite", "ends_at", "account_made"), COOKIES)
def test_the_answer_posted_across_sites_needs_the_cookies_samesite_as_set(
    transactional_db, idp_site, settings, live_server, page, saml_samesite, session_samesite, ends_at, account_made
):
    settings.SAML_CONFIG = idp_site.sp_settings
    settings.SAML_SESSION_COOKIE_SAMESITE = saml_samesite
    settings.SESSION_COOKIE_SAMESITE = session_samesite
    # Secure cookies, as in production (browsers keep them from http://localhost too).
    settings.SESSION_COOKIE_SECURE = True

    page.goto(f"{live_server.url}/accounts/login/?next=/projects/")
    with page.expect_request(lambda request: request.method == "POST" and request.url.endswith("/saml2/acs/")):
        page.get_by_role("link", name="Log in with your university account").click()
    # Back from the identity provider's site: on the page asked for, the login page, or the ACS's refusal.
    page.wait_for_url(lambda url: url == live_server.url + ends_at)
    assert get_user_model().objects.filter(username="anna.andersson@example.org").exists() == account_made
    if ends_at == "/projects/":
        assert page.get_by_role("button", name="Anna Andersson").is_visible()
