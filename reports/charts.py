"""Server-side SVG charts, so the web page and the PDF show the same picture. Labels are
escaped; colours come from the firm's branding."""

from __future__ import annotations

import math
from html import escape

from django.utils.safestring import mark_safe

GRID = "#d9dee7"
INK = "#1a202c"
MUTED = "#4a5568"


def _svg(width: int, height: int, body: str, title: str) -> str:
    return mark_safe(  # noqa: S308 - every label below is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}" class="chart" '
        f'font-family="Helvetica, Arial, sans-serif" font-size="12">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def _wrap(label: str, width: int = 16) -> list[str]:
    """Split a long axis label over two lines at the space nearest its middle."""
    if len(label) <= width or " " not in label:
        return [label]
    middle = len(label) // 2
    spaces = [i for i, ch in enumerate(label) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - middle))
    return [label[:cut], label[cut + 1 :]]


def radar(
    *, axes: list[str], series: list[tuple[str, list[float | None], str, bool]], title: str
) -> str:
    """axes: labels; series: (name, values 0-100 or None, colour, dashed)."""
    width, size, center, radius = 600, 420, 210, 140
    middle = width / 2
    n = len(axes)
    if n < 3:
        return ""

    def point(i, value):
        angle = -math.pi / 2 + 2 * math.pi * i / n
        r = radius * (value or 0) / 100
        return middle + r * math.cos(angle), center + r * math.sin(angle)

    parts = []
    for level in (20, 40, 60, 80, 100):
        ring = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, level) for i in range(n)))
        parts.append(f'<polygon points="{ring}" fill="none" stroke="{GRID}"/>')
    for i, label in enumerate(axes):
        x, y = point(i, 100)
        parts.append(
            f'<line x1="{middle}" y1="{center}" x2="{x:.1f}" y2="{y:.1f}" stroke="{GRID}"/>'
        )
        lx, ly = point(i, 114)
        anchor = "middle" if abs(lx - middle) < 20 else ("start" if lx > middle else "end")
        lines = _wrap(label)
        spans = "".join(
            f'<tspan x="{lx:.1f}" dy="{0 if n == 0 else 14}">{escape(line)}</tspan>'
            for n, line in enumerate(lines)
        )
        parts.append(
            f'<text x="{lx:.1f}" y="{ly - 7 * (len(lines) - 1):.1f}" text-anchor="{anchor}" '
            f'fill="{INK}" dominant-baseline="middle">{spans}</text>'
        )
    for name, values, colour, dashed in series:
        if all(v is None for v in values):
            continue
        shape = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, v) for i, v in enumerate(values)))
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        fill = "none" if dashed else colour
        parts.append(
            f'<polygon points="{shape}" fill="{fill}" fill-opacity="0.25" stroke="{colour}" '
            f'stroke-width="2.5"{dash}><title>{escape(name)}</title></polygon>'
        )
    legend_y = size - 24
    x = 20
    for name, values, colour, dashed in series:
        if all(v is None for v in values):
            continue
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        parts.append(
            f'<line x1="{x}" y1="{legend_y}" x2="{x + 24}" y2="{legend_y}" stroke="{colour}" '
            f'stroke-width="3"{dash}/><text x="{x + 30}" y="{legend_y + 4}" fill="{INK}">'
            f"{escape(name)}</text>"
        )
        x += 40 + 7 * len(name)
    return _svg(width, size, "".join(parts), title)


def bars(
    *, rows: list[tuple[str, list[float | None]]], series: list[tuple[str, str]], title: str
) -> str:
    """Horizontal grouped bars 0-100: rows of (label, one value per series)."""
    label_width, bar_width, row_gap = 240, 300, 10
    bar_height = 14
    group_height = bar_height * len(series) + row_gap
    height = 30 + group_height * len(rows) + 10
    parts = []
    for tick in (0, 25, 50, 75, 100):
        x = label_width + bar_width * tick / 100
        parts.append(f'<line x1="{x}" y1="20" x2="{x}" y2="{height - 10}" stroke="{GRID}"/>')
        parts.append(f'<text x="{x}" y="14" text-anchor="middle" fill="{MUTED}">{tick}</text>')
    for r, (label, values) in enumerate(rows):
        top = 26 + r * group_height
        parts.append(
            f'<text x="{label_width - 8}" y="{top + bar_height * len(series) / 2 + 4}" '
            f'text-anchor="end" fill="{INK}">{escape(label)}</text>'
        )
        for s, ((name, colour), value) in enumerate(zip(series, values, strict=True)):
            if value is None:
                continue
            y = top + s * bar_height
            parts.append(
                f'<rect x="{label_width}" y="{y}" width="{bar_width * value / 100:.1f}" '
                f'height="{bar_height - 3}" fill="{colour}"><title>{escape(name)}: {value:.0f}'
                f"</title></rect>"
                f'<text x="{label_width + bar_width * value / 100 + 4:.1f}" y="{y + 10}" '
                f'fill="{MUTED}" font-size="10">{value:.0f}</text>'
            )
    return _svg(label_width + bar_width + 40, height, "".join(parts), title)


def histogram(*, counts: list[int], colour: str, title: str, labels: list[str]) -> str:
    width, height, top = 320, 140, 10
    peak = max(counts) or 1
    slot = width / len(counts)
    parts = []
    for i, (count, label) in enumerate(zip(counts, labels, strict=True)):
        h = (height - 40) * count / peak
        x = i * slot + 6
        parts.append(
            f'<rect x="{x:.1f}" y="{top + height - 40 - h:.1f}" width="{slot - 12:.1f}" '
            f'height="{h:.1f}" fill="{colour}"><title>{escape(label)}: {count}</title></rect>'
            f'<text x="{x + (slot - 12) / 2:.1f}" y="{top + height - 24}" text-anchor="middle" '
            f'fill="{MUTED}" font-size="10">{escape(label)}</text>'
            f'<text x="{x + (slot - 12) / 2:.1f}" y="{top + height - 44 - h:.1f}" '
            f'text-anchor="middle" fill="{INK}" font-size="10">{count}</text>'
        )
    return _svg(width, height, "".join(parts), title)


def trend(*, points: list[tuple[str, float]], colour: str, title: str) -> str:
    if len(points) < 2:
        return ""
    width, height, left, bottom = 420, 180, 40, 30
    step = (width - left - 20) / (len(points) - 1)
    coords = [
        (left + i * step, 10 + (height - bottom - 10) * (1 - v / 100))
        for i, (_l, v) in enumerate(points)
    ]
    plot = height - bottom - 10

    def y_of(value):
        return 10 + plot * (1 - value / 100)

    parts = [
        f'<line x1="{left}" y1="{y_of(t):.1f}" x2="{width - 10}" y2="{y_of(t):.1f}" '
        f'stroke="{GRID}"/><text x="{left - 6}" y="{y_of(t) + 4:.1f}" text-anchor="end" '
        f'fill="{MUTED}" font-size="10">{t}</text>'
        for t in (0, 50, 100)
    ]
    coords = [(left + i * step, y_of(v)) for i, (_label, v) in enumerate(points)]
    parts.append(
        f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in coords)}" fill="none" '
        f'stroke="{colour}" stroke-width="3"/>'
    )
    for (x, y), (label, value) in zip(coords, points, strict=True):
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{colour}"><title>{escape(label)}: '
            f"{value:.0f}</title></circle>"
            f'<text x="{x:.1f}" y="{height - 8}" text-anchor="middle" fill="{MUTED}" '
            f'font-size="10">{escape(label)}</text>'
        )
    return _svg(width, height, "".join(parts), title)
