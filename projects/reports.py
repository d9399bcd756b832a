"""Read-only views of many projects at once: the portfolio matrix, its chart and the table of the CSV export."""

from collections import Counter

from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from atmp_portal.charts import bar_chart
from atmp_portal.exports import Column, Kind, Table
from atmp_portal.people import full_name

from .models import AtmpClass, DevelopmentStage


def class_stage_matrix(projects) -> dict:
    """Projects counted by ATMP class (rows) and development stage (columns), in one query."""
    counts = Counter(
        {
            (row["atmp_class"], row["stage"]): row["n"]
            for row in projects.order_by().values("atmp_class", "stage").annotate(n=Count("*"))
        }
    )
    largest = max(counts.values(), default=0)
    rows = []
    for atmp_class, class_label in AtmpClass.choices:
        cells = [counts[atmp_class, stage] for stage in DevelopmentStage.values]
        chart = bar_chart(
            f"chart-{atmp_class}",
            _("%(atmp_class)s: projects per development stage") % {"atmp_class": class_label},
            (
                (stage_label, count, str(count))
                for stage_label, count in zip(DevelopmentStage.labels, cells, strict=True)
            ),
            scale_max=largest,
        )
        rows.append({"value": atmp_class, "label": class_label, "cells": cells, "total": sum(cells), "chart": chart})
    return {
        "stages": DevelopmentStage.labels,
        "rows": rows,
        "stage_totals": [sum(row["cells"][i] for row in rows) for i in range(len(DevelopmentStage.values))],
        "total": sum(counts.values()),
    }


def projects_table(projects) -> Table:
    """The project list as one table for CSV, one row per project."""
    return Table(
        _("Projects"),
        [
            Column(_("Reference code")),
            Column(_("Acronym")),
            Column(_("Title")),
            Column(_("Research group")),
            Column(_("Project lead")),
            Column(_("ATMP class")),
            Column(_("Cell origin")),
            Column(_("Genetic modification / vector")),
            Column(_("Development stage")),
            Column(_("TRL"), Kind.INTEGER),
            Column(_("GMO contained-use class")),
            Column(_("Indication")),
            Column(_("Therapeutic area")),
            Column(_("Status")),
            Column(_("Expected start"), Kind.DATE),
            Column(_("Last change"), Kind.DATE),
        ],
        (
            (
                p.code,
                p.acronym,
                p.title,
                p.group.name,
                full_name(p.project_lead),
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
                timezone.localdate(p.updated_at),
            )
            for p in projects.iterator(chunk_size=500)
        ),
    )
