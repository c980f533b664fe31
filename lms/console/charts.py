"""Accessible horizontal bar charts as inline SVG, drawn on the server. Pure: no Flask, no database.

Only SVG presentation attributes (fill, font-size, ...) are used, never style="" or scripts, so the
charts pass the site's Content-Security-Policy (style-src 'self', script-src 'self').
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 640
LABEL_WIDTH = 210  # the label column, right-aligned against the bars
VALUE_WIDTH = 70  # room after the longest bar for its value
ROW = 28
BAR = 18
PAD = 6
MAX_LABEL = 32  # longer labels are cut with an ellipsis; the full label stays in the bar's tooltip and the description
INK, BAR_FILL, AXIS = "#1d2420", "#1e6b3a", "#d6dcd3"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    shown: str  # the value as people read it (formatted by the caller, e.g. "1.234" or "85 %")


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1].rstrip() + "…"


def bar_chart(chart_id: str, title: str, bars: Sequence[Bar], description: str = "", maximum: float | None = None) -> Markup:
    """An <svg role="img"> named by its <title> and described by its <desc> (the values in words, unless given).

    `chart_id` must be unique in the page (it prefixes the ids of the title and description);
    `maximum` fixes the scale (e.g. 100 for percentages), otherwise the largest value fills the width.
    """
    scale_max = maximum if maximum is not None else max((bar.value for bar in bars), default=0)
    scale_max = scale_max if scale_max > 0 else 1
    area = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = max(len(bars), 1) * ROW + 2 * PAD
    words = description or "; ".join(f"{bar.label}: {bar.shown}" for bar in bars)
    ident = escape(chart_id)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-labelledby="{ident}-title {ident}-desc" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet" font-family="{escape(FONT)}" font-size="13">',
        f'<title id="{ident}-title">{escape(title)}</title>',
        f'<desc id="{ident}-desc">{escape(words)}</desc>',
        f'<line x1="{LABEL_WIDTH}" y1="{PAD}" x2="{LABEL_WIDTH}" y2="{height - PAD}" stroke="{AXIS}" stroke-width="1"/>',
    ]
    for index, bar in enumerate(bars):
        top = PAD + index * ROW
        middle = top + ROW / 2
        width = round(max(bar.value, 0) / scale_max * area, 1)
        parts.append(
            f'<g><text x="{LABEL_WIDTH - 8}" y="{middle}" text-anchor="end" dominant-baseline="middle" fill="{INK}">{escape(_short(bar.label))}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{top + (ROW - BAR) / 2}" width="{width}" height="{BAR}" fill="{BAR_FILL}">'
            f'<title>{escape(bar.label)}: {escape(bar.shown)}</title></rect>'
            f'<text x="{LABEL_WIDTH + width + 6}" y="{middle}" dominant-baseline="middle" fill="{INK}">{escape(bar.shown)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
