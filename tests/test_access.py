"""Every page but login, password reset and the health check requires login."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

# Views anonymous visitors may reach, by URL name.
PUBLIC = {
    "login",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "healthz",
    "set_language",
    "facilities:calendar_feed",  # secret token instead of a login
    "facilities:resource_feed",
}
SAMPLE_VALUES = {"slug": "some-slug", "int": "1", "str": "some-value", "path": "some/path", "uuid": "0" * 32}


def walk_urlpatterns(patterns, prefix="", namespace=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            child_namespace = entry.namespace or namespace
            yield from walk_urlpatterns(entry.url_patterns, prefix + str(entry.pattern), child_namespace)
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}:{entry.name}" if namespace else entry.name), prefix + str(entry.pattern)


def _sample_path(route):
    if route.startswith("^"):  # a regex route, e.g. from an included library
        return None
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLE_VALUES[m.group(1) or "str"], route)


PRIVATE_PAGES = sorted(
    {
        (name, _sample_path(route))
        for name, route in walk_urlpatterns(get_resolver().url_patterns)
        if name not in PUBLIC and _sample_path(route)
    }
)


def test_the_walk_finds_the_pages():
    names = {name for name, _ in PRIVATE_PAGES}
    assert {"dashboard", "projects:group_list", "projects:group_edit", "password_change"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "path"), PRIVATE_PAGES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_anonymous_visitors_are_sent_to_login(client, name, path, method):
    response = getattr(client, method)(path)
    assert response.status_code == 302, name
    assert response["Location"].startswith(reverse("login") + "?next="), name


@pytest.mark.django_db
def test_admin_asks_anonymous_visitors_to_log_in(client):
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


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
