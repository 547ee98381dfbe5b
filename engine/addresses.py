"""Checking an e-mail address or a phone number where it enters (worker add, citizen add).

A message is only as good as its address: a CR/LF in an address once made building the e-mail
fail for every later message, and an address the SMTP server or the SMS gateway cannot take
fails only when the message is due. So an address is checked when it is typed, and refused
with a Danish reason; the delivery side still refuses what slips past (planted in the
database), one message at a time.

- **E-mail**: `lokal@domæne.tld`, at most 254 characters (RFC 5321's path limit), a local part
  of at most 64 characters of the characters RFC 5322 allows unquoted (no quoted forms, no
  comments, no display names), a domain of at least two labels of letters (Danish and other
  Unicode letters included: IDN), digits and inner hyphens. No white space or control
  characters anywhere.
- **Phone**: what an SMS gateway takes: an optional leading `+`, then 8 to 15 digits (E.164's
  maximum; a Danish number is 8 digits), spaces between groups allowed. Stored as typed.
"""

from __future__ import annotations

import re

MAX_EMAIL = 254
MAX_LOCAL_PART = 64
_LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*")
_PHONE = re.compile(r"\+?\d+( \d+)*")
_PHONE_DIGITS = (8, 15)


def _domain_label_ok(label: str) -> bool:
    return (
        0 < len(label) <= 63
        and all(ch.isalnum() or ch == "-" for ch in label)
        and not label.startswith("-")
        and not label.endswith("-")
    )


def email_problem(address: str) -> str | None:
    """Why `address` is not an e-mail address we can send to, or None if it is."""
    if any(ch.isspace() or not ch.isprintable() for ch in address):
        return "må ikke indeholde mellemrum, linjeskift eller kontroltegn"
    if len(address) > MAX_EMAIL:
        return f"er længere end {MAX_EMAIL} tegn"
    local, at, domain = address.rpartition("@")
    if not at or not local:
        return "skal have formen navn@domæne.dk"
    if len(local) > MAX_LOCAL_PART or not _LOCAL_PART.fullmatch(local):
        return "har en ugyldig del før @"
    labels = domain.split(".")
    if len(labels) < 2 or not all(_domain_label_ok(label) for label in labels):
        return "har et ugyldigt domæne efter @ (fx jobcenter.dk)"
    return None


def phone_problem(number: str) -> str | None:
    """Why `number` is not a phone number an SMS gateway takes, or None if it is."""
    if not _PHONE.fullmatch(number):
        return "skal være cifre, evt. med + foran og mellemrum mellem grupper (fx +45 12 34 56 78)"
    digits = sum(ch.isdigit() for ch in number)
    low, high = _PHONE_DIGITS
    if not low <= digits <= high:
        return f"skal have {low} til {high} cifre"
    return None
