"""The floor every signed-in page pays: its queries and the base layout's template nodes stay few and fixed,
and what the layout keeps cached follows a user's own change on their next request."""

import pytest
from django.db import connection
from django.urls import reverse

from atmp_portal.roles import FACILITY_STAFF
from tests.helpers import rendered_nodes

pytestmark = pytest.mark.django_db

# A page of nothing but the base layout: the portal's own "page not found".
NO_PAGE = "/no-such-page/"


def test_a_signed_in_page_reads_its_session_and_its_user_with_the_roles_in_two_queries(
    client, member, django_assert_num_queries
):
    from django.contrib.auth.models import Group

    member.groups.add(Group.objects.get_or_create(name=FACILITY_STAFF)[0])
    client.force_login(member)
    with django_assert_num_queries(2):
        response = client.get(NO_PAGE)
    assert response.status_code == 404
    assert f'href="{reverse("facilities:usage_report")}"' in response.text  # the roles came with the user


@pytest.mark.django_db(transaction=True)  # closes the database connection
def test_the_two_floor_queries_are_prepared_once_per_database_connection(client, member, django_assert_num_queries):
    client.force_login(member)
    with django_assert_num_queries(2) as queries:
        assert client.get(NO_PAGE).status_code == 404
    assert [query["sql"].split("(")[0] for query in queries] == ["EXECUTE session_data", "EXECUTE signed_in_user"]
    # A new connection (the old one timed out or broke) has none of the old one's statements: prepared again.
    connection.close()
    with django_assert_num_queries(2):
        assert member.get_username() in client.get(NO_PAGE).text
    client.cookies["sessionid"] = "no-such-session"
    assert member.get_username() not in client.get(NO_PAGE).text


def test_the_base_layout_renders_a_fixed_handful_of_template_nodes(client, member, admin_user, monkeypatch):
    client.force_login(member)
    member_nodes = rendered_nodes(client, NO_PAGE, monkeypatch, status=404)
    client.force_login(admin_user)
    assert rendered_nodes(client, NO_PAGE, monkeypatch, status=404) == member_nodes <= 46


def test_the_cached_user_menu_follows_a_role_change_a_language_switch_and_the_kind_of_login(client, member):
    client.force_login(member)
    administration = f'href="{reverse("admin:index")}">Administration</a>'
    assert administration not in client.get(NO_PAGE).text
    member.is_staff = True
    member.save()
    assert administration in client.get(NO_PAGE).text
    client.post(reverse("set_language"), {"language": "sv", "next": "/"})
    assert f'href="{reverse("password_change")}">Byt lösenord</a>' in client.get(NO_PAGE).text
    member.set_unusable_password()
    member.save()
    client.force_login(member)
    assert "Byt lösenord" not in client.get(NO_PAGE).text


def test_the_cached_language_menu_marks_the_current_language_and_returns_to_this_page(client, member):
    client.force_login(member)
    page = client.get(f"{NO_PAGE}?week=2026-W10").text
    assert 'value="en" lang="en" aria-current="true"' in page and f'value="{NO_PAGE}?week=2026-W10"' in page
    client.post(reverse("set_language"), {"language": "sv", "next": "/"})
    page = client.get(NO_PAGE).text
    assert 'value="sv" lang="sv" aria-current="true"' in page and f'name="next" value="{NO_PAGE}"' in page
