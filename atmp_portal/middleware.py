"""Middleware that answers before anything touches the database or parses a value that cannot be stored."""

import time
from urllib.parse import urlsplit

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from . import views


class HealthCheckMiddleware:
    """Answers ``/healthz`` first: a session cookie must not make the check load the session (a 500 while
    the database is away, where the load balancer needs a 503)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.path = reverse("healthz")

    def __call__(self, request):
        if request.path_info == self.path:
            request.get_host()  # an unknown Host header is still refused with 400
            return views.healthz(request)
        return self.get_response(request)


class RejectNulBytesMiddleware:
    """A NUL byte in the path, the query or a form is a bad request: PostgreSQL cannot store one."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        fields = [*request.GET.lists(), *(request.POST.lists() if request.method == "POST" else [])]
        if "\x00" in request.path or any("\x00" in value for key, values in fields for value in [key, *values]):
            message = _(
                "The request contains a NUL character, which no address or form field accepts; write it as plain text."
            )
            return render(request, "400.html", {"message": message}, status=400)
        return self.get_response(request)


class SessionTimeoutMiddleware:
    """Signs a user out after SESSION_IDLE_TIMEOUT without a request, and SESSION_LIFETIME after signing in.

    The login page then leads back to the page the user was on; a form sent after the session ended
    is not saved (the user sends it again once signed in).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            session = request.session
            # Stamped at login (start_session_clock); setdefault for a session older than this middleware.
            signed_in_at = session.setdefault("signed_in_at", now)
            last_seen_at = session.setdefault("last_seen_at", now)
            if now - last_seen_at > settings.SESSION_IDLE_TIMEOUT.total_seconds():
                return self.signed_out(
                    request,
                    _("You were signed out after %(minutes)s minutes without activity.")
                    % {"minutes": int(settings.SESSION_IDLE_TIMEOUT.total_seconds() // 60)},
                )
            if now - signed_in_at > settings.SESSION_LIFETIME.total_seconds():
                return self.signed_out(
                    request,
                    _("You were signed out %(hours)s hours after signing in.")
                    % {"hours": int(settings.SESSION_LIFETIME.total_seconds() // 3600)},
                )
            if now - last_seen_at > 60:  # at most one session write a minute for this
                session["last_seen_at"] = now
        return self.get_response(request)

    def signed_out(self, request, reason):
        back = request.get_full_path()
        if request.method != "GET":
            back = _referring_page(request)
            reason = " ".join([reason, _("What you sent was not saved: please send it again after signing in.")])
        logout(request)
        messages.warning(request, reason)
        return redirect_to_login(back)


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's headers, built once per process for the responses that no view changes (nearly all: the
    policy is CONTENT_SECURITY_POLICY, without nonces), where django-csp builds them anew for every response."""

    def __init__(self, get_response):
        super().__init__(get_response)
        self.headers = {HEADER: build_policy(), HEADER_REPORT_ONLY: build_policy(report_only=True)}

    def process_response(self, request, response):
        # A view's own policy (django-csp's decorators), a nonce the page used, or DEBUG's error pages (which
        # go without): django-csp decides.
        if (
            settings.DEBUG
            or getattr(request, "_csp_nonce", None)
            or any(name.startswith("_csp") for name in vars(response))
        ):
            return super().process_response(request, response)
        for header, policy in self.headers.items():
            if policy:
                response.headers.setdefault(header, policy)
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)  # as django-csp: too late for one
        return response


@receiver(user_logged_in)
def start_session_clock(sender, request, user, **kwargs):
    """Both clocks start at login, in the session's first write: the next requests need not write."""
    request.session["signed_in_at"] = request.session["last_seen_at"] = time.time()


def _referring_page(request) -> str:
    """The page that sent the form (its path and query), if it is one of ours; else the dashboard."""
    referer = request.headers.get("referer", "")
    if not url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return "/"
    return urlsplit(referer)._replace(scheme="", netloc="").geturl()
