"""The story `drejebog demo` tells a leader, on at most two screens of at most 100 characters:
the jobcenter, each drejebog's måltal month by month against the seed's targets, the deadlines
by title (met in time, late, escalated), the report-backs (in time, late, missing, missed
in a row), and where the HTML report, the diagrams, the
simulation log and the web app are. Only titles are shown, never a rule id or a CPR number.

The figures are the KPI report's own (app/kpi.py): a figure about fewer than MIN_CASES cases
is "for få sager", a share whose period has not passed is "endnu ikke afgjort".
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from drejebog.app.kpi import (
    MIN_CASES,
    NO_MEDIAN,
    TOO_FEW,
    DeadlineFigure,
    DrejebogFigures,
    Figure,
    TargetFigures,
)
from drejebog.app.kpi_render import pending_words
from drejebog.cli.jobcenter_demo import DEMO_ACCOUNT, DEMO_PASSWORD, DREJEBOG_ID, DemoOutcome

JOBCENTER = "Jobcenter Hedensted"  # the seeds are Hedensted Kommune's two applications
WIDTH = 100
MONTHS = ("jan.", "feb.", "mar.", "apr.", "maj", "jun.", "jul.", "aug.", "sep.", "okt.",
          "nov.", "dec.")  # fmt: skip
MONTH_NAMES = ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august",
               "september", "oktober", "november", "december")  # fmt: skip
WAITING = "venter"  # a month whose cases are not yet settled (cell of the month table)
FEW = "få"  # a month with too few settled cases to show
NOT_YET = "ikke nået"  # a time whose median is not reached yet
MARK = {True: " ✓", False: " ✗", None: ""}


@dataclass(frozen=True)
class DemoFiles:
    """The demo's files, all beside its database."""

    database: Path
    report: Path
    diagrams: Path
    simulation: Path

    @classmethod
    def beside(cls, database: Path) -> DemoFiles:
        stem = database.with_suffix("")  # drejebog-demo.db -> drejebog-demo
        return cls(
            database,
            Path(f"{stem}-rapport.html"),
            Path(f"{stem}-diagrammer.md"),
            Path(f"{stem}-simulering.txt"),
        )


def write_whole(path: Path, text: str) -> None:
    """Write the file in one piece (a temporary file beside it, renamed over it)."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temporary, path)


def danish_date(day: date) -> str:
    return f"{day.day}. {MONTH_NAMES[day.month - 1]} {day.year}"


def story(outcome: DemoOutcome, files: DemoFiles) -> list[str]:
    """The whole story, line by line."""
    # the drejebog the citizens follow first
    drejeboeger = sorted(outcome.report.drejeboeger, key=lambda d: d.drejebog_id != DREJEBOG_ID)
    lines = _jobcenter(outcome, drejeboeger)
    for drejebog in drejeboeger:
        lines += ["", *_targets(drejebog)]
    for drejebog in drejeboeger:
        if drejebog.deadlines:
            lines += ["", *_deadlines(drejebog)]
        if drejebog.duties:
            lines += ["", *_duties(drejebog)]
    return [*lines, "", *_where(outcome, files)]


def _jobcenter(outcome: DemoOutcome, drejeboeger: list[DrejebogFigures]) -> list[str]:
    summary = outcome.summary
    messages = sum(count for _kind, _role, count in summary["fired"])
    heading = (
        f"{JOBCENTER}: {summary['cases']} borgere over 18 måneder "
        f"({danish_date(outcome.start)} – {danish_date(outcome.end)})"
    )
    lines = [heading, "=" * len(heading)]
    lines.append(
        f"{outcome.staff} medarbejdere arbejder efter to drejebøger, begge tjekket uden fejl:"
    )
    width = max(len(d.title) for d in drejeboeger)
    for drejebog in drejeboeger:
        cases = summary["cases"] if drejebog.drejebog_id == DREJEBOG_ID else 0
        what = f"{cases} borgere henvist i løbet af det første år" if cases else "ingen sager"
        lines.append(f"  {drejebog.title:<{width}}  {what}")
    lines.append(
        f"Systemet sendte {_thousands(messages)} beskeder om frister og opgaver og "
        f"{_thousands(summary['digests'])} daglige overblik."
    )
    if summary["refused"]:
        refused = sum(summary["refused"].values())
        lines.append(f"{refused} hændelser blev afvist af drejebogen (se simuleringsloggen).")
    lines.append(
        f"Nøgletallene er opgjort {danish_date(outcome.end)}; tal om færre end {MIN_CASES} "
        f"sager vises ikke (»{TOO_FEW}«)."
    )
    return lines


def _targets(drejebog: DrejebogFigures) -> list[str]:
    lines = [f"Måltal: {drejebog.title}"]
    if not drejebog.targets:
        return [*lines, "  Drejebogen har ingen måltal."]
    keys = [chr(ord("A") + i) for i in range(len(drejebog.targets))]
    for key, figures in zip(keys, drejebog.targets, strict=True):
        lines += _shorten(f"  {key}  {figures.target.title}", WIDTH)
        lines.append(f"     {_overall(figures)}")
    months = sorted({month for f in drejebog.targets for month, _ in f.by_month})
    if not months:
        return lines
    lines += ["", "  Måned for måned (sagerne efter den måned, målingen regnes fra):"]
    rows = [("måned", *keys)]
    for month in months:
        rows.append((_month(month), *(_cell(f, month) for f in drejebog.targets)))
    lines += _table(rows, indent=4)
    return [*lines, _legend({c for row in rows[1:] for c in row[1:]})]


def _legend(cells: set[str]) -> str:
    """What the month table's marks and words mean: only those it shows."""
    meanings = [
        ("✓", "✓ målet er nået"),
        ("✗", "✗ ikke nået"),
        (FEW, f"{FEW}: {TOO_FEW}"),
        (WAITING, f"{WAITING}: endnu ikke afgjort"),
        (NOT_YET, f"{NOT_YET}: medianen er ikke nået endnu"),
    ]
    shown = [
        words
        for mark, words in meanings
        if any(c == mark or (len(mark) == 1 and c.endswith(mark)) for c in cells)
    ]
    return "    " + " · ".join(shown)


def _overall(figures: TargetFigures) -> str:
    is_time, overall = figures.target.is_time, figures.overall
    verdict = {True: ", målet er nået", False: ", målet er ikke nået", None: ""}[overall.meets]
    text = f"mål {figures.target.goal} · i alt {overall.shown(is_time)}{verdict} · n={overall.n}"
    if overall.pending:
        text += f", {pending_words(is_time)}: {overall.pending}"
    return text


def _cell(figures: TargetFigures, month: str) -> str:
    figure = dict(figures.by_month).get(month)
    if figure is None:
        return "–"
    return cell(figure, figures.target.is_time)


def cell(figure: Figure, is_time: bool) -> str:
    """A month's figure in a few characters: the value and ✓/✗ against the target, or why
    it is not shown."""
    if figure.value is not None:
        shown = figure.shown(is_time).replace(" uger", " u")
        return shown + MARK[figure.meets]
    if figure.note == NO_MEDIAN:
        return NOT_YET
    if not is_time and figure.n + figure.pending >= MIN_CASES and figure.pending:
        return WAITING
    return FEW


def _month(cohort: str) -> str:
    year, month = cohort.split("-")
    return f"{MONTHS[int(month) - 1]} {year}"


def _deadlines(drejebog: DrejebogFigures) -> list[str]:
    heading = ("rettidigt", "for sent", "eskaleret", "andel")
    rows: list[tuple[str, ...]] = [heading]
    titles = ["frist"]
    for deadline in drejebog.deadlines:
        rows.append(_deadline_row(deadline))
        titles.append(deadline.title)
    numbers = _table(rows, indent=2, left_first=False)
    width = len(numbers[0]) + 3
    lines = [f"Frister: {drejebog.title}"]
    for prefix, title in zip(numbers, titles, strict=True):
        wrapped = textwrap.wrap(title, WIDTH - width) or [""]
        lines.append(f"{prefix.ljust(width - 3)}   {wrapped[0]}")
        lines += [" " * width + more for more in wrapped[1:]]
    return lines


def _duties(drejebog: DrejebogFigures) -> list[str]:
    """A line or two per recurring duty: its report-backs in time, late and missing, and the
    citizens who missed twice or more in a row (a figure about fewer than MIN_CASES cases is
    not shown)."""
    lines = [f"Tilbagevendende pligter: {drejebog.title}"]
    for duty in drejebog.duties:
        count = duty.count
        if not duty.shown:
            said = TOO_FEW
        elif duty.fixed:
            said = (
                f"{_thousands(count.in_time)} til tiden, {_thousands(count.late)} for sent, "
                f"{_thousands(count.missed)} mangler ({duty.in_time_share} til tiden)"
            )
        else:
            said = (
                f"{_thousands(count.missed)} mangler (regnet fra sidste gang: kun mangler tælles)"
            )
        if duty.shown and count.in_a_row >= MIN_CASES:
            said += f"; {count.in_a_row} borgere manglede to gange eller flere i træk"
        lines += textwrap.wrap(
            f"{duty.title}: {said}", WIDTH, initial_indent="  ", subsequent_indent="    "
        )
    return lines


def _deadline_row(deadline: DeadlineFigure) -> tuple[str, ...]:
    count, shown = deadline.count, deadline.n >= MIN_CASES
    share = deadline.in_time_share
    return (
        str(count.in_time) if shown else "–",
        str(count.late) if shown else "–",
        str(count.escalated) if count.escalated >= MIN_CASES else "–",
        "få" if share == TOO_FEW else share,
    )


def _where(outcome: DemoOutcome, files: DemoFiles) -> list[str]:
    url = f"DATABASE_URL=sqlite:///{files.database}"
    handle, role = DEMO_ACCOUNT
    # the figures as they stood on the demo's last day (its days lie ahead of today's clock)
    end = outcome.end.isoformat()
    period = f"--fra {outcome.report.start.isoformat()} --til {end} --opgjort {end}"
    return [
        "Filerne ligger ved siden af databasen:",
        f"  Rapport med grafer (HTML, åbnes uden internet): {files.report}",
        f"  Drejebøgerne tegnet (Mermaid):                  {files.diagrams}",
        f"  Scenarierne simuleret (hændelseslog):           {files.simulation}",
        "Webappen (log ind som "
        f"{handle}, {role}, med adgangskoden {DEMO_PASSWORD}; åbn http://127.0.0.1:8000/):",
        f"  {url} drejebog serve",
        "Tallene som tekst, JSON eller CSV:",
        f"  {url} drejebog report {period}",
    ]


def _table(rows: Sequence[tuple[str, ...]], indent: int, left_first: bool = True) -> list[str]:
    """Columns aligned: the figures to the right, the first column (a name) to the left."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        cells = [c.rjust(w) for c, w in zip(row, widths, strict=True)]
        if left_first:
            cells[0] = row[0].ljust(widths[0])
        lines.append((" " * indent + "  ".join(cells)).rstrip())
    return lines


def _shorten(line: str, width: int) -> list[str]:
    return [line if len(line) <= width else line[: width - 1] + "…"]


def _thousands(number: int) -> str:
    return f"{number:,}".replace(",", ".")
