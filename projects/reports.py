"""Read-only views of many projects at once: the portfolio matrix, its chart and the CSV export."""

import csv
from collections import Counter

from django.db.models import Count
from django.utils.translation import gettext as _

from .models import AtmpClass, DevelopmentStage

# The chart's geometry, in SVG user units.
CHART_BAR_MAX = 300
CHART_ROW_HEIGHT = 22
CHART_LABEL_WIDTH = 230


def class_stage_matrix(projects) -> dict:
    """Projects counted by ATMP class (rows) and development stage (columns), in one query."""
    counts = Counter(
        {
            (row["atmp_class"], row["stage"]): row["n"]
            for row in projects.order_by().values("atmp_class", "stage").annotate(n=Count("pk"))
        }
    )
    largest = max(counts.values(), default=0)
    rows = []
    for atmp_class, class_label in AtmpClass.choices:
        cells = [counts[atmp_class, stage] for stage in DevelopmentStage.values]
        bars = [
            _bar(index, stage_label, count, largest)
            for index, (stage_label, count) in enumerate(zip(DevelopmentStage.labels, cells, strict=True))
        ]
        rows.append({"value": atmp_class, "label": class_label, "cells": cells, "total": sum(cells), "bars": bars})
    return {
        "stages": DevelopmentStage.labels,
        "rows": rows,
        "stage_totals": [sum(row["cells"][i] for row in rows) for i in range(len(DevelopmentStage.values))],
        "total": sum(counts.values()),
        "chart_height": CHART_ROW_HEIGHT * len(DevelopmentStage.values),
        "chart_width": CHART_LABEL_WIDTH + CHART_BAR_MAX + 40,
        "label_width": CHART_LABEL_WIDTH,
    }


def _bar(index: int, label: str, count: int, largest: int) -> dict:
    width = round(CHART_BAR_MAX * count / largest) if largest else 0
    top = index * CHART_ROW_HEIGHT
    return {
        "label": label,
        "count": count,
        "y": top + 3,
        "height": CHART_ROW_HEIGHT - 6,
        "text_y": top + CHART_ROW_HEIGHT * 7 // 10,
        "width": width,
        "count_x": CHART_LABEL_WIDTH + width + 6,
    }


def _cell(value) -> str:
    """A CSV cell that spreadsheets will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_projects_csv(projects, out) -> None:
    writer = csv.writer(out)
    writer.writerow(
        [
            _("Reference code"),
            _("Acronym"),
            _("Title"),
            _("Research group"),
            _("Project lead"),
            _("ATMP class"),
            _("Cell origin"),
            _("Genetic modification / vector"),
            _("Development stage"),
            _("TRL"),
            _("GMO contained-use class"),
            _("Indication"),
            _("Therapeutic area"),
            _("Status"),
            _("Expected start"),
            _("Last change"),
        ]
    )
    for p in projects.iterator(chunk_size=500):
        writer.writerow(
            _cell(value)
            for value in (
                p.code,
                p.acronym,
                p.title,
                p.group.name,
                p.project_lead.get_full_name() or p.project_lead.username,
                p.get_atmp_class_display(),
                p.get_cell_origin_display(),
                p.get_genetic_modification_display(),
                p.get_stage_display(),
                p.trl,
                p.get_gmo_class_display(),
                p.indication,
                p.therapeutic_area,
                p.get_status_display(),
                p.expected_start,
                p.updated_at.date(),
            )
        )
