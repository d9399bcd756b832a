"""University login over SAML, a whole round trip against a test identity provider (tests/saml_idp.py):
the portal's request, the identity provider's signed answer, the account it creates or finds."""

import datetime
from unittest.mock import Mock

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from accounts import saml as accounts_saml
from tests.helpers import PASSWORD, run_django
from tests.saml_idp import ANNA, IDP_ENTITY_ID, IDP_SSO_URL, OTHER_SERVICE

User = get_user_model()


def log_in_at_idp(client, idp, identity, *, next_page="/projects/", **answer):
    """The browser's way: the portal's login link, the identity provider, back to the portal's ACS."""
    redirect = client.get("/saml2/login/", {"next": next_page})
    assert redirect.status_code == 302
    assert redirect["Location"].startswith(IDP_SSO_URL + "?SAMLRequest=")
    return client.post("/saml2/acs/", idp.answer(redirect["Location"], identity, **answer))


@pytest.fixture
def browser():
    """A client that checks CSRF tokens, as a browser's requests are checked."""
    return Client(enforce_csrf_checks=True)


@pytest.mark.django_db
def test_first_login_creates_the_account_and_the_second_finds_it(browser, saml):
    client = browser
    # The answer is a cross-site POST without a CSRF token: its signature and InResponseTo stand in for it.
    response = log_in_at_idp(client, saml, ANNA)

    assert response.status_code == 302
    assert response["Location"] == "/projects/"
    anna = User.objects.get()
    assert (anna.username, anna.email, anna.first_name, anna.last_name) == (
        "anna.andersson@example.org",
        "anna.andersson@med.example.org",
        "Anna",
        "Andersson",
    )
    assert not anna.has_usable_password()
    assert client.get("/").context["user"] == anna

    client.logout()
    assert log_in_at_idp(client, saml, {**ANNA, "sn": ["Berg"]}, encrypt=True).status_code == 302
    assert User.objects.get().pk == anna.pk
    assert User.objects.get().last_name == "Berg"
    assert client.get("/").context["user"] == anna


@pytest.mark.django_db
def test_the_login_returns_only_to_pages_of_the_portal(client, saml):
    response = log_in_at_idp(client, saml, ANNA, next_page="https://phishing.example.net/")

    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_without_given_name_and_surname_the_display_name_is_the_name(client, saml):
    log_in_at_idp(client, saml, {**ANNA, "givenName": [], "sn": []})

    assert User.objects.get().get_full_name() == "Anna Andersson"


@pytest.mark.django_db
@pytest.mark.parametrize("flaw", ["unsigned", "expired", "wrong audience"])
def test_a_flawed_answer_is_refused_with_a_page_and_creates_nothing(client, saml, flaw):
    redirect = client.get("/saml2/login/")
    answer = saml.answer(
        redirect["Location"],
        ANNA,
        sign=flaw != "unsigned",
        audience=OTHER_SERVICE if flaw == "wrong audience" else None,
    )
    # The test IdP's answers are valid for five minutes (and clocks may differ by one).
    arrives = timezone.now() + datetime.timedelta(minutes=10 if flaw == "expired" else 0)
    with time_machine.travel(arrives, tick=True):
        response = client.post("/saml2/acs/", answer, HTTP_ACCEPT_LANGUAGE="sv")

    assert response.status_code == 403
    assertContains(response, "Inloggningen med universitetskontot misslyckades", status_code=403)
    assert "Content-Security-Policy" in response
    assert not User.objects.exists()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_answer_is_used_once(client, saml):
    redirect = client.get("/saml2/login/")
    answer = saml.answer(redirect["Location"], ANNA)
    assert client.post("/saml2/acs/", answer).status_code == 302
    client.post("/accounts/logout/")

    assert client.post("/saml2/acs/", answer).status_code == 403
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_an_identity_provider_cannot_speak_for_another_university(client, saml):
    response = log_in_at_idp(client, saml, {**ANNA, "eduPersonPrincipalName": ["anna@other-university.example"]})

    assert response.status_code == 403
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_deactivated_account_is_refused(client, saml, make_user):
    make_user("anna.andersson@example.org", is_active=False)

    assert log_in_at_idp(client, saml, ANNA).status_code == 403
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "status"), [({}, 400), ({"SAMLResponse": "not base64 <xml"}, 403)])
def test_a_broken_post_to_the_acs_gets_the_page_not_an_error(client, saml, data, status):
    response = client.post("/saml2/acs/", data)

    assertContains(response, "University login failed", status_code=status)


@pytest.mark.django_db
def test_a_university_account_has_no_local_password(client, saml, mailoutbox):
    log_in_at_idp(client, saml, ANNA)
    client.post("/accounts/logout/")

    response = client.post("/accounts/login/", {"username": "anna.andersson@example.org", "password": ""})
    assert response.status_code == 200
    client.post("/accounts/password_reset/", {"email": "anna.andersson@med.example.org"})
    assert mailoutbox == []


@pytest.mark.django_db
def test_local_passwords_still_log_in_beside_the_university_account(client, saml, make_user):
    make_user("admin", is_staff=True)

    page = client.get("/accounts/login/?next=/bookings/")
    assertContains(page, 'href="/saml2/login/?next=/bookings/"')
    assertContains(page, "Log in with your university account")
    response = client.post("/accounts/login/", {"username": "admin", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_without_saml_the_login_page_has_local_passwords_only(client):
    assertNotContains(client.get("/accounts/login/"), "/saml2/")
    for path in ("/saml2/metadata/", "/saml2/login/"):
        assert client.get(path).status_code == 404
    assert client.post("/saml2/acs/").status_code == 404


@pytest.mark.django_db
def test_the_metadata_tells_the_federation_what_the_portal_is_and_needs(client, saml):
    response = client.get("/saml2/metadata/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    metadata = response.content.decode()
    assert 'entityID="http://testserver/saml2/metadata/"' in metadata
    assert 'Location="http://testserver/saml2/acs/"' in metadata
    assert 'use="signing"' in metadata and 'use="encryption"' in metadata
    assert 'FriendlyName="eduPersonPrincipalName"' in metadata


@pytest.mark.django_db
def test_the_saml_session_cookie_reaches_the_cross_site_post_and_the_portal_session_does_not(client, saml, settings):
    settings.SESSION_COOKIE_SECURE = True
    redirect = client.get("/saml2/login/")
    saml_cookie = redirect.cookies["saml_session"]
    # The identity provider's answer is a POST from its own site: only a SameSite=None cookie goes with it.
    assert (saml_cookie["samesite"], saml_cookie["secure"], saml_cookie["httponly"]) == ("None", True, True)

    response = client.post("/saml2/acs/", saml.answer(redirect["Location"], ANNA))
    assert response.cookies["sessionid"]["samesite"] == "Lax"


@pytest.mark.django_db
def test_refused_university_logins_do_not_lock_the_address(client, saml, settings):
    # A whole campus may reach the portal from one address: only wrong passwords count towards a lock.
    eve = {**ANNA, "eduPersonPrincipalName": ["eve@other-university.example"]}
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        assert log_in_at_idp(client, saml, eve).status_code == 403

    assert log_in_at_idp(client, saml, ANNA).status_code == 302
    assert not AccessAttempt.objects.exists()


def test_the_environment_turns_university_login_on(identity_provider):
    portal = identity_provider.sp_settings
    started = run_django(
        {
            "SAML_IDP_METADATA": portal["metadata"]["local"][0],
            "SAML_SP_KEY_FILE": portal["key_file"],
            "SAML_SP_CERT_FILE": portal["cert_file"],
            "SITE_URL": "https://atmp.example.org",
        },
        "import django; django.setup(); from accounts import saml; c = saml.load_config();"
        "print(saml.enabled(), c.entityid, *c.metadata.identity_providers())",
    )
    assert started.stdout.split() == ["True", "https://atmp.example.org/saml2/metadata/", IDP_ENTITY_ID]


def test_university_login_refuses_to_start_without_the_portals_key():
    started = run_django({"SAML_IDP_METADATA": "/etc/atmp/idp-metadata.xml"})

    assert started.returncode != 0
    assert "SAML_SP_KEY_FILE" in started.stderr


@pytest.mark.django_db
def test_an_unknown_identity_provider_is_not_found(client, saml):
    assert client.get("/saml2/login/", {"idp": "https://unknown.example.org/idp"}).status_code == 404


@pytest.mark.django_db
def test_without_the_identity_providers_metadata_a_page_says_to_try_later(client, saml, settings):
    settings.SAML_CONFIG = {**saml.sp_settings, "metadata": {"local": ["/nonexistent/idp-metadata.xml"]}}

    response = client.get("/saml2/login/", HTTP_ACCEPT_LANGUAGE="sv")
    assertContains(response, "Inloggning med universitetskonto går inte just nu", status_code=503)
    assert client.get("/accounts/login/").status_code == 200


@pytest.mark.django_db
def test_the_metadata_loaded_before_serves_while_loading_it_again_fails(client, saml, monkeypatch):
    assert client.get("/saml2/login/").status_code == 302

    monkeypatch.setattr(accounts_saml, "METADATA_MAX_AGE", 0)
    monkeypatch.setattr(accounts_saml.SPConfig, "load", Mock(side_effect=OSError("the federation's server is down")))
    assert client.get("/saml2/login/").status_code == 302
    assert accounts_saml.SPConfig.load.called
