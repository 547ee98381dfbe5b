"""The KPI report as one self-contained HTML file: inline CSS and inline SVG charts drawn
here (the target as a line or band against the actual figure per cohort month). No script,
no external style sheet or font, no link out: it opens without internet."""

from __future__ import annotations

from collections.abc import Callable
from html import escape

from drejebog.app.kpi import (
    MIN_CASES,
    TOO_FEW,
    DeadlineFigure,
    DrejebogFigures,
    DutyFigure,
    Figure,
    KpiReport,
    TargetFigures,
)
from drejebog.app.kpi_render import DUTY_HEADING, duty_cells, pending_words
from drejebog.engine.deadlines import COPENHAGEN
from drejebog.engine.targets import approx_days

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 72, 16, 20, 36
STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #1b1b1b; }
h1 { font-size: 1.5rem; } h2 { margin-top: 2.5rem; border-bottom: 1px solid #ccc; }
h3 { margin-bottom: .25rem; } p.summary { margin-top: 0; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
th, td { padding: .2rem .6rem; border-bottom: 1px solid #e4e4e4; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.met { color: #1a7f37; } .missed { color: #b3261e; } .muted { color: #6b6b6b; }
svg text { font-size: 11px; fill: #333; }
"""


def as_html(report: KpiReport) -> str:
    opgjort = f"{report.now.astimezone(COPENHAGEN):%d-%m-%Y %H:%M}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="da"><head><meta charset="utf-8">',
        "<title>Nøgletal</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>Nøgletal</h1>",
        f"<p>Sager med ankerdag {report.start.isoformat()} – {report.end.isoformat()}, "
        f"opgjort {opgjort}. Tal om færre end {MIN_CASES} sager vises ikke "
        f"(»{TOO_FEW}«); n er antallet af sager, tallet bygger på.</p>",
    ]
    for drejebog in report.drejeboeger:
        parts.append(_drejebog(drejebog))
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _drejebog(figures: DrejebogFigures) -> str:
    parts = [f"<h2>{escape(figures.title)}</h2>"]
    if not figures.targets:
        parts.append("<p>Drejebogen har ingen måltal.</p>")
    parts += [_target(t) for t in figures.targets]
    parts.append(_deadlines(figures.deadlines))
    if figures.deadline_groups:
        parts.append(_deadlines(figures.deadline_groups, grouped=True))
    parts.append(_duties(figures.duties))
    if figures.duty_groups:
        parts.append(_duties(figures.duty_groups, grouped=True))
    return "\n".join(parts)


def _target(figures: TargetFigures) -> str:
    target, is_time, overall = figures.target, figures.target.is_time, figures.overall
    css, words = {
        True: ("met", "målet er nået"),
        False: ("missed", "målet er ikke nået"),
        None: ("muted", ""),
    }[overall.meets]
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td class=num>{escape(f.shown(is_time))}</td>"
        f"<td class=num>{f.n}</td><td class=num>{f.pending}</td></tr>"
        for name, f in [*figures.by_month, *figures.by_group]
    )
    return (
        f"<h3>{escape(target.title)}</h3>"
        f'<p class="summary">Mål {escape(str(target.goal))} · resultat '
        f'<strong class="{css}">{escape(overall.shown(is_time))}</strong>'
        f"{' (' + words + ')' if words else ''} · n={overall.n}, {pending_words(is_time)}: "
        f"{overall.pending}</p>"
        f"{chart(figures)}"
        "<table><tr><th>kohorte / gruppe</th><th class=num>resultat</th><th class=num>n</th>"
        f"<th class=num>ikke afgjort</th></tr>{rows}</table>"
    )


def chart(figures: TargetFigures) -> str:
    """An SVG bar per cohort month (grey text where there is no figure) under the target:
    a dashed line, or a band for a range like 35-40 %."""
    months = figures.by_month
    target, is_time = figures.target, figures.target.is_time
    top = _scale_top(figures)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y(value: float) -> float:
        return TOP + plot_h * (1 - min(value, top) / top)

    unit = "uger" if is_time else "%"
    parts = [
        f'<svg width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(target.title)}: mål mod resultat pr. måned">',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        'stroke="#999"/>',
    ]
    for tick in (0, top / 2, top):
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">'
            f"{_number(tick)} {unit}</text>"
        )
    slot = plot_w / max(len(months), 1)
    for index, (month, figure) in enumerate(months):
        parts.append(_bar(index, month, figure, slot, y, is_time, plot_h))
    parts.append(_goal_mark(figures, y))
    if not months:
        parts.append(
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">ingen sager</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _bar(
    index: int,
    month: str,
    figure: Figure,
    slot: float,
    y: Callable[[float], float],
    is_time: bool,
    plot_h: float,
) -> str:
    x = LEFT + index * slot
    width = slot * 0.6
    base = TOP + plot_h
    label = f'<text x="{x + slot / 2:.1f}" y="{base + 14}" text-anchor="middle">{month}</text>'
    if figure.value is None:
        note = "for få" if figure.note == TOO_FEW else "–"
        return label + (
            f'<text x="{x + slot / 2:.1f}" y="{base - 4}" text-anchor="middle" '
            f'class="muted">{note}</text>'
        )
    top_y = y(figure.value)
    colour = {True: "#4c9a6a", False: "#c8625a", None: "#7a8ca3"}[figure.meets]
    return label + (
        f'<rect x="{x + (slot - width) / 2:.1f}" y="{top_y:.1f}" width="{width:.1f}" '
        f'height="{base - top_y:.1f}" fill="{colour}"><title>{month}: '
        f"{escape(figure.shown(is_time))} (n={figure.n})</title></rect>"
        f'<text x="{x + slot / 2:.1f}" y="{top_y - 4:.1f}" text-anchor="middle">'
        f"{escape(figure.shown(is_time))}</text>"
    )


def _goal_mark(figures: TargetFigures, y: Callable[[float], float]) -> str:
    goal = figures.target.goal
    if goal.time is not None:
        low = high = approx_days(goal.time) / 7
    else:
        low, high = goal.low, goal.high
    label = f'<text x="{WIDTH - RIGHT}" y="{y(high) - 4:.1f}" text-anchor="end">mål {goal}</text>'
    if high > low:
        return label + (
            f'<rect x="{LEFT}" y="{y(high):.1f}" width="{WIDTH - LEFT - RIGHT}" '
            f'height="{y(low) - y(high):.1f}" fill="#2b6cb0" fill-opacity="0.15"/>'
        )
    return label + (
        f'<line x1="{LEFT}" y1="{y(low):.1f}" x2="{WIDTH - RIGHT}" y2="{y(low):.1f}" '
        'stroke="#2b6cb0" stroke-width="2" stroke-dasharray="6 4"/>'
    )


def _scale_top(figures: TargetFigures) -> float:
    if not figures.target.is_time:
        return 100.0
    goal = figures.target.goal
    weeks = [f.value for _, f in figures.by_month if f.value is not None]
    goal_weeks = approx_days(goal.time) / 7 if goal.time is not None else 1.0
    return max([goal_weeks * 1.5, *(w * 1.1 for w in weeks)])


def _deadlines(deadlines: list[DeadlineFigure], grouped: bool = False) -> str:
    if not deadlines:
        return "<p>Ingen frister opfyldt, bortfaldet eller eskaleret i perioden.</p>"
    rows = []
    for d in deadlines:
        shown = d.n >= MIN_CASES
        cells = [
            str(d.count.in_time) if shown else "–",
            str(d.count.late) if shown else "–",
            str(d.count.lapsed) if shown else "–",
            str(d.count.escalated) if d.count.escalated >= MIN_CASES else "–",
            d.in_time_share,
        ]
        rows.append(
            "<tr>"
            + (f"<td>{escape(d.group or '(ingen)')}</td>" if grouped else "")
            + f"<td>{escape(d.title)}</td>"
            + "".join(f"<td class=num>{escape(c)}</td>" for c in cells)
            + "</tr>"
        )
    heading = "Frister i perioden" + (" pr. gruppe" if grouped else "")
    return (
        f"<h3>{heading}</h3><table><tr>{'<th>gruppe</th>' if grouped else ''}<th>frist</th>"
        "<th class=num>rettidigt</th><th class=num>for sent</th><th class=num>bortfaldet</th>"
        f"<th class=num>eskaleret</th><th class=num>andel rettidigt</th></tr>{''.join(rows)}"
        "</table>"
    )


def _duties(duties: list[DutyFigure], grouped: bool = False) -> str:
    """Report-backs due in the period, as the text report's table."""
    if not duties:
        return ""
    rows = "".join(
        "<tr>"
        + (f"<td>{escape(d.group or '(ingen)')}</td>" if grouped else "")
        + f"<td>{escape(d.title)}</td>"
        + "".join(f"<td class=num>{escape(c)}</td>" for c in duty_cells(d))
        + "</tr>"
        for d in duties
    )
    head = "".join(f"<th class=num>{escape(h)}</th>" for h in DUTY_HEADING[1:])
    heading = "Tilbagevendende pligter med fristdag i perioden" + (" pr. gruppe" if grouped else "")
    return (
        f"<h3>{heading}</h3><table><tr>{'<th>gruppe</th>' if grouped else ''}<th>pligt</th>"
        f"{head}</tr>{rows}</table>"
    )


def _number(value: float) -> str:
    return f"{value:.0f}" if value >= 10 else f"{value:.1f}".replace(".", ",")
