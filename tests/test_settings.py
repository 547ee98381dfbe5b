"""Settings read from the environment: a bad value fails fast, in Danish, naming the key
(app/settings.py); a byte that is not UTF-8 never gets past them."""

from __future__ import annotations

import pytest

from drejebog.app.settings import MAX_PORT, Settings, SettingsError, not_utf8


def test_good_values_are_read_and_cast():
    settings = Settings.from_environment(
        {
            "DATABASE_URL": "postgres://u@h/db",
            "DREJEBOG_SMTP_PORT": str(MAX_PORT),
            "DREJEBOG_WORKER": "anna_s",
            "DREJEBOG_SWEEP_SECONDS": "30",
        }
    )
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert (settings.smtp_port, settings.worker, settings.sweep_seconds) == (65535, "anna_s", 30)


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        (
            {"DREJEBOG_SMTP_PORT": "65536"},
            "DREJEBOG_SMTP_PORT skal være et helt tal fra 1 til 65535",
        ),
        ({"DREJEBOG_SMTP_PORT": "9" * 5000}, "DREJEBOG_SMTP_PORT skal være et helt tal fra 1 til"),
        ({"DREJEBOG_SMTP_PORT": "0"}, "DREJEBOG_SMTP_PORT skal være et helt tal ≥ 1, ikke '0'"),
        ({"DREJEBOG_SWEEP_SECONDS": "٣"}, "DREJEBOG_SWEEP_SECONDS skal være et helt tal ≥ 1"),
        ({"DREJEBOG_BATCH_SIZE": "9" * 30}, "DREJEBOG_BATCH_SIZE skal være et helt tal fra 1 til"),
        ({"DREJEBOG_WORKER": "Anna S"}, "DREJEBOG_WORKER skal være en medarbejders brugernavn"),
        ({"DREJEBOG_WORKER": "a" * 65}, "højst 64 tegn"),
        (
            {"DATABASE_URL": "sqlite:///tmp/\udcff/x.db"},
            "DATABASE_URL indeholder byten 0xFF (tegn 15), som ikke er UTF-8-tekst",
        ),
        ({"DREJEBOG_SMTP_PASSWORD": "hem\udce6"}, "DREJEBOG_SMTP_PASSWORD indeholder byten 0xE6"),
        ({"DREJEBOG_SMTP_FROM": "x\ud800"}, "DREJEBOG_SMTP_FROM indeholder tegnet U+D800"),
    ],
    ids=lambda value: next(iter(value)) if isinstance(value, dict) else "",
)
def test_a_bad_value_is_a_danish_error_naming_its_key(environment, message):
    with pytest.raises(SettingsError) as caught:
        Settings.from_environment(environment)
    assert message in str(caught.value)
    assert len(str(caught.value)) < 300  # a huge value is shortened, not echoed


def test_not_utf8_names_the_first_byte_and_its_place_or_nothing():
    assert not_utf8("Mette Ærø") is None
    assert not_utf8("ab\udcffc\udc80") == (
        "indeholder byten 0xFF (tegn 3), som ikke er UTF-8-tekst"
    )
