import logging

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from atmp_portal import roles
from facilities import permissions as facility_permissions
from facilities.models import Booking
from projects.models import AtmpProject, ProjectStatus, ResearchGroup

logger = logging.getLogger(__name__)


@require_GET
def dashboard(request):
    groups = ResearchGroup.objects.with_member(request.user).select_related("pi")
    projects = AtmpProject.objects.of_member(request.user).select_related("group")[:10]
    next_bookings = Booking.objects.active().filter(booked_by=request.user).upcoming().with_details()[:5]
    waiting = Booking.objects.pending().upcoming().count() if facility_permissions.can_approve(request.user) else None
    context = {"groups": groups, "projects": projects, "next_bookings": next_bookings, "requests_waiting": waiting}
    if roles.is_centre_reviewer(request.user):
        context["review_queue"] = (
            AtmpProject.objects.filter(status__in=(ProjectStatus.SUBMITTED, ProjectStatus.UNDER_REVIEW))
            .select_related("group")
            .order_by("updated_at")[:20]
        )
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
