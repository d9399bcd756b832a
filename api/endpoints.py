"""The REST API at /api/v1/: the pages' querysets, permission questions and services, answered in JSON.

Every endpoint authenticates with a personal token (``auth.TokenAuth``), so ``request.user`` is its owner
and the same ``can_…`` questions as on the pages decide. A rule's refusal is a 400 with the message the
form shows; a permission a 403; what the user may not see a 404.
"""

import datetime

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Path, Query, Router, Schema
from ninja.errors import HttpError, Throttled
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status

from atmp_portal.rules import RuleError, require
from facilities import permissions as facility_permissions
from facilities import reports
from facilities import services as booking_services
from facilities.forms import UsageReportForm
from facilities.models import Booking, BookingStatus, Facility, Resource, ResourceKind
from projects.models import AtmpProject, ProjectStatus

from . import permissions
from .auth import TokenAuth, TokenRateLimit
from .schemas import (
    EARLIEST,
    LATEST,
    BookingIn,
    BookingOut,
    CancelIn,
    Error,
    FacilityOut,
    FreeSlotOut,
    ProjectCode,
    ProjectOut,
    ResourceOut,
    Slug,
    Text,
    UsageReportOut,
)

api = NinjaAPI(
    title="LU-ATMP portal API",
    version="1",
    description=(
        "The portal's facilities, bookings, projects and usage reports, with the same rules and permissions as "
        "its pages. Authenticate with a personal token (Account → API tokens): `Authorization: Bearer atmp_…`."
    ),
    auth=TokenAuth(),
    throttle=TokenRateLimit(),
    urls_namespace="api",
    docs_url="/",
)

# Every answer an endpoint may give besides its success, so that clients (and schemathesis) know them all.
ERRORS = {400: Error, 401: Error, 403: Error, 404: Error, 422: Error, 429: Error}
MAX_ID = 2**63 - 1


class Pages(PageNumberPagination):
    """``?page=``, 25 items a page (``page_size`` up to 100); ``count`` is the number of items of all pages."""

    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int | None = Field(None, ge=1, le=100)

    def __init__(self, **kwargs):
        super().__init__(page_size=25, max_page_size=100, **kwargs)


@api.exception_handler(RuleError)
def refused(request, error: RuleError):
    return api.create_response(request, {"detail": error.message}, status=400)


@api.exception_handler(PermissionDenied)
def forbidden(request, error: PermissionDenied):
    return api.create_response(request, {"detail": str(error) or _("You may not do this.")}, status=403)


@api.exception_handler(Http404)
def not_found(request, error: Http404):
    return api.create_response(request, {"detail": _("Not found, or not yours to see.")}, status=404)


@api.exception_handler(Throttled)
def throttled(request, error: Throttled):
    response = api.create_response(request, {"detail": _("Too many requests; wait a minute.")}, status=429)
    response["Retry-After"] = str(int(error.wait or 0) + 1)
    return response


def _require_write(request) -> None:
    if not permissions.can_write_through(request.auth):
        raise PermissionDenied(
            _("This token may only read; create one with the “read and write” scope to book or cancel.")
        )


def _found(queryset, message: str, **lookup):
    """The one object of ``queryset`` matching ``lookup``, or a 400 naming what is missing (input, not a URL)."""
    found = queryset.filter(**lookup).first()
    if found is None:
        raise HttpError(400, message)
    return found


def _project_to_book_for(request, code: str) -> AtmpProject:
    """A project the user can see; the booking rules then say whether they may book for it."""
    return _found(
        AtmpProject.objects.visible_to(request.user).select_related("group"),
        _("There is no project %(code)s among those you can see.") % {"code": code},
        code=code,
    )


# Facilities and resources

facilities = Router(tags=["facilities"])


@facilities.get("/facilities", response={200: list[FacilityOut], **ERRORS})
@paginate(Pages)
def facility_list(request):
    return Facility.objects.order_by("name")


@facilities.get("/facilities/{slug}", response={200: FacilityOut, **ERRORS})
def facility_detail(request, slug: Slug):
    return get_object_or_404(Facility, slug=slug)


class ResourceFilter(Schema):
    facility: Slug | None = None
    kind: ResourceKind | None = None


@facilities.get("/resources", response={200: list[ResourceOut], **ERRORS})
@paginate(Pages)
def resource_list(request, filters: Query[ResourceFilter]):
    resources = Resource.objects.active().select_related("facility", "room").order_by("facility__name", "kind", "name")
    if filters.facility:
        resources = resources.filter(facility__slug=filters.facility)
    if filters.kind:
        resources = resources.filter(kind=filters.kind)
    return resources


@facilities.get("/resources/{slug}", response={200: ResourceOut, **ERRORS})
def resource_detail(request, slug: Slug):
    return get_object_or_404(Resource.objects.select_related("facility", "room"), slug=slug)


class FreeTimeQuery(Schema):
    project: ProjectCode = Field(description="The project to book for: the rules depend on it.")
    first_day: datetime.date
    last_day: datetime.date = Field(description="At most 31 days after the first day.")
    duration: int = Field(120, ge=30, le=24 * 60, multiple_of=30, description="Minutes.")


@facilities.get("/resources/{slug}/free-time", response={200: list[FreeSlotOut], **ERRORS})
@paginate(Pages)
def free_time(request, slug: Slug, query: Query[FreeTimeQuery]):
    """The periods this user could book for the project, every 30 minutes of opening hours, by every rule."""
    resource = get_object_or_404(Resource.objects.select_related("facility", "room"), slug=slug)
    project = _project_to_book_for(request, query.project)
    if not (EARLIEST <= query.first_day <= LATEST and EARLIEST <= query.last_day <= LATEST):
        raise HttpError(400, _("Search days from %(first)s to %(last)s.") % {"first": EARLIEST, "last": LATEST})
    return booking_services.free_slots(
        request.user,
        [resource],
        project,
        datetime.timedelta(minutes=query.duration),
        query.first_day,
        query.last_day,
    )


# Bookings

bookings = Router(tags=["bookings"])


def _visible_booking(request, booking_id: int) -> Booking:
    return get_object_or_404(Booking.objects.visible_to(request.user).with_details().with_entrants(), pk=booking_id)


class BookingFilter(Schema):
    mine: bool = Field(False, description="Only the bookings this user made.")
    resource: Slug | None = None
    project: ProjectCode | None = None
    status: BookingStatus | None = None
    upcoming: bool = Field(False, description="Only bookings that have not ended, soonest first.")


@bookings.get("/bookings", response={200: list[BookingOut], **ERRORS})
@paginate(Pages)
def booking_list(request, filters: Query[BookingFilter]):
    """The bookings this user may see (their own, their groups'; facility staff: all), latest first."""
    found = Booking.objects.visible_to(request.user)
    if filters.mine:
        found = found.filter(booked_by=request.user)
    if filters.resource:
        found = found.filter(resource__slug=filters.resource)
    if filters.project:
        found = found.filter(project__code=filters.project)
    if filters.status:
        found = found.filter(status=filters.status)
    found = found.upcoming() if filters.upcoming else found.order_by("-period", "-pk")
    return found.with_details().with_entrants()


@bookings.get("/bookings/{booking_id}", response={200: BookingOut, **ERRORS})
def booking_detail(request, booking_id: int = Path(..., ge=1, le=MAX_ID)):
    return _visible_booking(request, booking_id)


@bookings.post("/bookings", response={201: list[BookingOut], **ERRORS})
def booking_create(request, payload: BookingIn):
    """Book a resource (with equipment in the room, and repeats), by the rules of the booking form."""
    _require_write(request)
    resource = _found(
        Resource.objects.select_related("facility", "room"),
        _("There is no resource “%(slug)s”.") % {"slug": payload.resource},
        slug=payload.resource,
    )
    project = _project_to_book_for(request, payload.project)
    equipment = list(Resource.objects.filter(slug__in=payload.equipment).select_related("facility", "room"))
    if len(equipment) != len(set(payload.equipment)):
        raise HttpError(400, _("Some of the equipment named does not exist; check its slugs."))
    entrants = list(get_user_model().objects.filter(username__in=payload.entrants, is_active=True))
    if len(entrants) != len(set(payload.entrants)):
        raise HttpError(400, _("Some of the entrants named do not exist; check their usernames."))
    if bool(payload.repeat_weekdays) != bool(payload.repeat_until):
        raise HttpError(400, _("To repeat a booking, choose both the weekdays and the last date."))
    recurrence = (
        booking_services.Recurrence(frozenset(payload.repeat_weekdays), payload.repeat_until)
        if payload.repeat_weekdays
        else None
    )
    step = None
    if payload.step is not None:
        step = project.steps.filter(pk=payload.step).first()
        if step is None:
            raise HttpError(400, _("Choose a process step of %(project)s.") % {"project": project})
    made = booking_services.create_booking(
        by=request.user,
        resource=resource,
        project=project,
        period=DateTimeTZRange(payload.start, payload.end),
        entrants=entrants or None,  # none named: the caller alone
        purpose=payload.purpose,
        equipment=equipment,
        recurrence=recurrence,
        step=step,
    )
    created = (
        Booking.objects.filter(pk__in=[booking.pk for booking in made])
        .with_details()
        .with_entrants()
        .order_by("period", "pk")
    )
    return Status(201, created)


@bookings.post("/bookings/{booking_id}/cancel", response={200: BookingOut, **ERRORS})
def booking_cancel(request, payload: CancelIn, booking_id: int = Path(..., ge=1, le=MAX_ID)):
    """Cancel a booking and the equipment booked with it: the booker before its start, facility staff any time."""
    _require_write(request)
    booking = _visible_booking(request, booking_id)
    booking_services.cancel_booking(booking, request.user, payload.reason)
    return _visible_booking(request, booking_id)


# Projects

projects = Router(tags=["projects"])


class ProjectFilter(Schema):
    group: Slug | None = None
    status: ProjectStatus | None = None


@projects.get("/projects", response={200: list[ProjectOut], **ERRORS})
@paginate(Pages)
def project_list(request, filters: Query[ProjectFilter]):
    """The projects this user may see: their groups'; centre reviewers and facility staff see all."""
    found = AtmpProject.objects.visible_to(request.user).select_related("group", "project_lead").order_by("code")
    if filters.group:
        found = found.filter(group__slug=filters.group)
    if filters.status:
        found = found.filter(status=filters.status)
    return found


@projects.get("/projects/{code}", response={200: ProjectOut, **ERRORS})
def project_detail(request, code: ProjectCode):
    projects_seen = AtmpProject.objects.visible_to(request.user).select_related("group", "project_lead")
    return get_object_or_404(projects_seen, code=code)


# Usage reports

report_router = Router(tags=["reports"])


class UsageQuery(Schema):
    month: Text | None = Field(None, description="YYYY-MM")
    quarter: Text | None = Field(None, description="YYYY-Qn")
    year: Text | None = Field(None, description="YYYY")
    start: datetime.date | None = Field(None, description="A range of days: its first day …")
    end: datetime.date | None = Field(None, description="… and its last day (inclusive).")
    facility: Slug | None = Field(None, description="One facility; none: the whole centre.")


@report_router.get("/reports/usage", response={200: UsageReportOut, **ERRORS})
def usage_report(request, query: Query[UsageQuery]):
    """Open, closed and booked hours per resource; hours and cost per group and project. Facility staff only."""
    require(facility_permissions.can_read_reports(request.user))
    form = UsageReportForm(
        {name: value.isoformat() if isinstance(value, datetime.date) else value for name, value in query.dict().items()}
    )
    if not form.is_valid():
        raise HttpError(400, " ".join(message for messages in form.errors.values() for message in messages))
    return reports.usage_report(form.period, facility=form.cleaned_data["facility"], user=request.user)


api.add_router("", facilities)
api.add_router("", bookings)
api.add_router("", projects)
api.add_router("", report_router)
