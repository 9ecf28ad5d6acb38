"""Server-rendered SVG charts for the console (no scripts, no CDN): bars, stacked hours, histograms.

Labels are escaped here; the templates insert the returned SVG as markup.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

from markupsafe import Markup

PALETTE = ("#2b6cb0", "#c05621", "#2f855a", "#6b46c1", "#b7791f", "#c53030", "#4a5568")
W, H, PAD = 460, 200, 34


def _frame(body: str, title: str) -> Markup:
    return Markup(  # noqa: S704 (every label is escaped above)
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" role="img" class="plot">'
        f"<title>{escape(title)}</title>{body}</svg>"
    )


def _axis(top: float) -> str:
    y0 = H - PAD
    return (
        f'<line x1="{PAD}" y1="{y0}" x2="{W - 8}" y2="{y0}" stroke="#999"/>'
        f'<line x1="{PAD}" y1="12" x2="{PAD}" y2="{y0}" stroke="#999"/>'
        f'<text x="{PAD - 4}" y="16" text-anchor="end" font-size="10">{top:g}</text>'
        f'<text x="{PAD - 4}" y="{y0}" text-anchor="end" font-size="10">0</text>'
    )


def bars(
    items: Sequence[tuple[str, float]], title: str, empty: str = "—", colour: str | None = None
) -> Markup:
    """One bar per (label, value)."""
    if not items:
        return _frame(f'<text x="{W / 2}" y="{H / 2}" text-anchor="middle">{escape(empty)}</text>', title)
    top = max(v for _, v in items) or 1.0
    slot = (W - PAD - 12) / len(items)
    out = [_axis(top)]
    for i, (label, value) in enumerate(items):
        h = (H - PAD - 14) * value / top
        x = PAD + 4 + i * slot
        out.append(
            f'<rect x="{x:.1f}" y="{H - PAD - h:.1f}" width="{slot * 0.7:.1f}" height="{h:.1f}" '
            f'fill="{colour or PALETTE[i % len(PALETTE)]}"><title>{escape(label)}: {value:g}</title></rect>'
            f'<text x="{x + slot * 0.35:.1f}" y="{H - PAD + 12}" text-anchor="middle" font-size="10">'
            f"{escape(label[:14])}</text>"
            f'<text x="{x + slot * 0.35:.1f}" y="{H - PAD - h - 3:.1f}" text-anchor="middle" font-size="10">'
            f"{value:g}</text>"
        )
    return _frame("".join(out), title)


def stacked_hours(hours: Sequence[str], series: Mapping[str, Sequence[int]], title: str) -> Markup:
    """Counts per hour (x) stacked by series (e.g. site), with a legend."""
    totals = [sum(s[i] for s in series.values()) for i in range(len(hours))]
    top = max(totals, default=0) or 1
    slot = (W - PAD - 12) / max(1, len(hours))
    out = [_axis(top)]
    for i, hour in enumerate(hours):
        y = float(H - PAD)
        for j, values in enumerate(series.values()):
            h = (H - PAD - 14) * values[i] / top
            if h > 0:
                y -= h
                out.append(
                    f'<rect x="{PAD + 2 + i * slot:.1f}" y="{y:.1f}" '
                    f'width="{slot * 0.8:.1f}" height="{h:.1f}" '
                    f'fill="{PALETTE[j % len(PALETTE)]}"/>'
                )
        if i % 4 == 0:
            out.append(
                f'<text x="{PAD + 2 + i * slot:.1f}" y="{H - PAD + 12}" font-size="9">{escape(hour)}</text>'
            )
    for j, name in enumerate(series):
        out.append(
            f'<rect x="{PAD + 8 + j * 110}" y="{H - 12}" width="9" height="9" '
            f'fill="{PALETTE[j % len(PALETTE)]}"/>'
            f'<text x="{PAD + 20 + j * 110}" y="{H - 4}" font-size="10">{escape(name[:16])}</text>'
        )
    return _frame("".join(out), title)


def histogram(
    values: Sequence[float], title: str, lo: float = 0.0, hi: float = 1.0, bins: int = 10
) -> Markup:
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, max(0, int((v - lo) / (hi - lo) * bins)))] += 1
    labels = [f"{lo + (hi - lo) * i / bins:.1f}" for i in range(bins)]
    return bars(list(zip(labels, [float(c) for c in counts], strict=True)), title, colour=PALETTE[0])
