"""Horizontal bar charts drawn on the server as SVG; each bar carries its label and number, so colour is not needed."""

from collections.abc import Iterable
from numbers import Real

from django.utils.html import format_html_join

# The chart's geometry, in SVG user units.
BAR_MAX = 300
ROW_HEIGHT = 22
LABEL_WIDTH = 230
NUMBER_WIDTH = 80
# A bar: its label, its rectangle and its number beside it.
_BAR_SVG = '<text x="0" y="{}">{}</text><rect x="{}" y="{}" width="{}" height="{}"></rect><text x="{}" y="{}">{}</text>'


def bar_chart(chart_id: str, title: str, bars: Iterable[tuple[str, Real, str]], *, scale_max: Real = 0) -> dict:
    """The geometry of a chart of ``(label, value, text shown beside the bar)`` rows for includes/bar_chart.html.

    Bars are scaled to ``scale_max`` (so that several charts can share one scale), else to the largest value.
    The bars are drawn here as one SVG string: one template variable, however many bars.
    """
    bars = list(bars)
    largest = scale_max or max((value for _label, value, _text in bars), default=0)
    return {
        "id": chart_id,
        "title": title,
        "bars": format_html_join(
            "\n",
            _BAR_SVG,
            (_bar(index, label, value, text, largest) for index, (label, value, text) in enumerate(bars)),
        ),
        "height": ROW_HEIGHT * max(len(bars), 1),
        "width": LABEL_WIDTH + BAR_MAX + NUMBER_WIDTH,
    }


def _bar(index: int, label: str, value: Real, text: str, largest: Real) -> tuple:
    """A bar's label, rectangle and number, as the values of the SVG in ``bar_chart``."""
    width = round(BAR_MAX * min(value, largest) / largest) if largest else 0
    top = index * ROW_HEIGHT
    text_y = top + ROW_HEIGHT * 7 // 10
    return (text_y, label, LABEL_WIDTH, top + 3, width, ROW_HEIGHT - 6, LABEL_WIDTH + width + 6, text_y, text)
