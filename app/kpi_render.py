"""The KPI report as a leader reads it: aligned Danish text, JSON and CSV (semicolons, as
Danish spreadsheets expect). One definition of a figure's fields (`figure_fields`) serves
JSON and CSV; the HTML page is app/kpi_html.py."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

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
from drejebog.engine.deadlines import COPENHAGEN

CSV_COLUMNS = (
    "drejebog",
    "måltal",
    "gruppe",
    "kohorte",
    "n",
    "nået",
    "endnu_ikke_afgjort",
    "værdi",
    "mål",
    "mål_nået",
    "slags",
    "rettidigt",
    "for_sent",
    "bortfaldet",
    "mangler",
    "eskaleret",
    "sager_to_i_træk",
    "trin_i_træk",
)
"""One row per figure: a måltal's rows fill the first ten columns (`slags` måltal); a
deadline's (`frist`) and a recurring duty's (`pligt`) rows put the rule in
`måltal`, the share in time in `værdi` and their counts in the columns after `slags`."""


def figure_fields(figure: Figure, is_time: bool) -> dict[str, Any]:
    """A figure's fields; `nået` is left out (None) for a group too small to show."""
    return {
        "n": figure.n,
        "nået": figure.reached if figure.value is not None else None,
        "endnu_ikke_afgjort": figure.pending,
        "værdi": figure.shown(is_time),
        "tal": None if figure.value is None else round(figure.value, 2),
        "mål_nået": figure.meets,
    }


def as_json(report: KpiReport) -> dict[str, Any]:
    return {
        "periode": {"fra": report.start.isoformat(), "til": report.end.isoformat()},
        "opgjort": report.now.isoformat(),
        "mindst_antal_sager": MIN_CASES,
        "gruppering": report.grouping or None,
        "drejebøger": [_drejebog_json(d) for d in report.drejeboeger],
    }


def _drejebog_json(figures: DrejebogFigures) -> dict[str, Any]:
    return {
        "drejebog": figures.drejebog_id,
        "titel": figures.title,
        "måltal": [_target_json(t) for t in figures.targets],
        "frister": [_deadline_json(d) for d in figures.deadlines],
        "pligter": [_duty_json(d) for d in figures.duties],
        "frister_pr_gruppe": [
            {"gruppe": d.group, **_deadline_json(d)} for d in figures.deadline_groups
        ],
        "pligter_pr_gruppe": [{"gruppe": d.group, **_duty_json(d)} for d in figures.duty_groups],
    }


def _target_json(figures: TargetFigures) -> dict[str, Any]:
    target, is_time = figures.target, figures.target.is_time
    return {
        "navn": target.name,
        "titel": target.title,
        "mål": str(target.goal),
        "enhed": "uger" if is_time else "%",
        "regnes_fra": str(target.anchor),
        "inden": str(target.within) if target.within else None,
        "samlet": figure_fields(figures.overall, is_time),
        "måneder": [
            {"kohorte": month, **figure_fields(f, is_time)} for month, f in figures.by_month
        ],
        "grupper": [
            {"gruppe": group, **figure_fields(f, is_time)} for group, f in figures.by_group
        ],
    }


def _deadline_json(deadline: DeadlineFigure) -> dict[str, Any]:
    shown = deadline.n >= MIN_CASES
    count = deadline.count
    return {
        "regel": deadline.rule,
        "titel": deadline.title,
        "n": deadline.n,
        "rettidigt": count.in_time if shown else None,
        "for_sent": count.late if shown else None,
        "bortfaldet": count.lapsed if shown else None,
        "eskaleret": count.escalated if count.escalated >= MIN_CASES else None,
        "andel_rettidigt": deadline.in_time_share,
    }


def duty_fields(duty: DutyFigure) -> dict[str, Any]:
    """A duty's counts; None where there are too few cases to show them (or, for a duty that
    restarts from its last report-back, what it does not record)."""
    count, shown = duty.count, duty.shown
    return {
        "rettidigt": count.in_time if shown and duty.fixed else None,
        "for_sent": count.late if shown and duty.fixed else None,
        "mangler": count.missed if shown else None,
        "sager_to_i_træk": count.in_a_row if count.in_a_row >= MIN_CASES else None,
        "trin_i_træk": count.rung if count.rung >= MIN_CASES else None,
    }


def _duty_json(duty: DutyFigure) -> dict[str, Any]:
    return {
        "regel": duty.rule,
        "titel": duty.title,
        "faste_fristdage": duty.fixed,
        "sager": duty.count.cases,
        "n": duty.n,
        **duty_fields(duty),
        "andel_rettidigt": duty.in_time_share,
    }


def as_csv(report: KpiReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for drejebog in report.drejeboeger:
        for figures in drejebog.targets:
            target, is_time = figures.target, figures.target.is_time
            rows = [("", "alle", figures.overall)]
            rows += [("", month, f) for month, f in figures.by_month]
            rows += [(group, "alle", f) for group, f in figures.by_group]
            for group, cohort, figure in rows:
                fields = figure_fields(figure, is_time)
                writer.writerow(
                    (
                        drejebog.drejebog_id,
                        target.name,
                        group,
                        cohort,
                        fields["n"],
                        "" if fields["nået"] is None else fields["nået"],
                        fields["endnu_ikke_afgjort"],
                        fields["værdi"],
                        str(target.goal),
                        {True: "ja", False: "nej", None: ""}[fields["mål_nået"]],
                        "måltal",
                        *([""] * 7),
                    )
                )
        writer.writerows(_adherence_rows(drejebog))
    return out.getvalue()


def in_a_row(fields: dict[str, Any]) -> tuple[object, object]:
    return fields["sager_to_i_træk"], fields["trin_i_træk"]


def _adherence_rows(drejebog: DrejebogFigures) -> list[tuple[object, ...]]:
    """The deadlines' and duties' CSV rows: the whole scope, then per group."""
    rows: list[tuple[object, ...]] = []
    for d in [*drejebog.deadlines, *drejebog.deadline_groups]:
        shown = d.n >= MIN_CASES
        counts = [d.count.in_time, d.count.late, d.count.lapsed] if shown else ["", "", ""]
        escalated = d.count.escalated if d.count.escalated >= MIN_CASES else ""
        first = (drejebog.drejebog_id, d.rule, d.group, "alle", d.n, "", "", d.in_time_share)
        rows.append((*first, "", "", "frist", *counts, "", escalated, "", ""))
    for u in [*drejebog.duties, *drejebog.duty_groups]:
        f = {k: "" if v is None else v for k, v in duty_fields(u).items()}
        first = (drejebog.drejebog_id, u.rule, u.group, "alle", u.n, "", "", u.in_time_share)
        counts = [f["rettidigt"], f["for_sent"], "", f["mangler"], ""]
        rows.append((*first, "", "", "pligt", *counts, *in_a_row(f)))
    return rows


def as_text(report: KpiReport) -> str:
    lines = [
        f"Nøgletal for sager med ankerdag {report.start.isoformat()} – {report.end.isoformat()}, "
        f"opgjort {report.now.astimezone(COPENHAGEN):%d-%m-%Y %H:%M}",
        f"Tal om færre end {MIN_CASES} sager vises ikke (»{TOO_FEW}«). n er antallet af sager, "
        "tallet bygger på.",
    ]
    if not report.drejeboeger:
        lines.append("\nIngen drejebøger i databasen (kør 'drejebog load').")
    for drejebog in report.drejeboeger:
        lines += ["", f"{drejebog.title} ({drejebog.drejebog_id})", ""]
        if not drejebog.targets:
            lines.append("  Drejebogen har ingen måltal.")
        for figures in drejebog.targets:
            lines += _target_text(figures)
        lines += _deadlines_text(drejebog.deadlines)
        if drejebog.deadline_groups:
            lines += _deadlines_text(drejebog.deadline_groups, grouped=True)
        lines += _duties_text(drejebog.duties)
        if drejebog.duty_groups:
            lines += _duties_text(drejebog.duty_groups, grouped=True)
    return "\n".join(lines) + "\n"


def _target_text(figures: TargetFigures) -> list[str]:
    target, is_time, overall = figures.target, figures.target.is_time, figures.overall
    verdict = {True: " (målet er nået)", False: " (målet er ikke nået)", None: ""}[overall.meets]
    lines = [
        f"  {target.title}",
        f"    mål {target.goal} · resultat {overall.shown(is_time)}{verdict} · n={overall.n}, "
        f"{pending_words(is_time)}: {overall.pending}",
    ]
    rows = [("måned", figures.by_month), ("gruppe", figures.by_group)]
    for heading, entries in rows:
        if entries:
            lines += _table(
                (heading, "resultat", "n", "nået", "ikke afgjort"),
                [
                    (name, f.shown(is_time), str(f.n), _reached(f), str(f.pending))
                    for name, f in entries
                ],
            )
    lines.append("")
    return lines


def pending_words(is_time: bool) -> str:
    """What the cases without a settled figure are: for a time, the cases still without the
    milestone (censored); for a share, those whose period has not yet passed."""
    return "endnu uden milepælen" if is_time else "endnu ikke afgjort"


def _deadlines_text(deadlines: list[DeadlineFigure], grouped: bool = False) -> list[str]:
    if not deadlines:
        return ["  Frister: ingen frister opfyldt, bortfaldet eller eskaleret i perioden.", ""]
    rows = []
    for d in deadlines:
        shown = d.n >= MIN_CASES
        count = d.count
        rows.append(
            (
                *((d.group or "(ingen)",) if grouped else ()),
                d.title,
                str(count.in_time) if shown else "–",
                str(count.late) if shown else "–",
                str(count.lapsed) if shown else "–",
                str(count.escalated) if count.escalated >= MIN_CASES else "–",
                d.in_time_share,
            )
        )
    heading = ("frist", "rettidigt", "for sent", "bortfaldet", "eskaleret", "andel rettidigt")
    title = "  Frister i perioden" + (" pr. gruppe" if grouped else "")
    return [title, *_table((("gruppe",) if grouped else ()) + heading, rows, grouped), ""]


DUTY_HEADING = (
    "pligt",
    "til tiden",
    "for sent",
    "mangler",
    "andel til tiden",
    "sager",
    "2+ i træk",
    "trin i træk",
)


def duty_cells(duty: DutyFigure) -> tuple[str, ...]:
    """A duty's row after its title, as text: "–" where a count is not shown."""
    fields = duty_fields(duty)
    keys = ("rettidigt", "for_sent", "mangler")
    counts = tuple("–" if fields[k] is None else str(fields[k]) for k in keys)
    return (
        *counts,
        duty.in_time_share,
        str(duty.count.cases) if duty.shown else "–",
        *("–" if fields[k] is None else str(fields[k]) for k in ("sager_to_i_træk", "trin_i_træk")),
    )


def _duties_text(duties: list[DutyFigure], grouped: bool = False) -> list[str]:
    """Report-backs due in the period: each occurrence once, by its best outcome."""
    if not duties:
        return []
    rows = [
        (*((d.group or "(ingen)",) if grouped else ()), d.title, *duty_cells(d)) for d in duties
    ]
    title = "  Tilbagevendende pligter med fristdag i perioden" + (" pr. gruppe" if grouped else "")
    return [title, *_table((("gruppe",) if grouped else ()) + DUTY_HEADING, rows, grouped), ""]


def _reached(figure: Figure) -> str:
    return str(figure.reached) if figure.value is not None else "–"


def _table(
    heading: tuple[str, ...], rows: Sequence[tuple[str, ...]], two_names: bool = False
) -> list[str]:
    """Columns aligned: the first (with `two_names`, the first two) to the left, the figures
    to the right."""
    widths = [max(len(r[i]) for r in (heading, *rows)) for i in range(len(heading))]
    names = 2 if two_names else 1

    def line(row: tuple[str, ...]) -> str:
        first = "  ".join(row[i].ljust(widths[i]) for i in range(names))
        rest = "  ".join(cell.rjust(widths[i + names]) for i, cell in enumerate(row[names:]))
        return f"    {first}  {rest}".rstrip()

    return [line(heading), *(line(r) for r in rows)]
