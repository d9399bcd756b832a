"""Accounts: the pages open to everyone, logging out and resetting a password."""

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/password_reset/", "/healthz"])
def test_public_pages_are_open(client, path):
    assert client.get(path).status_code == 200


@pytest.mark.django_db
def test_logout_is_a_post(client, member):
    client.force_login(member)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


@pytest.mark.django_db
def test_password_reset_sends_an_email(client, member, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/accounts/password_reset/", {"email": member.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    assert "/accounts/reset/" in mailoutbox[0].body
