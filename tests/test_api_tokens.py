"""The API token page: a token is shown once, stored as a digest, revoked by its owner only, and audited."""

import hashlib
import json

import pytest
from django.urls import reverse

from api.models import ApiToken

pytestmark = pytest.mark.django_db

TOKENS = reverse("tokens:token_list")


def create(client, **changes):
    return client.post(TOKENS, {"name": "Finance export", "scope": "read write", "valid_days": 90, **changes})


def shown_secret(response) -> str:
    return response.context["secret"]


def test_a_new_token_is_shown_once_and_stored_as_its_digest(client, member):
    client.force_login(member)
    response = create(client)
    assert response.status_code == 200
    secret = shown_secret(response)
    assert secret.startswith("atmp_")
    assert secret in response.text
    token = ApiToken.objects.get()
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in {token.name, token.prefix, token.digest}
    assert secret.startswith(token.prefix)
    # The list shows its name and first characters, never the secret again.
    again = client.get(TOKENS)
    assert "Finance export" in again.text
    assert token.prefix in again.text
    assert secret not in again.text


def test_the_token_calls_the_api_as_its_owner_until_revoked(client, member):
    client.force_login(member)
    secret = shown_secret(create(client))
    headers = {"authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/facilities", headers=headers).status_code == 200
    token = ApiToken.objects.get()
    response = client.post(reverse("tokens:token_revoke", args=[token.pk]), follow=True)
    assert "was revoked" in response.text
    assert client.get("/api/v1/facilities", headers=headers).status_code == 401
    response = client.post(reverse("tokens:token_revoke", args=[token.pk]), follow=True)
    assert "already revoked" in response.text


def test_nobody_else_revokes_or_sees_a_token(client, member, outsider):
    client.force_login(member)
    create(client)
    token = ApiToken.objects.get()
    client.force_login(outsider)
    assert client.post(reverse("tokens:token_revoke", args=[token.pk])).status_code == 404
    assert "Finance export" not in client.get(TOKENS).text
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"scope": "admin"}, "Select a valid choice."),
        ({"valid_days": 10000}, "Select a valid choice."),
    ],
)
def test_bad_input_makes_no_token(client, member, changes, message):
    client.force_login(member)
    response = create(client, **changes)
    assert response.status_code == 400
    assert message in response.text
    assert not ApiToken.objects.exists()


def test_creation_and_revocation_are_in_the_audit_trail_without_the_digest(client, member):
    client.force_login(member)
    create(client)
    token = ApiToken.objects.get()
    client.post(reverse("tokens:token_revoke", args=[token.pk]))
    events = list(ApiToken.pgh_event_model.objects.order_by("pgh_id"))
    assert [event.pgh_label for event in events] == ["insert", "update"]
    assert all(event.pgh_context.metadata["user"] == member.pk for event in events)
    assert [event.pgh_context.metadata["reason"] for event in events] == ["API token created.", "API token revoked."]
    assert not hasattr(events[0], "digest")


def test_the_page_is_in_swedish(client, member):
    client.force_login(member)
    response = client.get(TOKENS, headers={"accept-language": "sv"})
    assert "Dina API-token" in response.text
    assert "Skapa token" in response.text


def test_the_user_s_data_export_lists_their_tokens_without_secrets(client, member):
    client.force_login(member)
    secret = shown_secret(create(client))
    data = client.get(reverse("privacy:my_data")).json()
    assert [(t["name"], t["scope"]) for t in data["api_tokens"]] == [("Finance export", "read write")]
    assert secret not in json.dumps(data)
