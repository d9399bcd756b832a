"""Horizontal bar charts drawn on the server as SVG; each bar carries its label and number, so colour is not needed."""

from collections.abc import Iterable
from numbers import Real

from django.utils.html import format_html_join

# The chart's geometry, in SVG user units.
BAR_MAX = 300
ROW_HEIGHT = 22
LABEL_WIDTH = 230
NUMBER_WIDTH = 80


def bar_chart(chart_id: str, title: str, bars: Iterable[tuple[str, Real, str]], *, scale_max: Real = 0) -> dict:
    """A chart of ``(label, value, text shown beside the bar)`` rows for includes/bar_chart.html.

    Bars are scaled to ``scale_max`` (so that several charts can share one scale), else to the largest value.
    Their SVG is written here, one string for them all: a chart of a page of rows would otherwise take the
    template a dozen nodes per bar.
    """
    bars = list(bars)
    largest = scale_max or max((value for _label, value, _text in bars), default=0)
    return {
        "id": chart_id,
        "title": title,
        "bars": format_html_join(
            "\n", BAR, (_bar(index, label, value, text, largest) for index, (label, value, text) in enumerate(bars))
        ),
        "height": ROW_HEIGHT * max(len(bars), 1),
        "width": LABEL_WIDTH + BAR_MAX + NUMBER_WIDTH,
    }


BAR = (
    '<text x="0" y="{text_y}">{label}</text>'
    '<rect x="{label_width}" y="{y}" width="{width}" height="{height}"></rect>'
    '<text x="{text_x}" y="{text_y}">{text}</text>'
)


def _bar(index: int, label: str, value: Real, text: str, largest: Real) -> dict:
    width = round(BAR_MAX * min(value, largest) / largest) if largest else 0
    top = index * ROW_HEIGHT
    return {
        "label": label,
        "text": text,
        "label_width": LABEL_WIDTH,
        "y": top + 3,
        "height": ROW_HEIGHT - 6,
        "text_y": top + ROW_HEIGHT * 7 // 10,
        "width": width,
        "text_x": LABEL_WIDTH + width + 6,
    }
