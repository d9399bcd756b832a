"""Horizontal bar charts drawn on the server as SVG; each bar carries its label and number, so colour is not needed."""

from collections.abc import Iterable
from numbers import Real

# The chart's geometry, in SVG user units.
BAR_MAX = 300
ROW_HEIGHT = 22
LABEL_WIDTH = 230
NUMBER_WIDTH = 80


def bar_chart(chart_id: str, title: str, bars: Iterable[tuple[str, Real, str]], *, scale_max: Real = 0) -> dict:
    """The geometry of a chart of ``(label, value, text shown beside the bar)`` rows for includes/bar_chart.html.

    Bars are scaled to ``scale_max`` (so that several charts can share one scale), else to the largest value.
    """
    bars = list(bars)
    largest = scale_max or max((value for _label, value, _text in bars), default=0)
    return {
        "id": chart_id,
        "title": title,
        "bars": [_bar(index, label, value, text, largest) for index, (label, value, text) in enumerate(bars)],
        "height": ROW_HEIGHT * max(len(bars), 1),
        "width": LABEL_WIDTH + BAR_MAX + NUMBER_WIDTH,
        "label_width": LABEL_WIDTH,
    }


def _bar(index: int, label: str, value: Real, text: str, largest: Real) -> dict:
    width = round(BAR_MAX * min(value, largest) / largest) if largest else 0
    top = index * ROW_HEIGHT
    return {
        "label": label,
        "text": text,
        "y": top + 3,
        "height": ROW_HEIGHT - 6,
        "text_y": top + ROW_HEIGHT * 7 // 10,
        "width": width,
        "text_x": LABEL_WIDTH + width + 6,
    }
