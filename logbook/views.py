from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from atmp_portal import exports
from atmp_portal.rules import require
from audit.permissions import can_view_history
from facilities.models import Booking, Facility, Resource, ResourceKind

from . import permissions, records, services
from .forms import (
    CORRECTABLE_FIELDS,
    CheckInForm,
    CleaningForm,
    CorrectionForm,
    DeviationForm,
    EmResultForm,
    InvestigationForm,
    LineClearanceForm,
    LogbookFilterForm,
    NoteSignatureForm,
    QuarantineForm,
    correction_form,
)
from .models import Deviation, DeviationCategory, DeviationStatus, Severity, UseKind

PER_PAGE = 25


def _page(request, queryset):
    return Paginator(queryset, PER_PAGE).get_page(request.GET.get("page"))


def _posted(request):
    """The POST data of a form page, or None on GET (an empty POST is still a submitted form)."""
    return request.POST if request.method == "POST" else None


def _refused(request, error: services.LogbookError) -> None:
    messages.error(request, error.message)


# Check-in and check-out


def _booking(request, pk) -> Booking:
    booking = get_object_or_404(Booking.objects.visible_to(request.user).with_details(), pk=pk)
    require(permissions.can_record_use(request.user, booking))
    return booking


@require_http_methods(["GET", "POST"])
def check_in(request, pk):
    """The booking's actual use; POST checks it in with who entered and the batch."""
    booking = _booking(request, pk)
    services.mark_no_show_of(booking)
    form = CheckInForm(_posted(request), booking=booking)
    if request.method == "POST" and form.is_valid():
        try:
            services.check_in(
                booking, by=request.user, entrants=form.cleaned_data["entrants"], batch=form.cleaned_data["batch"]
            )
        except services.LogbookError as error:
            _refused(request, error)
        else:
            messages.success(request, _("Checked in."))
            return redirect("logbook:check_in", booking.pk)
    uses = list(booking.use_records.prefetch_related("entrants").select_related("recorded_by"))
    kinds = {use.kind for use in uses}
    room = booking.resource.containing_room
    context = {
        "booking": booking,
        "hold_message": services.hold_message(room) if room else None,
        "uses": uses,
        "form": form,
        "may_check_in": not kinds & {UseKind.CHECK_IN, UseKind.NO_SHOW},
        "may_check_out": UseKind.CHECK_IN in kinds and UseKind.CHECK_OUT not in kinds,
    }
    return render(request, "logbook/check_in.html", context, status=400 if form.errors else 200)


@require_POST
def check_out(request, pk):
    booking = _booking(request, pk)
    try:
        services.check_out(booking, by=request.user)
    except services.LogbookError as error:
        _refused(request, error)
    else:
        messages.success(request, _("Checked out."))
    return redirect("logbook:check_in", booking.pk)


# A room's line clearance, cleaning, monitoring, hold and release


def _room(request, slug) -> Resource:
    room = get_object_or_404(Resource.objects.select_related("facility"), slug=slug, kind=ResourceKind.ROOM)
    require(permissions.can_read_logbook(request.user, room))
    return room


def _signed_form_page(request, room, form, title, sign, success):
    """Show a signed record's form; on a valid POST sign it, or show the refusal and change nothing."""
    if request.method == "POST" and form.is_valid():
        try:
            sign(form.cleaned_data)
        except services.LogbookError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, success)
            return redirect("logbook:room_logbook", room.slug)
    context = {"room": room, "form": form, "title": title}
    return render(request, "logbook/room_form.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def line_clearance(request, slug):
    room = _room(request, slug)
    if request.method == "POST":
        require(permissions.can_record_in_room(request.user, room))
    form = LineClearanceForm(_posted(request), checklist=services.checklist_of(room))
    if request.method == "POST" and form.is_valid():
        try:
            services.sign_clearance(
                room,
                by=request.user,
                password=form.cleaned_data["password"],
                ticked=form.cleaned_data["items"],
                note=form.cleaned_data["note"],
            )
        except services.LogbookError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Line clearance signed."))
            return redirect("logbook:line_clearance", room.slug)
    context = {
        "room": room,
        "form": form,
        "open_use": services.open_clearance(room),
        "may_sign": permissions.can_record_in_room(request.user, room),
    }
    return render(request, "logbook/line_clearance.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def record_cleaning(request, slug):
    room = _room(request, slug)
    require(permissions.can_record_in_room(request.user, room))
    form = CleaningForm(_posted(request))
    return _signed_form_page(
        request,
        room,
        form,
        _("Record cleaning and disinfection"),
        lambda data: services.record_cleaning(room, by=request.user, **data),
        _("Cleaning recorded and signed."),
    )


@require_http_methods(["GET", "POST"])
def record_monitoring(request, slug):
    room = _room(request, slug)
    require(permissions.can_record_monitoring(request.user))
    form = EmResultForm(_posted(request), initial={"grade": room.grade})
    return _signed_form_page(
        request,
        room,
        form,
        _("Record an environmental monitoring result"),
        lambda data: services.record_em_result(room, by=request.user, **data),
        _("Result recorded and signed."),
    )


@require_http_methods(["GET", "POST"])
def release(request, slug):
    room = _room(request, slug)
    require(permissions.can_release_room(request.user))
    form = NoteSignatureForm(_posted(request))
    return _signed_form_page(
        request,
        room,
        form,
        _("Release %(room)s") % {"room": room},
        lambda data: services.release_room(room, by=request.user, **data),
        _("Room released."),
    )


@require_http_methods(["GET", "POST"])
def correct_record(request, slug, kind, pk):
    """Correct a signed record of the room with a new signed one; the original stays as it was."""
    room = _room(request, slug)
    if kind not in CORRECTABLE_FIELDS:
        raise Http404
    model = CORRECTABLE_FIELDS[kind][0]
    original = get_object_or_404(model, pk=pk, room=room)
    require(permissions.can_correct_record(request.user, original))
    values = correction_form(kind, _posted(request), original)
    form = CorrectionForm(_posted(request))
    if request.method == "POST" and values.is_valid() and form.is_valid():
        changes = {name: values.cleaned_data[name] for name in values.changed_data}
        try:
            services.correct(original, by=request.user, **form.cleaned_data, **changes)
        except services.LogbookError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Correction signed."))
            return redirect("logbook:room_logbook", room.slug)
    context = {"room": room, "values": values, "form": form, "original": original}
    status = 400 if values.errors or form.errors else 200
    return render(request, "logbook/correction_form.html", context, status=status)


@require_POST
def quarantine(request, slug):
    room = _room(request, slug)
    require(permissions.can_place_hold(request.user))
    form = QuarantineForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the room is quarantined."))
    else:
        services.hold_room(room, by=request.user, cause="quarantine", note=form.cleaned_data["note"])
        messages.success(request, _("The room is on hold."))
    return redirect("logbook:room_logbook", room.slug)


@require_GET
def room_logbook(request, slug):
    """Every entry of the room, newest first; ``?kind=`` and ``?first_day=``/``?last_day=`` filter, ``?format=csv``."""
    room = _room(request, slug)
    form = LogbookFilterForm(request.GET, kinds=records.KIND_CHOICES)
    if not form.is_valid():
        return render(request, "logbook/room_logbook.html", {"room": room, "filter_form": form}, status=400)
    rows = records.entry_rows(room, **form.cleaned_data)
    if request.GET.get("format") == "csv":
        return exports.csv_download(request, records.logbook_table(records.load_entries(rows)), f"logbook-{room.slug}")
    page = _page(request, rows)
    entries = records.load_entries(page.object_list)
    for entry in entries:
        if entry.kind in CORRECTABLE_FIELDS and permissions.can_correct_record(request.user, entry.record):
            entry.correct_url = reverse("logbook:correct_record", args=[room.slug, entry.kind, entry.record.pk])
    context = {
        "room": room,
        "filter_form": form,
        "page_obj": page,
        "entries": entries,
        "hold_message": services.hold_message(room),
        "may_record": permissions.can_record_in_room(request.user, room),
        "may_monitor": permissions.can_record_monitoring(request.user),
        "may_hold": permissions.can_place_hold(request.user),
        "may_release": permissions.can_release_room(request.user),
        "quarantine_form": QuarantineForm(),
    }
    return render(request, "logbook/room_logbook.html", context)


@require_GET
def status_board(request, slug):
    facility = get_object_or_404(Facility, slug=slug)
    statuses = records.room_statuses(facility)
    context = {
        "facility": facility,
        "statuses": statuses,
        "todays_bookings": records.todays_bookings([status.room for status in statuses], request.user),
        "may_release": permissions.can_release_room(request.user),
    }
    return render(request, "logbook/status_board.html", context)


# Deviations


@require_GET
def deviation_list(request):
    deviations = Deviation.objects.visible_to(request.user).select_related("room", "equipment", "project")
    filters = {
        "status": DeviationStatus.values,
        "severity": Severity.values,
        "category": DeviationCategory.values,
    }
    chosen = {name: request.GET.get(name, "") for name in filters}
    for name, value in chosen.items():
        if value in filters[name]:
            deviations = deviations.filter(**{name: value})
    context = {
        "page_obj": _page(request, deviations),
        "chosen": chosen,
        "statuses": DeviationStatus.choices,
        "severities": Severity.choices,
        "categories": DeviationCategory.choices,
    }
    return render(request, "logbook/deviation_list.html", context)


@require_http_methods(["GET", "POST"])
def deviation_new(request):
    require(permissions.can_report_deviation(request.user))
    form = DeviationForm(_posted(request), user=request.user, initial={"booking": request.GET.get("booking")})
    if request.method == "POST" and form.is_valid():
        try:
            deviation = services.report_deviation(by=request.user, **form.cleaned_data)
        except services.LogbookError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Deviation %(code)s reported.") % {"code": deviation.code})
            return redirect(deviation)
    return render(request, "logbook/deviation_form.html", {"form": form}, status=400 if form.errors else 200)


def _deviation(request, pk) -> Deviation:
    deviations = Deviation.objects.visible_to(request.user).select_related(
        "room", "equipment", "booking", "project", "reported_by", "em_result"
    )
    return get_object_or_404(deviations, pk=pk)


@require_http_methods(["GET", "POST"])
def deviation_detail(request, pk):
    """The deviation; POST records the investigation and CAPA (facility staff and QA)."""
    deviation = _deviation(request, pk)
    may_investigate = permissions.can_investigate_deviation(request.user)
    if request.method == "POST":
        require(may_investigate)
    form = InvestigationForm(_posted(request), instance=deviation)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_investigation(deviation, by=request.user, **form.cleaned_data)
        except services.LogbookError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Investigation saved."))
            return redirect(deviation)
    context = {
        "deviation": deviation,
        "form": form,
        "close_form": NoteSignatureForm(),
        "closures": deviation.closures.select_related("signed_by"),
        "may_investigate": may_investigate and deviation.status != DeviationStatus.CLOSED,
        "may_close": permissions.can_close_deviation(request.user) and deviation.status != DeviationStatus.CLOSED,
        "may_view_history": can_view_history(request.user, "deviation"),
    }
    return render(request, "logbook/deviation_detail.html", context, status=400 if form.errors else 200)


@require_POST
def deviation_close(request, pk):
    deviation = _deviation(request, pk)
    require(permissions.can_close_deviation(request.user))
    form = NoteSignatureForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter your password to sign the closure."))
        return redirect(deviation)
    try:
        services.close_deviation(deviation, by=request.user, **form.cleaned_data)
    except services.LogbookError as error:
        _refused(request, error)
    else:
        messages.success(request, _("%(code)s closed.") % {"code": deviation.code})
    return redirect(deviation)
