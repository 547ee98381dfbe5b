"""How a stored citizen number is shown, the anonymised ones included (store/retention.py)."""

from __future__ import annotations

from drejebog.engine.cpr import InvalidCpr, parse_cpr

ANONYMOUS_PREFIX = "x"
SHOWN_ANONYMOUS = "(anonymiseret)"


def anonymous_cpr(citizen_key: int) -> str:
    """What replaces an anonymised citizen's CPR number: unique (the column is), 11
    characters, and never a CPR number (it starts with a letter)."""
    return f"{ANONYMOUS_PREFIX}{citizen_key:010d}"


def shown_cpr(stored: str) -> str:
    """`DDMMYY-xxxx` for a stored number; '(anonymiseret)' once retention removed it."""
    if stored.startswith(ANONYMOUS_PREFIX):
        return SHOWN_ANONYMOUS
    try:
        return parse_cpr(stored).masked
    except InvalidCpr:
        return SHOWN_ANONYMOUS
