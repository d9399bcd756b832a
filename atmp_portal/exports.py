"""One writer for every table the portal hands to spreadsheets, as CSV and as an Excel workbook (XLSX).

A table is a header row and rows, each column of one kind (text, hours, money, ...). CSV holds one table, with a
BOM so that Excel reads UTF-8, in the dialect of the user's Excel: Swedish Excel splits on ``;`` and reads decimal
commas. The workbook keeps text exactly as stored and lets numbers, money and dates be numbers and dates.
"""

import csv
import datetime
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# Text that a spreadsheet program would run as a formula when it opens a CSV file (CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Excel's sheet names have at most 31 characters and none of these.
SHEET_NAME_FORBIDDEN = str.maketrans(dict.fromkeys("[]:*?/\\", " "))
WIDEST_COLUMN = 60


class Kind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    HOURS = "hours"
    MONEY = "money"
    PERCENT = "percent"  # a number of per cent: 13.1 means 13.1 %
    DATE = "date"
    DATETIME = "datetime"


NUMBER_FORMATS = {
    Kind.INTEGER: "0",
    Kind.HOURS: "0.0",
    Kind.MONEY: '#,##0.00 "kr"',
    Kind.PERCENT: "0.0%",
    Kind.DATE: "yyyy-mm-dd",
    Kind.DATETIME: "yyyy-mm-dd hh:mm:ss",
}


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = Kind.TEXT


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: Iterable[Sequence]


@dataclass(frozen=True)
class CsvDialect:
    delimiter: str
    decimal: str


CSV_DIALECTS = {"excel": CsvDialect(",", "."), "excel-sv": CsvDialect(";", ",")}


def spreadsheet_safe(value) -> str:
    """A text cell that spreadsheets will not run as a formula when they open the CSV file."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_PREFIXES else text


def csv_dialect(request: HttpRequest) -> CsvDialect | None:
    """``?dialect=excel`` or ``excel-sv``; without it, the dialect of the language the user reads; None if unknown."""
    chosen = request.GET.get("dialect") or ("excel-sv" if get_language() == "sv" else "excel")
    return CSV_DIALECTS.get(chosen)


def _local(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment) if timezone.is_aware(moment) else moment


def _csv_value(value, kind: Kind, dialect: CsvDialect) -> str:
    if value is None:
        return ""
    if kind in (Kind.HOURS, Kind.MONEY, Kind.PERCENT):
        return format(Decimal(value), "f").replace(".", dialect.decimal)
    if kind == Kind.INTEGER:
        return str(value)
    if kind == Kind.DATETIME:
        return f"{_local(value):%Y-%m-%d %H:%M:%S}"
    if kind == Kind.DATE:
        return value.isoformat()
    return spreadsheet_safe(value)


def write_csv(table: Table, out, dialect: CsvDialect) -> None:
    """The table's header and rows, nothing else, so that ``pandas.read_csv`` reads it without options."""
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=dialect.delimiter)
    writer.writerow(column.header for column in table.columns)
    for row in table.rows:
        writer.writerow(
            _csv_value(value, column.kind, dialect) for column, value in zip(table.columns, row, strict=True)
        )


def csv_download(request: HttpRequest, table: Table, filename: str) -> HttpResponse:
    """The table as ``filename.csv`` in the user's dialect; 400 for a dialect there is none of."""
    dialect = csv_dialect(request)
    if dialect is None:
        return HttpResponseBadRequest(
            _("There is no such CSV dialect; choose excel or excel-sv."), content_type="text/plain; charset=utf-8"
        )
    response = _download(b"", "text/csv; charset=utf-8", f"{filename}.csv")
    write_csv(table, response, dialect)
    return response


def _xlsx_value(value, kind: Kind):
    if value is None:
        return None
    if kind == Kind.PERCENT:
        return Decimal(value) / 100
    if kind == Kind.DATETIME:
        return _local(value).replace(tzinfo=None)  # Excel has no time zones: the facility's wall clock
    if kind == Kind.TEXT:
        return ILLEGAL_CHARACTERS_RE.sub("", str(value))
    return value


def _add_sheet(workbook: Workbook, table: Table) -> None:
    sheet = workbook.create_sheet(table.title.translate(SHEET_NAME_FORBIDDEN)[:31])
    widths = [len(column.header) for column in table.columns]
    sheet.append([column.header for column in table.columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row_number, row in enumerate(table.rows, start=2):
        for column_number, (column, value) in enumerate(zip(table.columns, row, strict=True), start=1):
            cell = sheet.cell(row=row_number, column=column_number, value=_xlsx_value(value, column.kind))
            if column.kind == Kind.TEXT:
                # A string cell, whatever it starts with: openpyxl would store "=1+1" as a formula.
                cell.data_type = "s"
            elif column.kind in NUMBER_FORMATS:
                cell.number_format = NUMBER_FORMATS[column.kind]
            widths[column_number - 1] = max(widths[column_number - 1], len(str(value or "")))
    for number, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = min(width + 2, WIDEST_COLUMN)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = sheet.dimensions


def workbook_bytes(tables: Iterable[Table]) -> bytes:
    """An XLSX file with one sheet per table: bold, frozen header row with filters, then the rows."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        _add_sheet(workbook, table)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def xlsx_download(tables: Iterable[Table], filename: str) -> HttpResponse:
    return _download(workbook_bytes(tables), XLSX_CONTENT_TYPE, f"{filename}.xlsx")


def _download(content, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
