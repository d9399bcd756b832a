import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db.models import Count, Max
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST, require_safe

from atmp_portal import exports
from atmp_portal.confirmation import confirmation_page
from atmp_portal.pagination import counted_page
from atmp_portal.people import full_name
from atmp_portal.rules import require
from atmp_portal.widgets import escaped
from audit.permissions import can_view_history

from . import calendar, ical, permissions, report_exports, reports, services, tables
from .forms import (
    BookingForm,
    CalendarProjectForm,
    CancelForm,
    ClosureChangeForm,
    ClosureDeleteForm,
    FreeTimeForm,
    NewClosureForm,
    NotificationPreferencesForm,
    ProjectSearchForm,
    QualificationForm,
    RejectForm,
    RenewQualificationForm,
    SeriesCancelForm,
    UsageReportForm,
)
from .models import (
    EXPIRY_WARNING_DAYS,
    Booking,
    BookingStatus,
    CalendarFeed,
    Closure,
    Facility,
    NotificationPreferences,
    Qualification,
    Resource,
)
from .periods import describe_period

PER_PAGE = 25


def _page(request, queryset):
    return Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))


def _counted_page(request, bookings, *annotations: str):
    """A page of ``bookings`` as the values a booking table shows, counted in the same query."""
    return counted_page(bookings.values(*tables.TABLE_FIELDS, *annotations), request.GET.get("page"), PER_PAGE)


@require_GET
def facility_list(request):
    return render(request, "facilities/facility_list.html", {"facilities": Facility.objects.all()})


def _bad_parameter(request, error: calendar.CalendarParameterError):
    return render(request, "400.html", {"message": str(error)}, status=400)


def _viewer(request) -> tuple[calendar.Viewer, CalendarProjectForm]:
    """The calendar's viewer and the project whose changeover it shows (``?project=``)."""
    form = CalendarProjectForm(request.GET, user=request.user)
    if not form.is_valid():
        raise calendar.CalendarParameterError(form.errors["project"][0])
    return calendar.Viewer(request.user, form.cleaned_data["project"]), form


def _schedule(request, facility) -> dict:
    """The facility's schedule as ``?date=``, ``days=`` and ``project=`` ask; raises ``CalendarParameterError``."""
    day = calendar.parse_date(request.GET.get("date"))
    days = calendar.parse_days(request.GET.get("days"))
    viewer, project_form = _viewer(request)
    resources = calendar.facility_resources(facility)
    page = Paginator(resources, calendar.RESOURCES_PER_PAGE[days]).get_page(request.GET.get("page"))
    return {
        "facility": facility,
        "resources": resources,
        "page_obj": page,
        "page_query": f"&page={page.number}" if page.number > 1 else "",
        "project_form": project_form,
        **calendar.facility_schedule(facility, list(page), day, days, viewer),
    }


@require_GET
def facility_detail(request, slug):
    facility = get_object_or_404(Facility, slug=slug)
    try:
        context = _schedule(request, facility)
    except calendar.CalendarParameterError as error:
        return _bad_parameter(request, error)
    return render(request, "facilities/facility_detail.html", context)


@require_GET
def facility_schedule(request, slug):
    facility = get_object_or_404(Facility, slug=slug)
    try:
        context = _schedule(request, facility)
    except calendar.CalendarParameterError as error:
        return _bad_parameter(request, error)
    return render(request, "facilities/facility_schedule.html", context)


@require_GET
def resource_detail(request, slug):
    resource = calendar.shown_resource(slug)
    if resource is None:
        raise Http404
    try:
        monday = calendar.parse_week(request.GET.get("week"))
        viewer, project_form = _viewer(request)
    except calendar.CalendarParameterError as error:
        return _bad_parameter(request, error)
    context = {
        "resource": resource,
        "may_view_history": can_view_history(request.user, "resource"),
        "project_form": project_form,
        **calendar.week_schedule(resource, monday, viewer),
    }
    return render(request, "facilities/resource_detail.html", context)


@require_GET
def resource_month(request, slug):
    resource = get_object_or_404(Resource.objects.select_related("facility"), slug=slug)
    try:
        first = calendar.parse_month(request.GET.get("month"))
    except calendar.CalendarParameterError as error:
        return _bad_parameter(request, error)
    context = {"resource": resource, **calendar.month_overview(resource, first)}
    return render(request, "facilities/resource_month.html", context)


@require_GET
def free_time(request):
    # Links from a resource page name the resource only: a form to fill in, not a search with errors.
    searching = "first_day" in request.GET
    today = timezone.localdate()
    initial = {
        "resources": request.GET.getlist("resources"),
        "first_day": today,
        "last_day": today + datetime.timedelta(days=6),
    }
    form = FreeTimeForm(request.GET if searching else None, user=request.user, initial=initial)
    slots = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            slots = services.free_slots(
                request.user,
                data["resources"],
                data["project"],
                datetime.timedelta(minutes=data["duration"]),
                data["first_day"],
                data["last_day"],
            )
        except services.BookingError as error:
            form.add_error(None, error.message)
    page = _page(request, slots) if slots is not None else None
    return render(request, "facilities/free_time.html", {"form": form, "page_obj": page})


@require_GET
def booking_list(request):
    show_past = request.GET.get("show") == "past"
    # A person may see every booking they made or enter: visible_to() would only slow the query down.
    mine = Booking.objects.booked_or_entered_by(request.user)
    page = _counted_page(request, mine.past() if show_past else mine.upcoming())
    context = {
        "page_obj": page,
        "rows": tables.booking_rows(page),
        "show_past": show_past,
        "feed": services.feed_of(request.user),
    }
    return render(request, "facilities/booking_list.html", context)


# The booking form's fields a link may fill in (a calendar's free slot, the project search's results).
PREFILLED = ("resource", "project", "start", "end")


def booking_new(request):
    initial = {key: request.GET[key] for key in PREFILLED if key in request.GET}
    initial["entrants"] = [request.user.pk]
    if request.method != "POST" and permissions.can_book_on_behalf(request.user) and "project" not in request.GET:
        return _choose_project(request)
    form = BookingForm(request.POST if request.method == "POST" else None, user=request.user, initial=initial)
    if request.method != "POST" and form.books_on_behalf and not form.project_chosen:
        messages.error(request, _("There is no such accepted or active project; find the one you book for."))
        return _choose_project(request)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            bookings = services.create_booking(
                by=request.user,
                resource=data["resource"],
                project=data["project"],
                period=form.period,
                entrants=data["entrants"] or None,  # none named: the booker alone
                purpose=data["purpose"],
                equipment=data["equipment"],
                recurrence=form.recurrence,
                step=data["step"],
            )
        except services.BookingError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                ngettext("%(count)s booking was made.", "%(count)s bookings were made.", len(bookings))
                % {"count": len(bookings)},
            )
            return redirect(bookings[0])
    fields = request.POST if request.method == "POST" else request.GET
    context = {
        "form": form,
        # The same form with another project, or with any facility's resources: the fields filled in so far.
        "other_project_url": _booking_form_url(fields, "resource", "start", "end"),
        "any_resource_url": _booking_form_url(fields, "project", "start", "end"),
    }
    return render(request, "facilities/booking_form.html", context)


def _booking_form_url(fields, *names: str, path: str = "") -> str:
    """The booking form's address with the ``names`` of ``fields`` (a request's GET or POST) that have a value.

    ``path``: the form's path, reversed once by a caller that makes many addresses.
    """
    kept = {name: fields[name] for name in names if fields.get(name)}
    return (path or reverse("facilities:booking_new")) + (f"?{urlencode(kept)}" if kept else "")


def _choose_project(request):
    """Facility staff's first step: find the admitted project to book for; each result opens the form for it."""
    search = ProjectSearchForm(request.GET)
    projects, more = search.results()
    carried = {name: request.GET[name] for name in ("resource", "start", "end") if request.GET.get(name)}
    context = {"search": search, "carried": carried, "results": _found_projects(projects, carried), "more": more}
    return render(request, "facilities/booking_project.html", context)


def _found_projects(projects, carried: dict) -> list[str]:
    """Each found project as a list item, a link to the booking form for it with the ``carried`` fields; written
    as one string, from one reverse: a template would render a few nodes per project."""
    path = reverse("facilities:booking_new")
    return [
        mark_safe(  # every value escaped
            f'<li><a href="{escaped(_booking_form_url({**carried, "project": project.pk}, *PREFILLED, path=path))}">'
            f'{escaped(project)}</a> <span class="text-body-secondary">{escaped(project.group.name)}</span></li>\n'
        )
        for project in projects
    ]


def _visible_booking(request, pk) -> Booking:
    """The booking, or 404 to those who may not see it."""
    return get_object_or_404(Booking.objects.visible_to(request.user).with_details(), pk=pk)


@require_GET
def booking_detail(request, pk):
    booking = _visible_booking(request, pk)
    context = {
        "booking": booking,
        "equipment_bookings": booking.equipment_bookings.select_related("resource"),
        "entrants": [full_name(person) for person in booking.entrants.order_by("last_name", "username")],
        "may_cancel": booking.is_active and permissions.can_cancel_booking(request.user, booking),
        "may_view_history": can_view_history(request.user, "booking"),
    }
    if booking.status == BookingStatus.REQUESTED and permissions.can_decide_booking(request.user):
        token = tables.csrf_input(request)
        context["decision"] = tables.decision(token, booking.pk, None, booking.resource.name, booking.period.lower)
    return render(request, "facilities/booking_detail.html", context)


def _report(request, action, *args, success):
    """Run a booking transition; show its refusal or ``success`` as a message."""
    try:
        action(*args)
    except services.BookingError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)


def _booking_named(booking: Booking) -> dict:
    return {"resource": booking.resource.name, "when": describe_period(booking.period)}


@require_http_methods(["GET", "POST"])
def booking_cancel(request, pk):
    booking = _visible_booking(request, pk)
    require(permissions.can_cancel_booking(request.user, booking))
    form = CancelForm(request.POST if request.method == "POST" else None)
    if not form.is_valid():
        return confirmation_page(
            request,
            title=_("Cancel the booking?"),
            consequence=_("The booking of %(resource)s %(when)s is cancelled, with the equipment booked with it.")
            % _booking_named(booking),
            action_label=_("Cancel booking"),
            back_url=booking.get_absolute_url(),
            form=form,
        )
    reason = form.cleaned_data["reason"]
    _report(request, services.cancel_booking, booking, request.user, reason, success=_("The booking was cancelled."))
    return redirect(booking)


@require_POST
def booking_approve(request, pk):
    require(permissions.can_decide_booking(request.user))
    booking = _visible_booking(request, pk)
    _report(request, services.approve_booking, booking, request.user, success=_("The booking was approved."))
    return redirect("facilities:pending")


@require_http_methods(["GET", "POST"])
def booking_reject(request, pk):
    require(permissions.can_decide_booking(request.user))
    booking = _visible_booking(request, pk)
    form = RejectForm(request.POST if request.method == "POST" else None)
    if not form.is_valid():
        return confirmation_page(
            request,
            title=_("Reject the request?"),
            consequence=_("The request for %(resource)s %(when)s is rejected; the booker reads your reason.")
            % _booking_named(booking),
            action_label=_("Reject"),
            back_url=booking.get_absolute_url(),
            form=form,
        )
    comment = form.cleaned_data["comment"]
    _report(request, services.reject_booking, booking, request.user, comment, success=_("The booking was rejected."))
    return redirect("facilities:pending")


def _visible_series(request, series) -> list[Booking]:
    """The dates of the series, or 404 to those who may not see it."""
    dates = list(
        services.series_bookings(series).filter(pk__in=Booking.objects.visible_to(request.user)).with_details()
    )
    if not dates:
        raise Http404
    return dates


@require_GET
def series_detail(request, series):
    dates = _visible_series(request, series)
    first = dates[0]
    context = {
        "series": series,
        "first": first,
        "rows": tables.booking_rows(tables.table_values(booking) for booking in dates),
        "may_cancel": any(b.is_active for b in dates) and permissions.can_cancel_booking(request.user, first),
    }
    if any(b.status == BookingStatus.REQUESTED for b in dates) and permissions.can_decide_booking(request.user):
        token = tables.csrf_input(request)
        context["decision"] = tables.decision(token, first.pk, series, first.resource.name, first.period.lower)
    return render(request, "facilities/series_detail.html", context)


@require_POST
def series_approve(request, series):
    require(permissions.can_decide_booking(request.user))
    _visible_series(request, series)
    _report(request, services.approve_series, series, request.user, success=_("The series was approved."))
    return redirect("facilities:pending")


@require_http_methods(["GET", "POST"])
def series_reject(request, series):
    require(permissions.can_decide_booking(request.user))
    dates = _visible_series(request, series)
    form = RejectForm(request.POST if request.method == "POST" else None)
    if not form.is_valid():
        return confirmation_page(
            request,
            title=_("Reject the series?"),
            consequence=_("Every requested date of the series in %(resource)s is rejected; the booker reads why.")
            % {"resource": dates[0].resource.name},
            action_label=_("Reject the series"),
            back_url=reverse("facilities:series_detail", kwargs={"series": series}),
            form=form,
        )
    comment = form.cleaned_data["comment"]
    _report(request, services.reject_series, series, request.user, comment, success=_("The series was rejected."))
    return redirect("facilities:pending")


@require_http_methods(["GET", "POST"])
def series_cancel(request, series):
    dates = _visible_series(request, series)
    require(permissions.can_cancel_booking(request.user, dates[0]))
    form = SeriesCancelForm(request.POST if request.method == "POST" else None)
    if not form.is_valid():
        return confirmation_page(
            request,
            title=_("Cancel the series?"),
            consequence=_("The dates of the series in %(resource)s ahead are cancelled, or those from a day you give.")
            % {"resource": dates[0].resource.name},
            action_label=_("Cancel the dates"),
            back_url=reverse("facilities:series_detail", kwargs={"series": series}),
            form=form,
        )
    _report(
        request,
        services.cancel_series,
        series,
        request.user,
        form.cleaned_data["reason"],
        form.cleaned_data["from_day"],
        success=_("The dates of the series were cancelled."),
    )
    return redirect("facilities:series_detail", series=series)


def pending(request):
    # The permission first: others get 403 for every method, as on the other staff pages.
    require(permissions.can_decide_booking(request.user))
    return _pending_requests(request)


@require_GET
def _pending_requests(request):
    requests = Booking.objects.visible_to(request.user).pending().upcoming().one_row_per_series()
    page = _counted_page(request, requests, "series_starts")
    context = {"page_obj": page, "rows": tables.booking_rows(page, deciding=request)}
    return render(request, "facilities/pending.html", context)


def _cancelled_message(count: int) -> str:
    return ngettext(
        "The closure was saved; %(count)s booking was cancelled.",
        "The closure was saved; %(count)s bookings were cancelled.",
        count,
    ) % {"count": count}


def closure_list(request):
    require(permissions.can_manage_facility(request.user))
    form = NewClosureForm(request.POST if request.method == "POST" else None)
    affected = None
    if request.method == "POST" and form.is_valid():
        closure = form.instance
        try:
            cancelled = services.create_closure(
                closure, request.user, cancel_affected="confirm" in request.POST, recurrence=form.recurrence
            )
        except services.BookingError as error:
            # A refusal for bookings in the way lists them to confirm; any other refusal lists none.
            try:
                affected = services.check_closures(services.closures_of(closure, form.recurrence), cancel_affected=True)
            except services.BookingError:
                affected = None
            messages.warning(request, error.message)
        else:
            messages.success(request, _cancelled_message(len(cancelled)))
            return redirect("facilities:closures")
    show_past = request.GET.get("show") == "past"
    # What the list shows of each closure: its period, reason and note, and the name of what it closes.
    closures = (
        (Closure.objects.past() if show_past else Closure.objects.upcoming())
        .select_related("facility", "resource")
        .only("period", "reason", "note", "facility__name", "resource__name")
    )
    context = {
        "form": form,
        "affected": affected,
        "page_obj": _page(request, closures),
        "show_past": show_past,
        "delete_form": ClosureDeleteForm(),
    }
    return render(request, "facilities/closure_list.html", context)


def closure_edit(request, pk):
    """Correct a closure's period, scope, reason or note; a widened closure lists the bookings it would cancel."""
    require(permissions.can_manage_facility(request.user))
    closure = get_object_or_404(Closure.objects.select_related("facility", "resource"), pk=pk)
    form = ClosureChangeForm(request.POST if request.method == "POST" else None, instance=closure)
    affected = None
    if request.method == "POST" and form.is_valid():
        try:
            cancelled = services.update_closure(
                form.instance,
                request.user,
                reason=form.cleaned_data["change_reason"],
                cancel_affected="confirm" in request.POST,
            )
        except services.BookingError as error:
            affected = services.bookings_affected_by(form.instance)
            messages.warning(request, error.message)
        else:
            messages.success(request, _cancelled_message(len(cancelled)))
            return redirect("facilities:closures")
    return render(request, "facilities/closure_edit.html", {"form": form, "closure": closure, "affected": affected})


@require_POST
def closure_delete(request, pk):
    require(permissions.can_manage_facility(request.user))
    closure = get_object_or_404(Closure, pk=pk)
    form = ClosureDeleteForm(request.POST)
    if form.is_valid():
        services.delete_closure(closure, request.user, form.cleaned_data["reason"])
        messages.success(request, _("The closure was lifted; the bookings it cancelled stay cancelled."))
    else:
        messages.error(request, _("Give a reason for lifting the closure."))
    return redirect("facilities:closures")


def qualification_manage(request):
    require(permissions.can_manage_facility(request.user))
    form = QualificationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        _report(
            request,
            services.record_qualification,
            form.instance,
            request.user,
            success=_("The qualification was recorded."),
        )
        return redirect("facilities:qualification_manage")
    qualifications = Qualification.objects.select_related("user", "resource", "certified_by").order_by(
        "valid_until", "user__username"
    )
    context = {"form": form, "renew_form": RenewQualificationForm(), "page_obj": _page(request, qualifications)}
    return render(request, "facilities/qualification_manage.html", context)


@require_POST
def qualification_renew(request, pk):
    require(permissions.can_manage_facility(request.user))
    qualification = get_object_or_404(Qualification, pk=pk)
    form = RenewQualificationForm(request.POST)
    if form.is_valid():
        _report(
            request,
            services.renew_qualification,
            qualification,
            form.cleaned_data["valid_until"],
            request.user,
            success=_("The qualification was renewed."),
        )
    else:
        messages.error(request, _("Give the new end date of the qualification."))
    return redirect("facilities:qualification_manage")


@require_GET
def my_qualifications(request):
    mine = Qualification.objects.filter(user=request.user).select_related("resource", "certified_by")
    context = {
        "qualifications": mine.order_by("valid_until"),
        "expiring": mine.expiring_within(EXPIRY_WARNING_DAYS).order_by("valid_until"),
    }
    return render(request, "facilities/my_qualifications.html", context)


@require_GET
def usage_report(request):
    require(permissions.can_read_reports(request.user))
    form = UsageReportForm(request.GET)
    if not form.is_valid():
        return render(request, "facilities/usage_report.html", {"form": form}, status=400)
    if form.export_format not in ("csv", "xlsx"):
        return _usage_report_page(request, form)
    report = reports.usage_report(form.period, facility=form.cleaned_data["facility"], user=request.user)
    scope = f"{report.facility.slug}-" if report.facility else ""
    filename = f"usage-{scope}{report.period.first_day:%Y-%m-%d}-{report.period.last_day:%Y-%m-%d}"
    if form.export_format == "csv":
        table = report_exports.report_table(report, form.export_table)
        return exports.csv_download(request, table, f"{filename}-{form.export_table}")
    if form.export_format == "xlsx":
        return exports.xlsx_download(report_exports.workbook_tables(report), filename)


def _usage_report_page(request, form):
    # The page shows resources and groups a page at a time (at a large centre: hundreds of resources and
    # groups, thousands of lines), built alone; the totals and the CSV and XLSX files cover them all.
    report = reports.usage_report_page(
        form.period,
        facility=form.cleaned_data["facility"],
        user=request.user,
        per_page=PER_PAGE,
        resource_page=request.GET.get("resources_page"),
        group_page=request.GET.get("page"),
    )
    context = {
        "form": form,
        "report": report,
        "page_obj": report.groups,
        "charts": reports.usage_charts(report, report.groups),
        "table_choices": report_exports.TABLE_CHOICES,
    }
    return render(request, "facilities/usage_report.html", context)


def calendar_settings(request):
    """The user's iCalendar address and the e-mails they may turn off."""
    preferences = NotificationPreferences.objects.filter(user=request.user).first()
    form = NotificationPreferencesForm(
        request.POST if request.method == "POST" else None,
        instance=preferences or NotificationPreferences(user=request.user),
        user=request.user,
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Your e-mail choices were saved."))
        return redirect("facilities:calendar_settings")
    feed = services.feed_of(request.user)
    context = {
        "form": form,
        "feed": feed,
        "feed_url": request.build_absolute_uri(feed.get_absolute_url()),
        "staff_feeds": permissions.can_read_resource_feed(request.user),
        "resources": Resource.objects.active().select_related("facility"),
    }
    return render(request, "facilities/calendar_settings.html", context)


@require_POST
def calendar_regenerate(request):
    services.regenerate_feed_token(request.user)
    messages.success(request, _("Your calendar has a new address; the old one no longer works."))
    return redirect("facilities:calendar_settings")


FEED_HISTORY = datetime.timedelta(days=90)


def _ics(content: bytes) -> HttpResponse:
    return HttpResponse(content, content_type="text/calendar; charset=utf-8")


def _feed_user(token):
    return get_object_or_404(CalendarFeed.objects.select_related("user"), token=token, user__is_active=True).user


def _recent(bookings):
    return bookings.filter(period__endswith__gte=timezone.now() - FEED_HISTORY).with_details()


def _feed(request, user, bookings, name) -> HttpResponse:
    """The recent ``bookings`` as a subscribed calendar in the language of the feed's owner.

    A calendar program that has the newest version gets 304 Not Modified: the version is told by the
    bookings' last change and their number (a booking gone from the feed changes the number), read in
    one query before anything is built.
    """
    bookings = _recent(bookings)
    language = services.language_of(user)
    version = bookings.aggregate(changed=Max("updated_at"), count=Count("pk"))
    changed = version["changed"].timestamp() if version["changed"] else 0
    etag = quote_etag(f"{version['count']}-{changed}-{language}")
    last_modified = int(changed) or None
    response = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if response is None:
        with translation.override(language):
            response = _ics(ical.feed_of(bookings, str(name)))
    response["ETag"] = etag
    if last_modified:
        response["Last-Modified"] = http_date(last_modified)
    return response


@login_not_required  # calendar programs send the secret token, not a session
@require_safe
def calendar_feed(request, token):
    user = _feed_user(token)
    bookings = Booking.objects.visible_to(user).involving(user)
    return _feed(request, user, bookings, gettext_lazy("LU-ATMP bookings"))


@login_not_required  # as calendar_feed; the token's owner must be facility staff
@require_safe
def resource_feed(request, token, slug):
    user = _feed_user(token)
    if not permissions.can_read_resource_feed(user):
        raise Http404
    resource = get_object_or_404(Resource, slug=slug)
    return _feed(request, user, Booking.objects.visible_to(user).for_resource(resource), resource.name)
