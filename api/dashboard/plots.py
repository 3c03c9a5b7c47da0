"""Small server-side SVG charts (no JavaScript, no CDN): bars, a histogram and line curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from markupsafe import Markup

PALETTE = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2")


def bars(labels: Sequence[str], values: Sequence[float], *, title: str, width: int = 560, height: int = 220,
         ymax: float | None = None, fmt: str = "{:g}", color: str = PALETTE[0]) -> Markup:
    """Vertical bars with a label under each (a histogram, submissions per day)."""
    n, top = max(len(values), 1), ymax or max([*values, 1])
    left, bottom, plot_h = 36, 38, height - 66
    step = (width - left - 10) / n
    out = [_head(width, height, title), _axis(left, 28, plot_h, width - 10, top, fmt)]
    for i, (lab, v) in enumerate(zip(labels, values, strict=True)):
        h = plot_h * (v / top if top else 0)
        x = left + i * step + step * 0.1
        out.append(f'<rect x="{x:.1f}" y="{28 + plot_h - h:.1f}" width="{step * 0.8:.1f}" height="{h:.1f}" '
                   f'fill="{color}"><title>{escape(lab)}: {fmt.format(v)}</title></rect>')
        if n <= 16 or i % (n // 8 + 1) == 0:
            out.append(f'<text x="{x + step * 0.4:.1f}" y="{height - bottom + 24}" font-size="10" '
                       f'text-anchor="middle">{escape(lab)}</text>')
    return Markup("".join(out) + "</svg>")


def hbars(labels: Sequence[str], values: Sequence[float], *, title: str, width: int = 560) -> Markup:
    """Horizontal bars of fractions 0..1 (pass rate per test), the label left of each."""
    row, label_w = 20, 250
    height = 30 + row * max(len(values), 1)
    out = [_head(width, height, title)]
    for i, (lab, v) in enumerate(zip(labels, values, strict=True)):
        y = 26 + i * row
        w = (width - label_w - 50) * v
        color = PALETTE[2] if v >= 0.8 else PALETTE[4] if v >= 0.5 else PALETTE[1]
        out.append(f'<text x="{label_w - 6}" y="{y + 13}" font-size="11" text-anchor="end">'
                   f'{escape(lab[:40])}</text><rect x="{label_w}" y="{y + 2}" width="{w:.1f}" height="{row - 6}" '
                   f'fill="{color}"><title>{escape(lab)}: {v:.0%}</title></rect>'
                   f'<text x="{label_w + w + 4:.1f}" y="{y + 13}" font-size="11">{v:.0%}</text>')
    return Markup("".join(out) + "</svg>")


def lines(series: Mapping[str, Sequence[float]], *, title: str, width: int = 420, height: int = 240,
          xlabel: str = "epoch") -> Markup:
    """One polyline per named series over a shared x (epochs 1..n), with a legend.

    A series that would hide one drawn before it (a correct student's curve on the
    reference's) is dashed, so that both stay visible.
    """
    values = [v for s in series.values() for v in s if v is not None]
    if not values:
        return Markup("")
    lo, hi = min(values), max(values)
    hi = hi if hi > lo else lo + 1
    n = max(len(s) for s in series.values())
    left, top, plot_w, plot_h = 44, 28, width - 60, height - 86

    def xy(i: int, v: float) -> tuple[float, float]:
        x = left + (plot_w * i / (n - 1) if n > 1 else plot_w / 2)
        return x, top + plot_h * (1 - (v - lo) / (hi - lo))

    out = [_head(width, height, title), _axis(left, top, plot_h, left + plot_w, hi, "{:.3g}", lo)]
    if n <= 20:
        out += [f'<text x="{xy(i, lo)[0]:.1f}" y="{top + plot_h + 13}" font-size="10" text-anchor="middle">'
                f"{i + 1}</text>" for i in range(n)]
    out.append(f'<text x="{left + plot_w / 2}" y="{top + plot_h + 26}" font-size="10" text-anchor="middle">'
               f"{escape(xlabel)}</text>")
    drawn: list[list[tuple[float, float]]] = []
    legend_x = float(left)
    for k, (name, s) in enumerate(series.items()):
        color, pattern = PALETTE[k % len(PALETTE)], DASHES[k % len(DASHES)]
        pts = [xy(i, v) for i, v in enumerate(s) if v is not None]
        if not pattern and any(_covers(pts, d) for d in drawn):
            pattern = DASHES[1]
        dash = f' stroke-dasharray="{pattern}"' if pattern else ""
        drawn.append(pts)
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        out.append(f'<polyline class="curve" points="{points}" fill="none" stroke="{color}" stroke-width="2.5"'
                   f"{dash}><title>{escape(name)}</title></polyline>")
        if pts:  # the series' shape at its last point, as in the legend: told apart without colour
            out.append(_marker(k, *pts[-1], color))
        out.append(f'<line x1="{legend_x:.0f}" y1="{height - 16}" x2="{legend_x + 22:.0f}" y2="{height - 16}" '
                   f'stroke="{color}" stroke-width="2.5"{dash}/>{_marker(k, legend_x + 11, height - 16, color)}'
                   f'<text x="{legend_x + 27:.0f}" y="{height - 12}" font-size="11">{escape(name)}</text>')
        legend_x += 40 + 6.5 * len(name)  # 11px text: ~6.5px per character
    return Markup("".join(out) + "</svg>")


DASHES = ("", "7 5", "12 4 3 4", "3 3")
"""Each series' line pattern (solid, dashed, dash-dot, dotted): the legend does not rest on colour alone."""


def _marker(k: int, x: float, y: float, color: str) -> str:
    """The k-th series' shape (circle, square, triangle, diamond) centred on x, y."""
    shape = k % 4
    if shape == 0:
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"/>'
    if shape == 1:
        return f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{color}"/>'
    corners = ([(x, y - 5), (x + 5, y + 4), (x - 5, y + 4)] if shape == 2
               else [(x, y - 5), (x + 5, y), (x, y + 5), (x - 5, y)])
    points = " ".join(f"{a:.1f},{b:.1f}" for a, b in corners)
    return f'<polygon points="{points}" fill="{color}"/>'


def _covers(a: Sequence[tuple[float, float]], b: Sequence[tuple[float, float]]) -> bool:
    """Whether polyline ``a`` lies on ``b`` to within a stroke's width everywhere."""
    return len(a) == len(b) and all(abs(p[0] - q[0]) < 2.5 and abs(p[1] - q[1]) < 2.5
                                    for p, q in zip(a, b, strict=True))


def _head(width: int, height: int, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}"><title>{escape(title)}</title>'
            f'<text x="8" y="16" font-size="13" font-weight="600">{escape(title)}</text>')


def _axis(x: float, top: float, h: float, right: float, hi: float, fmt: str, lo: float = 0) -> str:
    out = [f'<line x1="{x}" y1="{top}" x2="{x}" y2="{top + h}" stroke="#999"/>',
           f'<line x1="{x}" y1="{top + h}" x2="{right}" y2="{top + h}" stroke="#999"/>']
    for frac in (0, 0.5, 1):
        y = top + h * (1 - frac)
        out.append(f'<text x="{x - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">'
                   f'{fmt.format(lo + (hi - lo) * frac)}</text>')
    return "".join(out)
