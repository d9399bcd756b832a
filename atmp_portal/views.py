import logging

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from atmp_portal import dashboard as dashboard_sections
from facilities import permissions as facility_permissions
from projects import permissions as project_permissions

logger = logging.getLogger(__name__)


@require_GET
def dashboard(request):
    """Each role's section: researchers their own work; facility staff and reviewers their queues."""
    context = {"researcher": dashboard_sections.researcher_section(request.user)}
    if facility_permissions.can_manage_facility(request.user):
        context["facility"] = dashboard_sections.facility_section(request.user)
    if project_permissions.can_review_project(request.user):
        context["reviewer"] = dashboard_sections.reviewer_section(request.user)
    return render(request, "dashboard.html", context)


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
        return HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
