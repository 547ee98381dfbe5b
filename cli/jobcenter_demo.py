"""The jobcenter demo: 216 citizens (the ressourceforløb seed's number) over 18 months.

A fresh SQLite file gets the shipped drejebøger and a small staff; citizens are referred over a
year and follow the ressourceforløb path with realistic delays and lapses (seeded, so every run
is the same). The clock jumps from event to due timer to daily digest, and every timer goes
through the daemon's own sweep, outbox and templates. At the simulated end it makes the
KPI report (app/kpi.py, as `drejebog report` does) and gives the leder a web app account; the
story of it all is told by cli/demo_story.py.
"""

from __future__ import annotations

import random
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import click

from drejebog.app.digest import send_digests
from drejebog.app.firing import Channels
from drejebog.app.kpi import KpiReport, ReportRequest
from drejebog.app.replay import run_until
from drejebog.app.reports import summarize
from drejebog.app.settings import Settings
from drejebog.bootstrap import App, bootstrap
from drejebog.engine.calendar import WorkingCalendar
from drejebog.engine.clock import SimulatedClock
from drejebog.engine.deadlines import COPENHAGEN
from drejebog.engine.errors import CaseError
from drejebog.workflows import SHIPPED_DIR

START = date(2027, 1, 4)
MONTHS = 18
DREJEBOG_ID = "ressourceforloeb"  # every demo citizen follows this drejebog
DEMO_ACCOUNT = ("lene", "leder")  # the web app login the demo makes (handle, role)
DEMO_PASSWORD = "drejebog-demo-2027"  # printed by the demo: a demo database only
STAFF = [
    ("lene", "Lene Leder", "leder", None),
    ("per", "Per Projektleder", "projektleder", "lene"),
    ("anna", "Anna Andersen", "sagsbehandler", "lene"),
    ("bent", "Bent Berg", "sagsbehandler", "lene"),
    ("karl", "Karl Kock", "koordinerende_sagsbehandler", "lene"),
    ("kirsten", "Kirsten Krog", "koordinerende_sagsbehandler", "lene"),
    ("vera", "Vera Vang", "virksomhedskonsulent", "lene"),
    ("viggo", "Viggo Vinter", "virksomhedskonsulent", "lene"),
    ("mona", "Mona Mentor", "mentor", "lene"),
    ("mads", "Mads Mentor", "mentor", "lene"),
    ("frida", "Frida Forløb", "forløbsmedarbejder", "lene"),
]
FIRST_NAMES = [
    "Mette",
    "Jens",
    "Hanne",
    "Lars",
    "Susanne",
    "Peter",
    "Lone",
    "Søren",
    "Kirsten",
    "Niels",
    "Birgitte",
    "Ole",
    "Pia",
    "Henrik",
    "Camilla",
    "Jørgen",
    "Tina",
    "Bo",
]
LAST_NAMES = [
    "Jensen",
    "Nielsen",
    "Hansen",
    "Pedersen",
    "Andersen",
    "Christensen",
    "Larsen",
    "Sørensen",
    "Rasmussen",
    "Jørgensen",
    "Madsen",
    "Kristensen",
    "Olsen",
    "Thomsen",
]
_CALENDAR = WorkingCalendar()


@dataclass(frozen=True)
class Planned:
    at: datetime
    citizen: int
    event: str  # "åbn" opens the case
    data: dict[str, Any]
    actor: str


def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=COPENHAGEN).astimezone(UTC)


def working(day: date) -> date:
    while not _CALENDAR.is_working_day(day):
        day += timedelta(days=1)
    return day


def plan_citizen(i: int, rng: random.Random, end: date) -> list[Planned]:
    """One citizen's path, generated so each event is allowed when it happens.

    The helpers below draw from `rng` in a fixed order: the demo is the same on every run."""
    sb, kb = ("anna", "bent")[i % 2], ("karl", "kirsten")[i % 2]
    plan, rehab, recommendation = _plan_until_rehab(i, rng, sb)
    if recommendation != "ressourceforloeb":
        return plan
    handover = working(rehab + timedelta(days=rng.choice([5, 7, 9, 11, 12, 13, 16, 21])))
    kickoff = working(handover + timedelta(days=rng.randint(7, 14)))
    plan.append(
        Planned(
            at_local(handover, 10),
            i,
            "overdragelse_holdt",
            {"opstartsmoede": kickoff.isoformat()},
            kb,
        )
    )
    if rng.random() < 0.9:
        plan.append(Planned(at_local(kickoff, 9, 30), i, "opstartsmoede_holdt", {}, kb))
    return plan + sorted(_plan_ressourceforloeb(i, rng, handover, end, kb), key=lambda p: p.at)


def _plan_until_rehab(i: int, rng: random.Random, sb: str) -> tuple[list[Planned], date, str]:
    """Referral, holdforløb and the rehab meeting: (events, meeting day, recommendation)."""
    referred = working(START + timedelta(days=int(i * 365 / 216)))
    plan = [
        Planned(
            at_local(referred, 9),
            i,
            "åbn",
            {"ydelse": rng.choice(["kontanthjaelp", "sygedagpenge", "jobafklaringsforloeb"])},
            sb,
        )
    ]
    signup = working(referred + timedelta(days=rng.choice([3, 5, 8, 12, 16])))
    rehab = working(signup + timedelta(weeks=rng.randint(6, 10)))
    plan.append(
        Planned(
            at_local(signup, 10),
            i,
            "tilmeld_holdforloeb",
            {"rehab_moede": rehab.isoformat(), "oensker_paaroerende": rng.random() < 0.6},
            sb,
        )
    )
    if rng.random() < 0.85:
        plan.append(
            Planned(
                at_local(rehab - timedelta(days=rng.randint(5, 20)), 11),
                i,
                "forberedelsesskema_udfyldt",
                {},
                sb,
            )
        )
    if rng.random() < 0.5:
        plan.append(
            Planned(
                at_local(signup + timedelta(days=rng.randint(7, 20)), 13),
                i,
                "hjemmemoede_holdt",
                {},
                sb,
            )
        )
    meeting = {
        "indstilling": "ressourceforloeb"
        if rng.random() < 168 / 216
        else rng.choice(["fleksjob", "foertidspension", "jobrettet_indsats"])
    }
    if rng.random() < 0.35:
        start_work = rehab + timedelta(days=rng.choice([30, 60, 120, 250, 270]))
        meeting["virksomhedsrettet_fra"] = start_work.isoformat()
    plan.append(Planned(at_local(rehab, 13), i, "rehab_moede_holdt", meeting, sb))
    return plan, rehab, meeting["indstilling"]


def _plan_ressourceforloeb(
    i: int, rng: random.Random, handover: date, end: date, kb: str
) -> list[Planned]:
    """The ressourceforløb after the hand-over: report-backs, reviews, milestones, an ending."""
    finish = min(end, handover + timedelta(days=rng.randint(300, 520)))
    praktik = rng.random() < 0.42
    loen = rng.random() < 0.22
    mentor = rng.random() < 0.38
    events = _plan_report_backs(i, rng, handover, finish)
    review = handover
    while (review := review + timedelta(days=rng.randint(30, 46))) < finish:
        if rng.random() < 0.85:
            events.append(Planned(at_local(working(review), 10), i, "sagsgennemgang_holdt", {}, kb))
    first = handover + timedelta(days=rng.randint(7, 80))
    if first < finish:
        events.append(
            Planned(
                at_local(working(first), 9),
                i,
                "foerste_aktivitet_startet",
                {"aktivitet": "Virksomhedsrettet aktivitet"},
                "vera",
            )
        )
    milestones: list[
        tuple[bool, tuple[int, int], str, Callable[[], dict[str, Any]], str, int]
    ] = [  # (happens?, days after the hand-over, event, data, who, hour)
        (
            praktik,
            (20, 200),
            "virksomhedspraktik_startet",
            lambda: {"aktivitet": "Virksomhedspraktik"},
            "vera",
            9,
        ),
        (
            loen,
            (40, 220),
            "loentimer_startet",
            lambda: {"loentimer_pr_uge": rng.choice([4, 6, 8, 10])},
            "viggo",
            9,
        ),
        (mentor, (10, 90), "mentorstoette_bevilget", lambda: {}, kb, 11),
    ]
    for happens, (low, high), event, data, who, hour in milestones:
        if not happens:
            continue
        when = handover + timedelta(days=rng.randint(low, high))
        if when < finish:
            events.append(Planned(at_local(working(when), hour), i, event, data(), who))
    if finish < end:
        events.append(
            Planned(
                at_local(working(finish), 14),
                i,
                "afslut_forloeb",
                {"afslutning": rng.choice(["job", "uddannelse", "fleksjob"])},
                kb,
            )
        )
    return events


def _plan_report_backs(i: int, rng: random.Random, handover: date, finish: date) -> list[Planned]:
    """Monthly report-backs: most on time, some late (after the missing notice), some missed."""
    events: list[Planned] = []
    anchor = handover
    while True:
        anchor = anchor + timedelta(days=30)
        if anchor > finish:
            break
        roll = rng.random()
        if roll < 0.78:
            report = anchor - timedelta(days=rng.randint(0, 6))
        elif roll < 0.93:
            report = anchor + timedelta(days=rng.randint(5, 12))  # after the missing notice
        else:
            continue  # no report-back this month
        if report >= finish:
            break
        events.append(
            Planned(
                at_local(max(report, handover + timedelta(days=1)), 15),
                i,
                "tilbagemelding",
                {},
                "mona" if i % 2 else "mads",
            )
        )
        anchor = report
    return events


def cpr_of(i: int) -> str:
    return f"{61 + i % 28:02d}{1 + i // 28 % 12:02d}80-{1000 + i:04d}"  # erstatningspersonnumre


@dataclass(frozen=True)
class DemoOutcome:
    """What the run left: the delivery summary (app/reports.py), the KPI report made at the
    simulated end, the period run and the staff."""

    summary: dict[str, Any]
    report: KpiReport
    start: date
    end: date
    staff: int


def run_jobcenter_demo(path: Path, citizens: int = 216, seed: int = 2027) -> DemoOutcome:
    for suffix in ("", "-wal", "-shm", ".daemon.lock"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    end = START + timedelta(days=int(MONTHS * 30.44))
    clock = SimulatedClock(at_local(START, 6))
    app = bootstrap(Settings(f"sqlite:///{path}"), clock)
    try:
        return _run(app, clock, citizens, seed, end)
    finally:
        app.close()


def _run(app: App, clock: SimulatedClock, citizens: int, seed: int, end: date) -> DemoOutcome:
    app.upgrade_schema()
    app.admin.load_drejebog_files([SHIPPED_DIR])
    for handle, name, role, leader in STAFF:
        app.admin.add_worker(handle, name, role, f"{handle}@jobcenter.dk", "rehab", leader)
    rng = random.Random(seed)
    plans: list[Planned] = []
    for i in range(citizens):
        name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
        app.admin.add_citizen(cpr_of(i), name, phone=f"+45{20000000 + i}")
        plans.extend(plan_citizen(i, rng, end))
    plans.sort(key=lambda p: (p.at, p.citizen))
    channels = Channels.named("sms")
    case_of: dict[int, str] = {}
    refused: Counter[str] = Counter()
    position = 0
    days = (end - START).days
    with click.progressbar(
        range(days),
        label="18 måneder",
        width=36,
        show_eta=False,
        file=sys.stderr,
    ) as bar:
        for offset in bar:
            day = START + timedelta(days=offset)
            run_until(app.unit_of_work, clock, at_local(day, 7), channels)
            send_digests(app.digest_unit_of_work, clock.now(), channels)
            day_end = at_local(day + timedelta(days=1), 0)
            while position < len(plans) and plans[position].at < day_end:
                planned = plans[position]
                position += 1
                run_until(app.unit_of_work, clock, planned.at, channels, before=True)
                try:
                    if planned.event == "åbn":
                        assign = {
                            "sagsbehandler": planned.actor,
                            "koordinerende_sagsbehandler": ("karl", "kirsten")[planned.citizen % 2],
                            "virksomhedskonsulent": ("vera", "viggo")[planned.citizen % 2],
                            "mentor": ("mona", "mads")[planned.citizen % 2],
                            "forløbsmedarbejder": "frida",
                            "projektleder": "per",
                        }
                        opened = app.cases.open_case(
                            cpr_of(planned.citizen),
                            DREJEBOG_ID,
                            planned.actor,
                            planned.data,
                            assign,
                        )
                        case_of[planned.citizen] = opened.case_id
                    elif planned.citizen in case_of:
                        app.cases.apply_event(
                            case_of[planned.citizen], planned.event, planned.data, planned.actor
                        )
                except CaseError as exc:
                    refused[f"{planned.event}: {type(exc).__name__}"] += 1
            run_until(app.unit_of_work, clock, day_end, channels, before=True)
    handle, role = DEMO_ACCOUNT
    app.accounts.add(handle, role, DEMO_PASSWORD)
    # the report as the leder would make it on the last day: the clock stands there
    report = app.kpi.report(ReportRequest(START.replace(day=1), end - timedelta(days=1)))
    summary = summarize(app.statistics, len(case_of), refused)
    return DemoOutcome(summary, report, START, end - timedelta(days=1), len(STAFF))
