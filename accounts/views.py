"""The login page and the SAML endpoints (djangosaml2's views, on only where SAML is configured)."""

from functools import wraps

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import redirect, render
from djangosaml2 import views as saml_views

from . import saml


class LoginView(auth_views.LoginView):
    """Django's login page, which also offers the university account where SAML is configured; local
    passwords stay for administrators and the demo."""

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs, university_login=saml.enabled())


class AssertionConsumerServiceView(saml_views.AssertionConsumerServiceView):
    """Where the identity provider's answer arrives: a cross-site POST, so djangosaml2 exempts it from the
    CSRF check; the answer's signature and its InResponseTo (a request this browser made, kept in the
    SAML session cookie) stand in for the token. Every refusal is one page that says what to do."""

    def get(self, request, *args, **kwargs):
        # A visit by address (e.g. the language switcher on the refusal page) goes back to the login page.
        return redirect("login")

    def post(self, request, *args, **kwargs):
        if "SAMLResponse" not in request.POST:
            return self.handle_acs_failure(request, status=400)
        return super().post(request, *args, **kwargs)

    def handle_acs_failure(self, request, exception=None, status=403, **kwargs):
        return render(request, "registration/university_login_failed.html", status=status)


class SamlLoginView(saml_views.LoginView):
    """Sends the visitor to the identity provider with a login request."""

    def unknown_idp(self, request, idp):
        # ?idp= naming no identity provider of the metadata: nothing to log in with there.
        raise Http404


def _only_with_saml(view):
    """Open to visitors who have not logged in yet; a 404 where SAML is not configured, and a page that
    says so (503) while the identity provider's metadata cannot be loaded."""

    @wraps(view)
    def only_with_saml(request, *args, **kwargs):
        if not saml.enabled():
            raise Http404
        try:
            return view(request, *args, **kwargs)
        except saml.MetadataUnavailable:
            return render(request, "registration/university_login_unavailable.html", status=503)

    return login_not_required(only_with_saml)


metadata = _only_with_saml(saml_views.MetadataView.as_view())
saml_login = _only_with_saml(SamlLoginView.as_view())
assertion_consumer_service = _only_with_saml(AssertionConsumerServiceView.as_view())
