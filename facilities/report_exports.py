"""The usage report as files: CSV and an Excel workbook with the same tables, units and period."""

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook

from atmp_portal.exports import spreadsheet_safe

from .reports import UsageReport


@dataclass
class Table:
    title: str
    headers: list[str]
    rows: list[list]


def _preamble(report: UsageReport) -> list[list]:
    period = report.period
    facility = [[_("Facility"), report.facility.name, report.facility.slug]] if report.facility else []
    return [
        [_("LU-ATMP facility usage report")],
        [_("Period"), period.label, f"{period.first_day:%Y-%m-%d}", f"{period.last_day:%Y-%m-%d}"],
        *facility,
        [_("Hours in the period (h)"), period.hours],
    ]


def report_tables(report: UsageReport) -> list[Table]:
    resources = Table(
        _("Resources"),
        [
            _("Facility"),
            _("Resource"),
            _("Kind"),
            _("Open hours (h)"),
            _("Closure hours (h)"),
            _("Available hours (h)"),
            _("Booked hours (h)"),
            _("Utilisation (%)"),
        ],
        [
            [
                row.resource.facility.name,
                row.resource.name,
                row.resource.get_kind_display(),
                row.open_hours,
                row.closed_hours,
                row.available_hours,
                row.booked_hours,
                row.utilisation,
            ]
            for row in report.resources
        ],
    )
    billing = Table(
        _("Groups and projects"),
        [
            _("Research group"),
            _("Cost centre"),
            _("Billing category"),
            _("Project"),
            _("Project title"),
            _("Resource"),
            _("Booked hours (h)"),
            _("Hourly rate (SEK/h)"),
            _("Cost (SEK)"),
        ],
        [
            [
                group_row.group.name,
                group_row.group.cost_centre,
                group_row.billing_category_label,
                line.project.code,
                line.project.title,
                line.resource.name,
                line.hours,
                line.rate,
                line.cost,
            ]
            for group_row in report.groups
            for line in group_row.lines
        ],
    )
    return [resources, billing]


def _text_safe(value):
    """Numbers stay numbers; text is guarded against running as a formula."""
    return value if isinstance(value, int | Decimal) else spreadsheet_safe(value)


def write_csv(report: UsageReport, out) -> None:
    writer = csv.writer(out)
    writer.writerows([_text_safe(value) for value in row] for row in _preamble(report))
    for table in report_tables(report):
        writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.headers)
        writer.writerows([_text_safe(value) for value in row] for row in table.rows)


def workbook_bytes(report: UsageReport) -> bytes:
    """An XLSX file: one sheet per table, each opening with the period."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in report_tables(report):
        # Sheet names may not hold some characters and have at most 31 of them.
        sheet = workbook.create_sheet(table.title[:31])
        for row in [*_preamble(report), [], table.headers, *table.rows]:
            sheet.append([_text_safe(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
