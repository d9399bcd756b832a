"""Hardening: the login lock, the security headers, the Content-Security-Policy and a clean deploy check."""

import pathlib
import re

import pytest
from django.conf import settings

from tests.helpers import PASSWORD, run_django

LOGIN = "/accounts/login/"
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "Qm7vR2pX9tLw4kZs8NcE1yHb6JdUa3FgT0oViK5rWqYeP-x9Ln4Bc7Mz",
    "ALLOWED_HOSTS": "atmp.example.org",
}


def log_in(client, username, password, address):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def logged_in(response):
    return response.status_code == 302 and response.url == "/"


class TestLoginLock:
    @pytest.fixture
    def locked(self, client, make_user):
        """``researcher`` typed six wrong passwords from 10.0.0.1."""
        make_user("researcher")
        make_user("colleague")
        for _attempt in range(6):
            log_in(client, "researcher", "wrong-guess", "10.0.0.1")

    def test_the_right_password_is_refused_after_six_wrong_ones(self, client, locked):
        response = log_in(client, "researcher", PASSWORD, "10.0.0.1")
        assert response.status_code == 429
        assert "Too many failed log-ins" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_another_user_at_the_same_address_still_logs_in(self, client, locked):
        assert logged_in(log_in(client, "colleague", PASSWORD, "10.0.0.1"))

    def test_the_same_user_from_another_address_still_logs_in(self, client, locked):
        assert logged_in(log_in(client, "researcher", PASSWORD, "10.0.0.2"))

    def test_a_few_mistakes_do_not_lock(self, client, make_user):
        make_user("researcher")
        for _attempt in range(3):
            log_in(client, "researcher", "wrong-guess", "10.0.0.1")
        assert logged_in(log_in(client, "researcher", PASSWORD, "10.0.0.1"))

    def test_the_test_client_and_the_shell_still_authenticate_without_a_request(self, client, make_user):
        make_user("researcher")
        assert client.login(username="researcher", password=PASSWORD)

    def test_the_lock_lasts_fifteen_minutes(self):
        assert settings.AXES_COOLOFF_TIME.total_seconds() == 15 * 60
        assert settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]


class TestHeaders:
    def test_every_page_carries_the_security_headers(self, client):
        response = client.get(LOGIN)
        policy = response["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
        assert directives["script-src"] == "'self'"
        assert directives["style-src"] == "'self'"
        assert directives["frame-ancestors"] == "'none'"
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"

    def test_the_policy_built_once_is_django_csps_and_a_views_own_policy_still_counts(self, rf):
        from csp.middleware import CSPMiddleware
        from django.http import HttpResponse

        from atmp_portal.middleware import ContentSecurityPolicyMiddleware

        def answer(updated):
            response = HttpResponse()
            if updated:
                response._csp_update = {"img-src": ["https://maps.example.org"]}
            return response

        for updated in (False, True):
            ours = ContentSecurityPolicyMiddleware(lambda request: answer(updated))(rf.get("/"))  # noqa: B023
            theirs = CSPMiddleware(lambda request: answer(updated))(rf.get("/"))  # noqa: B023
            assert sorted(ours["Content-Security-Policy"].split("; ")) == sorted(
                theirs["Content-Security-Policy"].split("; ")
            )
            assert ("https://maps.example.org" in ours["Content-Security-Policy"]) is updated

    def test_production_settings_secure_the_cookies_and_send_hsts(self):
        code = (
            "import django; django.setup(); from django.conf import settings as s; "
            "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
            "s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_SSL_REDIRECT)"
        )
        result = run_django(PRODUCTION, code)
        assert result.stdout.split() == ["True"] * 5, result.stderr

    def test_check_deploy_is_clean_in_production(self):
        code = (
            "import django, sys; django.setup(); from django.core.management import call_command; "
            "call_command('check', deploy=True, fail_level='WARNING')"
        )
        result = run_django(PRODUCTION, code)
        assert result.returncode == 0, result.stderr
        assert "no issues" in result.stdout


INLINE_CODE = re.compile(r"<script(?![^>]*\bsrc=)|<style|\sstyle=|\son[a-z]+=", re.IGNORECASE)


def test_no_template_has_inline_script_style_or_handlers():
    """The policy forbids them; the browser would silently drop them."""
    offenders = [
        str(path.relative_to(settings.BASE_DIR))
        for path in pathlib.Path(settings.BASE_DIR, "templates").rglob("*.html")
        if INLINE_CODE.search(path.read_text())
    ]
    assert offenders == []
