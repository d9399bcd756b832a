"""Middleware that answers before anything touches the database or parses a value that cannot be stored."""

from django.core.exceptions import BadRequest
from django.urls import reverse

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
            raise BadRequest("NUL byte in the request")
        return self.get_response(request)
