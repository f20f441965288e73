"""An SVG bar chart of visits, ready for a slide; no plotting library needed."""

from __future__ import annotations

from xml.sax.saxutils import escape

from reports.visits import VisitsReport

W, H = 960, 420
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 48, 64


def _nice_max(v: int) -> int:
    """Round an axis maximum up to 1, 2 or 5 times a power of ten."""
    if v <= 0:
        return 1
    mag = 1
    while mag * 10 <= v:
        mag *= 10
    return next(m * mag for m in (1, 2, 5, 10) if m * mag >= v)


def visits_svg(r: VisitsReport, title: str | None = None) -> str:
    """Bars per day/week/month, a y axis with ticks, labels thinned to fit."""
    title = title or f"Visits per {r.by}, {r.period.first} to {r.period.last} (total {r.total})"
    n = max(len(r.rows), 1)
    top = _nice_max(max((v for _d, v in r.rows), default=0))
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    step = pw / n
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
           f'viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="#ffffff"/>',
           f'<text x="{LEFT}" y="28" font-size="16" font-weight="bold">{escape(title)}</text>']
    for i in range(5):
        v = top * i / 4
        y = TOP + ph - ph * i / 4
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" '
                   'stroke="#dddddd"/>')
        out.append(f'<text x="{LEFT - 8}" y="{y + 4:.1f}" text-anchor="end">{v:g}</text>')
    every = max(1, round(n / 16))
    for i, (d, v) in enumerate(r.rows):
        h = ph * v / top
        x = LEFT + i * step
        out.append(f'<rect class="bar" x="{x + step * 0.1:.1f}" y="{TOP + ph - h:.1f}" '
                   f'width="{step * 0.8:.1f}" height="{h:.1f}" fill="#2f6f8f">'
                   f'<title>{d.isoformat()}: {v}</title></rect>')
        if i % every == 0:
            label = d.strftime("%Y-%m") if r.by == "month" else d.strftime("%m-%d")
            out.append(f'<text x="{x + step / 2:.1f}" y="{TOP + ph + 18}" '
                       f'text-anchor="middle">{label}</text>')
    out.append(f'<line x1="{LEFT}" y1="{TOP + ph}" x2="{W - RIGHT}" y2="{TOP + ph}" '
               'stroke="#333333"/>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
