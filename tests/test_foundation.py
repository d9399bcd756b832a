"""The portal's base: settings from the environment, the health check, demo data, the embedded database."""

import io

import psycopg2
import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection

from atmp_portal.embedded_postgres.base import ensure_server
from facilities.models import Facility, Resource
from projects.models import Membership, ResearchGroup
from tests.helpers import run_django


class TestSettings:
    def test_debug_off_refuses_to_start_without_a_secret_key(self):
        result = run_django({"DEBUG": "0"})
        assert result.returncode != 0
        assert "Set SECRET_KEY" in result.stderr

    def test_debug_off_refuses_the_development_key(self):
        result = run_django({"DEBUG": "0", "SECRET_KEY": settings.DEVELOPMENT_SECRET_KEY})
        assert result.returncode != 0
        assert "Set SECRET_KEY" in result.stderr

    def test_debug_off_starts_with_a_real_key(self):
        result = run_django({"DEBUG": "0", "SECRET_KEY": "x" * 60, "ALLOWED_HOSTS": "portal.example.org"})
        assert result.returncode == 0, result.stderr
        assert "started" in result.stdout

    def test_development_needs_no_environment(self):
        result = run_django(
            {}, "import django; django.setup(); from django.conf import settings; print(settings.DEBUG)"
        )
        assert result.stdout.strip() == "True"


@pytest.mark.django_db
class TestHealth:
    def test_ok_with_the_database(self, client):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.text == "ok\n"

    @pytest.mark.django_db(transaction=True)
    def test_503_when_the_database_is_down(self, client, monkeypatch):
        # Point the connection at a database that does not exist: every connection attempt fails.
        monkeypatch.setitem(connection.settings_dict, "NAME", "no_such_database_for_healthz")
        connection.close()
        try:
            response = client.get("/healthz")
        finally:
            monkeypatch.undo()
            connection.close()
        assert response.status_code == 503


@pytest.mark.django_db
class TestSeedDemo:
    def snapshot(self):
        User = get_user_model()
        return {
            "users": list(User.objects.order_by("username").values_list("username", "password", "is_superuser")),
            "groups": list(ResearchGroup.objects.order_by("slug").values_list("slug", "name", "pi__username")),
            "memberships": list(Membership.objects.order_by("pk").values_list("group__slug", "user__username", "role")),
            "facilities": list(Facility.objects.values_list("slug", "name")),
            "resources": list(Resource.objects.order_by("slug").values_list("slug", "kind", "grade", "room__slug")),
        }

    def test_creates_the_demo_and_running_twice_changes_nothing(self, settings):
        settings.DEBUG = True
        call_command("seed_demo", stdout=io.StringIO())
        first = self.snapshot()
        call_command("seed_demo", stdout=io.StringIO())
        assert self.snapshot() == first

        usernames = {u for u, *_ in first["users"]}
        assert {"admin", "facility", "reviewer", "pi", "researcher", "outsider"} <= usernames
        assert len(first["groups"]) == 4
        researcher_groups = {g for g, u, _ in first["memberships"] if u == "researcher"}
        pi_groups = {g for g, u, r in first["memberships"] if u == "pi" and r == "pi"}
        assert researcher_groups == pi_groups
        outsider_groups = {g for g, u, _ in first["memberships"] if u == "outsider"}
        assert outsider_groups and not outsider_groups & pi_groups
        assert get_user_model().objects.get(username="pi").check_password("demo-pass-2026")

    def test_refuses_without_debug(self, settings):
        settings.DEBUG = False
        with pytest.raises(CommandError, match="Refusing"):
            call_command("seed_demo")
        assert not ResearchGroup.objects.exists()

    def test_demo_flag_overrides(self, settings):
        settings.DEBUG = False
        call_command("seed_demo", "--demo", stdout=io.StringIO())
        assert ResearchGroup.objects.count() == 4


@pytest.mark.skipif("PGDATA" not in settings.DATABASES["default"], reason="runs on a DATABASE_URL server")
def test_embedded_server_works_from_a_long_path():
    # Inside the checkout's git-ignored .data/, not /tmp: pytest prunes its /tmp folders under parallel runs.
    pgdata = settings.BASE_DIR / ".data" / "long-path-test" / ("a-very-long-checkout-folder-name-" * 4) / "postgres"
    assert len(str(pgdata)) > 110  # too long for a Unix socket path
    socket_dir = ensure_server(pgdata, "atmp_long_path")
    with psycopg2.connect(host=socket_dir, dbname="atmp_long_path", user="postgres") as conn, conn.cursor() as cur:
        cur.execute("SELECT 1")
        assert cur.fetchone() == (1,)
    assert (pgdata / "PG_VERSION").exists()
