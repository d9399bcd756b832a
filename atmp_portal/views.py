import logging
import sys

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views import defaults, i18n
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from atmp_portal import dashboard as dashboard_sections
from facilities import services as facility_services

logger = logging.getLogger(__name__)

# How long a client is asked to wait while the database is away (the Retry-After header), in seconds.
RETRY_AFTER_SECONDS = 30


@require_GET
def dashboard(request):
    """Each role's section: researchers their own work; facility staff and reviewers their queues."""
    return render(request, "dashboard.html", dashboard_sections.sections_for(request.user))


@login_not_required  # anyone may choose the language of the pages
def set_language(request):
    """Django's language switcher; for a signed-in user the choice is kept as the language of their e-mails."""
    response = i18n.set_language(request)
    if request.method == "POST" and request.user.is_authenticated:
        facility_services.remember_language(request.user, request.POST.get("language", ""))
    return response


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """200 when the database answers a query, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("Health check: the database did not answer")
        _forget_broken_connection()
        response = HttpResponse("database unavailable\n", status=503, content_type="text/plain")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return HttpResponse("ok\n", content_type="text/plain")


def server_error(request):
    """The 500 page, or a 503 with Retry-After while the database cannot be reached (handler500)."""
    error = sys.exc_info()[1]
    if not isinstance(error, (OperationalError, InterfaceError)):
        return defaults.server_error(request)
    _forget_broken_connection()
    # The page is drawn without the database: no user, no session; the language from the browser.
    translation.activate(translation.get_language_from_request(request))
    response = render(request, "503.html", status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _forget_broken_connection():
    """Close a connection that no longer works, so the next request connects afresh when the database returns."""
    if not connection.in_atomic_block:
        connection.close_if_unusable_or_obsolete()
