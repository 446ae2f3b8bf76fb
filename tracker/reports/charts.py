"""Charts drawn on the server as SVG: no script, no CDN, legible on paper.

Only presentation attributes (fill, stroke, font-size): the Content Security
Policy forbids inline styles. Every label is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

INK = "#1f2933"
GRID = "#c4cdd5"
COLORS = ("#2563eb", "#dc2626", "#059669", "#d97706")


def _nice_max(value: int | float) -> float:
    if value <= 0:
        return 1
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000):
        if value <= step * 4:
            return step * 4 if value > step * 2 else step * 2 if value > step else step
    return float(value)


def _svg(width: int, height: int, title: str, body: list[str]) -> SafeString:
    label = escape(title)
    return mark_safe(  # noqa: S308 (every text below is escaped)
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="100%" '
        f'role="img" aria-label="{label}" class="chart" font-family="sans-serif" font-size="11" fill="{INK}">'
        f"<title>{label}</title>" + "".join(body) + "</svg>"
    )


def bar_chart(
    bars: Sequence[tuple[str, int | float]], *, title: str, width: int = 720, height: int = 240, color: str = COLORS[0]
) -> SafeString:
    """Vertical bars (e.g. complaints per hour); at most about 24 x-axis labels are printed."""
    left, right, top, bottom = 40, 10, 10, 50
    plot_w, plot_h = width - left - right, height - top - bottom
    # At least 4 so that the 4 grid steps of a count stay whole numbers.
    top_value = max(_nice_max(max((value for _label, value in bars), default=0)), 4)
    body = []
    for i in range(5):
        y = top + plot_h - plot_h * i / 4
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="{GRID}"/>')
        body.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end">{_number(top_value * i / 4)}</text>')
    n = max(len(bars), 1)
    slot = plot_w / n
    every = max(1, -(-n // 24))
    for i, (label, value) in enumerate(bars):
        h = plot_h * (value / top_value) if top_value else 0
        x = left + i * slot
        body.append(
            f'<rect x="{x + slot * 0.1:.1f}" y="{top + plot_h - h:.1f}" width="{max(slot * 0.8, 1):.1f}" '
            f'height="{h:.1f}" fill="{color}"><title>{escape(label)}: {_number(value)}</title></rect>'
        )
        if i % every == 0:
            cx, cy = x + slot / 2, top + plot_h + 8
            if n <= 8:
                # Few bars: horizontal labels under each bar.
                body.append(f'<text x="{cx:.1f}" y="{cy + 8:.1f}" text-anchor="middle">{escape(label)}</text>')
            else:
                body.append(
                    f'<text x="{cx:.1f}" y="{cy:.1f}" text-anchor="end" transform="rotate(-45 {cx:.1f} {cy:.1f})">'
                    f"{escape(label)}</text>"
                )
    body.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="{INK}"/>')
    return _svg(width, height, title, body)


def grouped_bars(
    groups: Sequence[tuple[str, Sequence[int | float]]],
    *,
    series: Sequence[str],
    title: str,
    width: int = 720,
    row_height: int = 26,
) -> SafeString:
    """Horizontal bars, one group per row (e.g. per channel: sent and failed), with a legend."""
    left, right, top = 110, 60, 28
    height = top + max(len(groups), 1) * row_height * max(len(series), 1) + 10
    plot_w = width - left - right
    top_value = _nice_max(max((v for _label, values in groups for v in values), default=0))
    body = []
    for j, name in enumerate(series):
        x = left + j * 120
        body.append(f'<rect x="{x}" y="6" width="12" height="12" fill="{COLORS[j % len(COLORS)]}"/>')
        body.append(f'<text x="{x + 16}" y="16">{escape(name)}</text>')
    y = top
    for label, values in groups:
        body.append(f'<text x="{left - 6}" y="{y + row_height * len(series) / 2 + 4:.1f}" text-anchor="end">'
                    f"{escape(label)}</text>")  # fmt: skip
        for j, value in enumerate(values):
            w = plot_w * (value / top_value) if top_value else 0
            body.append(
                f'<rect x="{left}" y="{y + 3}" width="{w:.1f}" height="{row_height - 6}" '
                f'fill="{COLORS[j % len(COLORS)]}"/>'
                f'<text x="{left + w + 4:.1f}" y="{y + row_height / 2 + 4:.1f}">{_number(value)}</text>'
            )
            y += row_height
    return _svg(width, height, title, body)


def _number(value: int | float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}".replace(",", "\u202f")
    return f"{value:.1f}"
