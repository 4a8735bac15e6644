"""Charts for the postmortem and the org report, with no CDN and no script.

:func:`burn_down_png` draws each linked SLO's budget consumed over an incident with
matplotlib (the Agg backend: no display needed), imported only when a chart is drawn so
no other command pays for it. :func:`bar_svg` draws a small horizontal bar chart as
inline SVG, every text escaped, for the HTML and Markdown org report.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from html import escape

from sloscope.errors import ConfigError
from sloscope.timeparse import format_time


def burn_down_png(
    series: Mapping[str, Sequence[tuple[int, float | None]]],
    marks: Sequence[tuple[int, str]],
    title: str,
) -> bytes:
    """A PNG of each SLO's budget consumed (percent) over time, with vertical lines at
    ``marks`` (time, label: the incident's state changes)."""
    try:
        import matplotlib
    except ImportError:
        raise ConfigError(
            "the postmortem chart needs matplotlib: pip install 'sloscope[charts]'"
        ) from None
    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 3.6), dpi=100)
    axes = figure.add_subplot()
    origin = min((t for points in series.values() for t, _ in points), default=0)
    for name, points in series.items():
        hours = [(t - origin) / 3600 for t, v in points if v is not None]
        values = [v * 100 for _, v in points if v is not None]
        axes.plot(hours, values, label=name)
    for at, label in marks:
        axes.axvline((at - origin) / 3600, color="grey", linestyle="--", linewidth=0.8)
        axes.annotate(label, ((at - origin) / 3600, 0), rotation=90, fontsize=7, color="grey")
    axes.set_xlabel(f"hours after {format_time(origin)}")
    axes.set_ylabel("error budget consumed (%)")
    axes.set_title(title, fontsize=10)
    if series:
        axes.legend(fontsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return buffer.getvalue()


def bar_svg(
    title: str, bars: Sequence[tuple[str, float | None]], unit: str = "", width: int = 480
) -> str:
    """A horizontal bar chart as an inline ``<svg>``; a bar without a value shows n/a."""
    row, label_width = 22, 150
    height = row * len(bars) + 30
    top = max((v for _, v in bars if v is not None), default=0.0) or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="14" font-size="13" font-weight="bold">{escape(title)}</text>',
    ]
    span = width - label_width - 70
    for index, (label, value) in enumerate(bars):
        y = 24 + index * row
        parts.append(f'<text x="0" y="{y + 14}" font-size="12">{escape(label)}</text>')
        if value is None:
            parts.append(f'<text x="{label_width}" y="{y + 14}" font-size="12">n/a</text>')
            continue
        length = max(1, round(span * value / top))
        parts.append(
            f'<rect x="{label_width}" y="{y + 3}" width="{length}" height="14" fill="#4c78a8"/>'
        )
        parts.append(
            f'<text x="{label_width + length + 4}" y="{y + 14}" font-size="12">'
            f"{escape(_number(value))}{escape(unit)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:.0f}"
