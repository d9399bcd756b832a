"""The usage report as tables for CSV files (one table each) and an Excel workbook (all of them)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from atmp_portal.exports import Column, Kind, Table

from .reports import UsageReport

# The report's tables by the name ``?table=`` gives them.
TABLE_CHOICES = [("resources", gettext_lazy("Resources")), ("groups", gettext_lazy("Groups and projects"))]


def period_table(report: UsageReport) -> Table:
    period = report.period
    return Table(
        _("Period"),
        [
            Column(_("Period")),
            Column(_("First day"), Kind.DATE),
            Column(_("Last day"), Kind.DATE),
            Column(_("Facility")),
            Column(_("Hours in the period (h)"), Kind.HOURS),
        ],
        [
            [
                period.label,
                period.first_day,
                period.last_day,
                report.facility.name if report.facility else _("All facilities"),
                period.hours,
            ]
        ],
    )


def resources_table(report: UsageReport) -> Table:
    return Table(
        _("Resources"),
        [
            Column(_("Facility")),
            Column(_("Resource")),
            Column(_("Kind")),
            Column(_("Open hours (h)"), Kind.HOURS),
            Column(_("Closure hours (h)"), Kind.HOURS),
            Column(_("Available hours (h)"), Kind.HOURS),
            Column(_("Booked hours (h)"), Kind.HOURS),
            Column(_("Utilisation (%)"), Kind.PERCENT),
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


def groups_table(report: UsageReport) -> Table:
    return Table(
        _("Groups and projects"),
        [
            Column(_("Research group")),
            Column(_("Cost centre")),
            Column(_("Billing category")),
            Column(_("Project")),
            Column(_("Project title")),
            Column(_("Resource")),
            Column(_("Booked hours (h)"), Kind.HOURS),
            Column(_("Hourly rate (SEK/h)"), Kind.MONEY),
            Column(_("Cost (SEK)"), Kind.MONEY),
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


REPORT_TABLES = {"resources": resources_table, "groups": groups_table}


def report_table(report: UsageReport, name: str) -> Table:
    return REPORT_TABLES[name](report)


def workbook_tables(report: UsageReport) -> list[Table]:
    """Every table of the report, then its period and facility."""
    return [*(table(report) for table in REPORT_TABLES.values()), period_table(report)]
