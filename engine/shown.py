"""How a name a user typed is echoed in an error message.

A message names what was not found or refused, but the name may be 120,000 characters long,
hold a control character, or a byte that was not UTF-8 (Python keeps it as a lone surrogate,
which a terminal cannot print and a database cannot store). `shown_name` makes any of them a
short, printable text.
"""

from __future__ import annotations

SHOWN_NAME = 40  # characters of a name echoed in an error


def shown_name(name: str) -> str:
    """The name shortened to SHOWN_NAME characters (then '…'), each character that cannot be
    printed written as its Python escape ('\\x00', '\\udcff')."""
    short = "".join(c if c.isprintable() else repr(c)[1:-1] for c in name[:SHOWN_NAME])
    return short if len(name) <= SHOWN_NAME else short + "…"
