"""`drejebog check`: every problem at once, as file:line:column, with exit codes."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from drejebog.cli.main import main
from drejebog.engine.errors import DrejebogInvalid
from drejebog.engine.loader import load_file, load_text
from tests.conftest import FIXTURES

BROKEN = FIXTURES / "broken.yaml"

# (line, column, part of the message): one per planted mistake in broken.yaml
EXPECTED = [
    (4, 1, "ukendt nøgle 'beskrivelsee' i drejebogen (mente du 'beskrivelse'?)"),
    (7, 23, "ukendt type 'valgg' for faktummet 'indstilling' (mente du 'valg'?)"),
    (9, 3, "fra tilstanden 'visiteret' kan en sag aldrig nå en slut-tilstand"),
    (13, 16, "ukendt enhed 'dgae' (mente du 'dage'?)"),
    (14, 15, "ukendt rolle 'sagsbehandlr' (mente du 'sagsbehandler'?)"),
    (15, 21, "ikke 'rehab_mode' (mente du 'rehab_moede'?)"),
    (17, 45, "'modtager.navnn', som ikke findes"),
    (17, 80, "skabelonen bruger 'ukendt_ting', som ikke findes"),
    (18, 15, "navnet 'overdragelse' er brugt to gange (første gang i linje 12)"),
    (25, 15, "udtrykket 'rehab_moede >' kan ikke læses"),
    (26, 16, "skabelonen kan ikke oversættes"),
    (28, 3, "'visiteret' er angivet to gange (første gang i linje 9)"),
    (30, 3, "tilstanden 'glemt' er ikke en slut-tilstand, men ingen hændelse fører videre"),
    (30, 3, "tilstanden 'glemt' kan ikke nås fra start-tilstanden 'visiteret'"),
    (32, 3, "tilstanden 'blindgyde' er ikke en slut-tilstand"),
    (34, 3, "tilstanden 'slut' kan ikke nås"),
    (41, 17, "'betingelse' bruger 'ukendt_faktum', som ikke er et faktum"),
    (42, 5, "ukendt nøgle 'tittel' i hændelsen 'start_forloeb' (mente du 'titel'?)"),
    (43, 3, "'start_forloeb' er angivet to gange (første gang i linje 38)"),
    (48, 10, "ukendt tilstand 'slutt' (mente du 'slut'?)"),
]


def test_broken_drejebog_yields_every_expected_problem_and_nothing_else():
    with pytest.raises(DrejebogInvalid) as caught:
        load_file(BROKEN)
    found = [(p.line, p.column, p.message) for p in caught.value.problems]
    assert len(found) == len(EXPECTED)
    for (line, column, part), (f_line, f_column, message) in zip(EXPECTED, found, strict=True):
        assert (f_line, f_column) == (line, column), message
        assert part in message


def test_check_command_prints_file_line_column_and_exits_1():
    result = CliRunner().invoke(main, ["check", str(BROKEN)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == len(EXPECTED)
    for line in lines:
        assert re.match(rf"^{re.escape(str(BROKEN))}:\d+:\d+: \S", line), line


def test_check_command_on_a_clean_file_prints_one_summary_line_and_exits_0():
    result = CliRunner().invoke(main, ["check", str(FIXTURES / "mini.yaml")])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines() == [
        f"{FIXTURES / 'mini.yaml'}: OK – Mini-drejebog til test (version 1): 4 tilstande, "
        "6 hændelser, 1 frister, 2 opgaver, 1 tilbagevendende, 1 milepæle"
    ]


def test_check_command_on_a_missing_path_fails_clearly(tmp_path):
    result = CliRunner().invoke(main, ["check", str(tmp_path / "nej.yaml")])
    assert result.exit_code == 1
    assert "findes ikke" in result.output


@pytest.mark.parametrize(
    ("text", "line", "part"),
    [
        ("drejebog: x\ntitel: [a\n", 3, "YAML-syntaksfejl"),
        ("", 1, "tom"),
        ("- bare\n- en liste\n", 1, "skal være en oversigt"),
        (
            "drejebog: x\ntitel: X\nstart: a\n"
            "tilstande: {a: {titel: A, slut: ja}}\nhændelser: {}\n",
            4,
            "'slut' skal være true eller false",
        ),
    ],
    ids=["yaml-syntax", "empty", "not-a-mapping", "bad-boolean"],
)
def test_malformed_files_are_reported_with_a_position(text, line, part):
    with pytest.raises(DrejebogInvalid) as caught:
        load_text(text, "x.yaml")
    assert any(p.line == line and part in p.message for p in caught.value.problems), (
        caught.value.problems
    )


MINIMAL = """\
drejebog: lille
titel: Lille
start: a
fakta:
  dato_x: {type: dato}
  valg_x: {type: valg, værdier: [ja_tak, nej_tak]}
tilstande:
  a:
    titel: A
{extra}
  b: {titel: B, slut: true}
hændelser:
  videre: {fra: a, til: b}
"""


@pytest.mark.parametrize(
    ("extra", "part"),
    [
        ("    frister: [{navn: f, frist: 2 uger, ejer: leder, klokken: '25:00'}]", "klokkeslæt"),
        (
            "    frister: [{navn: f, frist: 2 uger, ejer: leder, helligdag: fremad}]",
            "'helligdag' skal være frem, tilbage, behold",
        ),
        ("    frister: [{navn: f, frist: to uger, ejer: leder}]", "ugyldig varighed 'to uger'"),
        (
            "    frister: [{navn: f, frist: 2 uger, ejer: leder, opfyldes_af: vidre}]",
            "ukendt hændelse 'vidre' (mente du 'videre'?)",
        ),
        (
            "    frister: [{navn: f, frist: 2 uger, ejer: leder, "
            "påmindelser: [{før: 3 uger, til: leder}]}]",
            "ligger før fristen",
        ),
        (
            "    opgaver: [{navn: o, titel: O, rolle: leder, skabelon: findes_ikke}]",
            "ukendt skabelon 'findes_ikke'",
        ),
        (
            "    opgaver: [{navn: o, titel: O, rolle: leder, "
            "hvis: \"plus(dato_x, '8 mdr') > dato\"}]",
            "ukendt enhed 'mdr'",
        ),
        (
            "    tilbagevendende: [{navn: t, hver: 1 uge, ejer: borger, opfyldes_af: videre, "
            "henstand: 5 dage, påmindelser: [{før: 3 dage, til: borger}]}]",
            "når ind i næste periode",
        ),
    ],
    ids=[
        "bad-time",
        "bad-adjust",
        "bad-duration",
        "unknown-event",
        "reminder-too-early",
        "unknown-template",
        "bad-duration-in-guard",
        "grace-overlaps-period",
    ],
)
def test_rule_problems(extra, part):
    with pytest.raises(DrejebogInvalid) as caught:
        load_text(MINIMAL.replace("{extra}", extra), "x.yaml")
    messages = [p.message for p in caught.value.problems]
    assert any(part in m for m in messages), messages
