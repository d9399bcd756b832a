"""The tables of bookings (my bookings, the requests waiting, a series' dates), written row by row.

A row's links, dates, names and labels are made here in one pass, from one ``reverse`` per kind of link for
the whole table, and the row is written as one string: a template would render a dozen nodes per row.
"""

import datetime
import functools
from dataclasses import dataclass

from django.middleware.csrf import get_token
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext

from atmp_portal.dates import local_text
from atmp_portal.links import link_pattern
from atmp_portal.people import full_name_of

from .calendar import EN_DASH
from .models import Booking, BookingStatus, status_badge

# The columns a table shows, read as values; ``series_starts`` where one_row_per_series() annotates it.
TABLE_FIELDS = (
    "pk",
    "period",
    "status",
    "series",
    "resource__name",
    "project__code",
    "project__acronym",
    "booked_by__first_name",
    "booked_by__last_name",
    "booked_by__username",
)


@dataclass(frozen=True, slots=True)
class Decision:
    """The approve form and the reject link, for one booking or a whole series."""

    approve_url: str
    reject_url: str
    approve_label: str
    reject_label: str
    subject: str  # which booking, for screen readers among many reject links
    csrf_input: str

    @property
    def html(self) -> str:
        """Approve in one POST; rejecting asks for a reason on its own page."""
        return format_html(
            '<div class="d-flex flex-wrap gap-2 align-items-start">\n'
            '  <form method="post" action="{}">{}\n'
            '    <button type="submit" class="btn btn-sm btn-success">{}</button>\n'
            "  </form>\n"
            '  <a class="btn btn-sm btn-outline-danger" href="{}">{}<span class="visually-hidden"> {}</span></a>\n'
            "</div>",
            self.approve_url,
            self.csrf_input,
            self.approve_label,
            self.reject_url,
            self.reject_label,
            self.subject,
        )


@dataclass(frozen=True, slots=True)
class BookingRow:
    url: str
    when: str
    resource: str
    project: str
    booked_by: str
    status_label: str
    status_badge: str
    series_url: str = ""  # only for a series with more than one date in the table
    series_label: str = ""
    series_dates: str = ""
    decision: Decision | None = None

    @property
    def html(self) -> str:
        """The row of includes/booking_table.html."""
        series = (
            format_html('<br><a href="{}">{}</a>: {}', self.series_url, self.series_label, self.series_dates)
            if self.series_url
            else ""
        )
        return format_html(
            '<tr><td><a href="{}">{}</a>{}</td><td>{}</td><td>{}</td><td>{}</td>'
            '<td><span class="badge {}">{}</span></td>{}</tr>\n',
            self.url,
            self.when,
            series,
            self.resource,
            self.project,
            self.booked_by,
            self.status_badge,
            self.status_label,
            format_html("<td>{}</td>", self.decision.html) if self.decision else "",
        )


def csrf_input(request) -> str:
    """The hidden field of a form's CSRF token, as ``{% csrf_token %}`` writes it."""
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(request))


class _Links:
    """Each kind of link a table makes, from one ``reverse`` when first needed: the key put in for the sample's."""

    booking = functools.cached_property(lambda self: link_pattern("facilities:booking_detail"))
    approve = functools.cached_property(lambda self: link_pattern("facilities:booking_approve"))
    reject = functools.cached_property(lambda self: link_pattern("facilities:booking_reject"))
    series = functools.cached_property(lambda self: link_pattern("facilities:series_detail", _SAMPLE_UUID))
    series_approve = functools.cached_property(lambda self: link_pattern("facilities:series_approve", _SAMPLE_UUID))
    series_reject = functools.cached_property(lambda self: link_pattern("facilities:series_reject", _SAMPLE_UUID))


_SAMPLE_UUID = "00000000-0000-0000-0000-000000000000"


def decision(token: str, booking_pk: int, series, resource: str, start: datetime.datetime, links: _Links | None = None):
    """The decision on ``booking_pk``, or on every requested date of ``series``; ``token``: the staff's csrf_input."""
    links = links or _Links()
    if series:
        key, approve, reject = series, links.series_approve, links.series_reject
        labels = gettext("Approve the series"), gettext("Reject the series")
    else:
        key, approve, reject = booking_pk, links.approve, links.reject
        labels = gettext("Approve"), gettext("Reject")
    return Decision(
        approve_url=approve.format(key),
        reject_url=reject.format(key),
        approve_label=labels[0],
        reject_label=labels[1],
        subject=f"{resource} {local_text(start, 'DAY_TIME_FORMAT')}",
        csrf_input=token,
    )


def booking_rows(bookings, *, deciding=None) -> list[BookingRow]:
    """``bookings`` (dicts of TABLE_FIELDS, in their order) as table rows; ``deciding``: the request of staff
    who decide on them, whose rows carry the decision."""
    links = _Links()
    statuses = {status.value: str(status.label) for status in BookingStatus}
    token = csrf_input(deciding) if deciding else None
    return [_row(booking, links, statuses, token) for booking in bookings]


def _row(booking: dict, links: _Links, statuses: dict, token: str | None) -> BookingRow:
    start = booking["period"].lower
    series_starts = booking.get("series_starts") or ()
    series = booking["series"] if len(series_starts) > 1 else None
    booker = (booking["booked_by__first_name"], booking["booked_by__last_name"], booking["booked_by__username"])
    resource = booking["resource__name"]
    return BookingRow(
        url=links.booking.format(booking["pk"]),
        when=f"{local_text(start, 'DATETIME_FORMAT')}{EN_DASH}{local_text(booking['period'].upper, 'TIME_FORMAT')}",
        resource=resource,
        project=f"{booking['project__code']} {booking['project__acronym']}".rstrip(),
        booked_by=full_name_of(*booker),
        status_label=statuses[booking["status"]],
        status_badge=status_badge(booking["status"]),
        **(_series_cells(series, series_starts, links) if series else {}),
        decision=decision(token, booking["pk"], series, resource, start, links) if token else None,
    )


def _series_cells(series, starts, links: _Links) -> dict:
    count = len(starts)
    return {
        "series_url": links.series.format(series),
        "series_label": ngettext("Series of %(count)s date", "Series of %(count)s dates", count) % {"count": count},
        "series_dates": ", ".join(local_text(start, "SHORT_DAY_FORMAT") for start in starts),
    }


def table_values(booking: Booking) -> dict:
    """A booking read as a model (with its resource, project and booker) as the values a table row is made of."""
    return {
        "pk": booking.pk,
        "period": booking.period,
        "status": booking.status,
        "series": booking.series,
        "resource__name": booking.resource.name,
        "project__code": booking.project.code,
        "project__acronym": booking.project.acronym,
        "booked_by__first_name": booking.booked_by.first_name,
        "booked_by__last_name": booking.booked_by.last_name,
        "booked_by__username": booking.booked_by.username,
    }
