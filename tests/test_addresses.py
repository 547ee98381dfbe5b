"""E-mail addresses and phone numbers are checked where they enter (engine/addresses.py)."""

from __future__ import annotations

import pytest

from drejebog.engine.addresses import email_problem, phone_problem


@pytest.mark.parametrize(
    "address",
    [
        "anna@jobcenter.dk",
        "anna.andersen+drejebog@hedensted.dk",
        "x@sub.domain.example.org",
        "soeren_o@kommune.dk",
        "karl@hørsholm.dk",  # an IDN domain
    ],
)
def test_an_ordinary_address_passes(address: str) -> None:
    assert email_problem(address) is None


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("lene@jobcenter.dk\r\nBcc: alle@example.org", "linjeskift"),
        ("lene@jobcenter.dk\n", "linjeskift"),
        ("anna @jobcenter.dk", "mellemrum"),
        ("anna\x00@jobcenter.dk", "kontroltegn"),
        ("not an email", "mellemrum"),
        ("anna", "navn@domæne.dk"),
        ("@jobcenter.dk", "navn@domæne.dk"),
        ("anna@localhost", "domæne"),
        ("anna@-jobcenter.dk", "domæne"),
        ("anna@jobcenter..dk", "domæne"),
        ("anna..a@jobcenter.dk", "før @"),
        ('"anna"@jobcenter.dk', "før @"),
        ("a" * 65 + "@jobcenter.dk", "før @"),
        ("a@" + "b" * 250 + ".dk", "254 tegn"),
    ],
    ids=lambda value: repr(value)[:30],
)
def test_an_address_no_message_could_go_to_is_refused_with_a_reason(
    address: str, reason: str
) -> None:
    problem = email_problem(address)
    assert problem is not None and reason in problem


@pytest.mark.parametrize("number", ["12345678", "+4512345678", "+45 12 34 56 78", "0045 1234 5678"])
def test_a_number_an_sms_gateway_takes_passes(number: str) -> None:
    assert phone_problem(number) is None


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("ring til mig", "cifre"),
        ("1234", "8 til 15 cifre"),
        ("+1234567890123456", "8 til 15 cifre"),
        ("12345678\n", "cifre"),
        ("++4512345678", "cifre"),
        ("45-12-34-56", "cifre"),
    ],
)
def test_a_number_no_sms_could_go_to_is_refused(number: str, reason: str) -> None:
    problem = phone_problem(number)
    assert problem is not None and reason in problem
