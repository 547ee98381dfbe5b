"""The leader dashboard's question (web /maaltal): who may ask it, and its period and team
read from a form, checked, into the same `ReportRequest` that `drejebog report` makes, so the
page and `drejebog report --json` show the same figures for the same filters.

Only a leder or an administrator sees the figures (AccessDenied for anyone else). The
figures are counts, never cases. Each figure links to the cases behind it (`figure_ref`
reads which), for a leder only: the list shows only the leder's own team's cases and writes
an access log row for each case it shows (app/case_list.py); an administrator sees no case.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from drejebog.app.access import TEAM_ROLES, AccessDenied
from drejebog.app.kpi import FIGURE_KINDS, FigureRef, ReportError, ReportRequest

DASHBOARD_ROLES = ("leder", "administrator")
MAX_FIELD = 64  # characters of a team name or a date field
FIELDS = {"fra": "Fra", "til": "Til", "team": "Team"}
FIGURE_FIELDS = {"drejebog": "Drejebog", "slags": "Slags", "navn": "Navn", "kohorte": "Kohorte"}
MAX_NAME = 100  # characters of a drejebog, måltal or rule name (the store's limit)
_COHORT = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class DashboardFilter:
    """The period and team the page shows, and the report request they make."""

    start: date
    end: date
    team: str | None

    def request(self) -> ReportRequest:
        return ReportRequest(self.start, self.end, team=self.team)


def require_dashboard_role(account_role: str) -> None:
    if account_role not in DASHBOARD_ROLES:
        raise AccessDenied("kun en leder eller en administrator kan se måltallene")


def require_case_access(account_role: str) -> None:
    """The cases behind a figure are a leder's to see (their team's), not an administrator's."""
    if account_role not in TEAM_ROLES or account_role not in DASHBOARD_ROLES:
        raise AccessDenied("kun en leder kan se sagerne bag måltallene")


def figure_ref(params: dict[str, str]) -> FigureRef:
    """Which figure's cases are asked for: drejebog, slags (maal, frist, pligt), navn and,
    for a måltal, optionally the kohorte month (ÅÅÅÅ-MM). A missing or malformed field is a
    ReportError naming it."""
    given = {key: params.get(key, "").strip() for key in FIGURE_FIELDS}
    for key, value in given.items():
        if len(value) > MAX_NAME:
            raise ReportError(
                f"feltet '{FIGURE_FIELDS[key]}' er {len(value)} tegn langt; "
                f"højst {MAX_NAME} er tilladt"
            )
    for key in ("drejebog", "slags", "navn"):
        if not given[key]:
            raise ReportError(f"feltet '{FIGURE_FIELDS[key]}' mangler")
    if given["slags"] not in FIGURE_KINDS:
        raise ReportError(
            f"feltet 'Slags': '{given['slags'][:20]}' er ukendt; brug "
            + ", ".join(sorted(FIGURE_KINDS))
        )
    cohort = given["kohorte"] or None
    if cohort is not None and (given["slags"] != "maal" or not _COHORT.match(cohort)):
        raise ReportError(
            f"feltet 'Kohorte': '{cohort[:20]}' skal være en måned (ÅÅÅÅ-MM) for et måltal"
        )
    return FigureRef(given["slags"], given["drejebog"], given["navn"], cohort)


def default_period(today: date) -> tuple[date, date]:
    """As `drejebog report` without --fra/--til: the first of the month eleven months back,
    to today."""
    months = today.year * 12 + today.month - 1 - 11
    return date(months // 12, months % 12 + 1, 1), today


def dashboard_filter(params: dict[str, str], today: date) -> DashboardFilter:
    """The filter from the query string; a field too long or a date that is not ÅÅÅÅ-MM-DD
    is a ReportError naming the field (a Danish 400 on the page)."""
    given = {key: params.get(key, "").strip() for key in FIELDS}
    for key, value in given.items():
        if len(value) > MAX_FIELD:
            raise ReportError(
                f"feltet '{FIELDS[key]}' er {len(value)} tegn langt; højst {MAX_FIELD} er tilladt"
            )
    end = _day(given["til"], "Til") or today
    start = _day(given["fra"], "Fra") or default_period(end)[0]
    return DashboardFilter(start, end, given["team"] or None)


def _day(value: str, label: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        shown = value[:20]
        raise ReportError(
            f"feltet '{label}': '{shown}' er ikke en dato; skriv den som ÅÅÅÅ-MM-DD, fx 2027-01-31"
        ) from None
