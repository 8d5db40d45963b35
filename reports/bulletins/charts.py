"""The bulletin's charts drawn on the server as SVG (the PDF runs no JavaScript), in the
look of the product's ECharts ones: its palette, light split lines, grey axis labels.

`grouped_bars(categories, series, ...)` draws vertical bars, one group per category and
one bar per series; values are numbers, labels escaped text.
"""

from decimal import Decimal
from xml.sax.saxutils import escape

PALETTE = ("#5470c6", "#91cc75", "#fac858", "#ee6666", "#73c0de", "#3ba272", "#fc8452")
AXIS = "#6E7079"
SPLIT = "#E0E6F1"
FONT = "Noto Sans CJK SC, sans-serif"


def _nice_max(value):
    """A round top for the value axis: 1, 2, 5 × 10^k above the largest value."""
    value = float(value)
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1)
    for factor in (1, 2, 5, 10):
        if value <= factor * step:
            return float(factor * step)
    return float(10 * step)


def grouped_bars(categories, series, *, title, unit="", width=640, height=300, maximum=None):
    """`series`: [(name, [value per category])]. Returns the SVG text."""
    left, right, top, bottom = 48, 16, 44, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [float(v) for _name, vs in series for v in vs] or [0]
    top_value = float(maximum) if maximum is not None else _nice_max(max(values))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'font-family="{FONT}" font-size="12">',
        f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="14" '
        f'font-weight="bold" fill="#464646">{escape(title)}</text>',
    ]
    for i in range(6):
        y = top + plot_h - plot_h * i / 5
        label = top_value * i / 5
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}" '
            f'stroke="{SPLIT}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{AXIS}">'
            f"{label:g}{escape(unit)}</text>"
        )
    groups = max(len(categories), 1)
    group_w = plot_w / groups
    bar_w = min(28.0, group_w * 0.7 / max(len(series), 1))
    for c, category in enumerate(categories):
        x0 = left + group_w * c + (group_w - bar_w * len(series)) / 2
        for s, (_name, vs) in enumerate(series):
            value = float(vs[c]) if c < len(vs) else 0.0
            h = plot_h * min(value, top_value) / top_value if top_value else 0
            x = x0 + bar_w * s
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w:.1f}" '
                f'height="{h:.1f}" fill="{PALETTE[s % len(PALETTE)]}"/>'
            )
        parts.append(
            f'<text x="{left + group_w * (c + 0.5):.1f}" y="{top + plot_h + 18}" '
            f'text-anchor="middle" fill="{AXIS}">{escape(str(category))}</text>'
        )
    legend_x = left
    for s, (name, _vs) in enumerate(series):
        y = height - 14
        parts.append(
            f'<rect x="{legend_x}" y="{y - 9}" width="14" height="10" rx="2" '
            f'fill="{PALETTE[s % len(PALETTE)]}"/>'
        )
        parts.append(f'<text x="{legend_x + 18}" y="{y}" fill="{AXIS}">{escape(name)}</text>')
        legend_x += 28 + 13 * len(str(name))
    parts.append("</svg>")
    return "".join(parts)


def _share(count, total):
    return Decimal(count) * 100 / total if total else Decimal(0)


def distribution_chart(towns):
    """Each town's share of graded participants per final-score band, beside the
    county's."""
    items = [*towns["rows"], towns["county"]]
    series = [(item["town"], [_share(n, item["graded"]) for n in item["bands"]]) for item in items]
    return grouped_bars(
        towns["bands"],
        series,
        title="最终得分分布（占本镇街参加评定人数%）",
        unit="%",
        maximum=100,
    )


def lean_chart(towns):
    """目标量评 and 组织考评 averages per town: a lenient town's first bar runs ahead."""
    rows = towns["rows"]
    series = [
        ("目标量评", [Decimal(item["target"]) for item in rows]),
        ("组织考评", [Decimal(item["org"]) for item in rows]),
    ]
    return grouped_bars(
        [item["town"] for item in rows], series, title="各镇街目标量评与组织考评平均分"
    )
