"""Hostile and careless YAML: a Danish problem at file:line:column, never a traceback or a hang.

Each input below once ended `drejebog check`, `load` or `simulate` in a traceback, a hang or
gigabytes of memory (issue 10). Every input is small or capped, so a regression shows as a
failure or a RecursionError, not as a slow suite; there are no timing assertions.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from drejebog.cli.main import main
from drejebog.engine.errors import DrejebogInvalid, Problem
from drejebog.engine.fields import FieldReader
from drejebog.engine.loader import check_file, load_text, parse_text
from drejebog.engine.yamlnodes import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MapNode,
    ScalarNode,
    load_located,
)
from drejebog.workflows import SHIPPED_DIR
from tests.conftest import FIXTURES

# "billion laughs": nine levels of nine aliases, 10**9 strings once expanded
LAUGHS = 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{name}: &{name} [{','.join(['*' + previous] * 9)}]\n"
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True)
)

# (text, line, column, part of the message)
HOSTILE = {
    "impossible-day": ("drejebog: x\nstart: 2027-02-30\n", 2, 8, "'2027-02-30' er ikke en gyldig"),
    "impossible-month": ("drejebog: x\nstart: 2027-13-01\n", 2, 8, "'2027-13-01' er ikke en"),
    "year-zero": ("drejebog: x\nstart: 0000-01-01\n", 2, 8, "ikke en gyldig dato"),
    "float-tag-nan-x": ("drejebog: x\nstart: !!float nan x\n", 2, 8, "mærket '!!float'"),
    "python-tag": ("drejebog: !!python/object:os.system x\n", 1, 11, "mærket '!!python/object"),
    "binary-tag": ("drejebog: !!binary aGVq\n", 1, 11, "mærket '!!binary'"),
    "local-tag": ("drejebog: x\ntitel: !hemmelig y\n", 2, 8, "mærket '!hemmelig'"),
    "mapping-tag": ("drejebog: x\ntilstande: !!set {a, b}\n", 2, 12, "mærket '!!set'"),
    "unreadable-hex": ("drejebog: x\nversion: 0x_\n", 2, 10, "'0x_' ligner et tal"),
    "recursive-alias": ("start: &a [*a]\n", 1, 12, "aliaset '*a' er ikke tilladt"),
    "plain-alias": ("titel: &t Titel\nbeskrivelse: *t\n", 2, 14, "aliaset '*t'"),
    "merge-key": ("a: &a {x: 1}\nb:\n  <<: *a\n", 3, 7, "aliaset '*a'"),
    "billion-laughs": (LAUGHS, 2, 8, "aliaset '*a'"),
    "flow-nesting-500": ("a: " + "[" * 500 + "]" * 500 + "\n", 1, 3 + MAX_DEPTH, "for dybt"),
    "block-nesting-500": (
        "".join(" " * i + f"k{i}:\n" for i in range(500)) + " " * 500 + "v: 1\n",
        MAX_DEPTH + 1,
        MAX_DEPTH + 1,
        f"højst {MAX_DEPTH} niveauer",
    ),
    "control-character": ('drejebog: x\ntitel: "ab\x01c"\n', 2, 11, "U+0001 er et kontroltegn"),
    "nul-on-line-three": ("drejebog: x\ntitel: y\nbeskrivelse: z\x00\n", 3, 15, "U+0000"),
    "escape-character": ("drejebog: x\n\x1b[31m: y\n", 2, 1, "U+001B"),
    "two-documents": ("drejebog: x\n---\ndrejebog: y\n", 2, 1, "ét YAML-dokument"),
    "too-big": ("a: " + "x" * MAX_FILE_BYTES + "\n", 1, 1, "1.000.000 bytes (1 MB)"),
}


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(DrejebogInvalid) as caught:
        load_text(text, "x.yaml")
    return caught.value.problems


@pytest.mark.parametrize(("text", "line", "column", "part"), HOSTILE.values(), ids=HOSTILE)
def test_hostile_yaml_is_a_problem_at_its_line_and_column(text, line, column, part):
    problems = problems_of(text)
    assert any((p.line, p.column) == (line, column) and part in p.message for p in problems), (
        problems
    )
    assert all(p.file == "x.yaml" for p in problems)


def test_an_impossible_date_where_a_date_belongs_is_reported_once():
    tree, problems = load_located("drejebog: x\ndato: 2027-02-30\n", "x.yaml")
    reader = FieldReader("x.yaml")
    assert isinstance(tree, MapNode)
    assert reader.date_value(tree.value("dato"), "'dato'") is None
    assert reader.text(tree.value("dato"), "'dato'") is None
    assert [(p.line, p.column) for p in problems + reader.problems] == [(2, 7)]


def test_plain_scalars_still_read_as_before():
    text = "a: 2027-02-28\nb: '2027-02-30'\nc: !!str 2027-02-30\nd: 10:30\ne: <<\nf: =\n"
    tree, problems = load_located(text, "x.yaml")
    assert problems == []
    assert isinstance(tree, MapNode)
    values = {}
    for key, (_, node) in tree.items.items():
        assert isinstance(node, ScalarNode)
        values[key] = node.value
    assert values["a"] == date(2027, 2, 28)
    assert values["b"] == values["c"] == "2027-02-30"
    assert values["d"] == 630  # YAML 1.1 sexagesimal, as before; fields read the raw text
    assert values["e"] == "<<"
    assert values["f"] == "="


def test_a_file_over_the_size_cap_is_refused_before_it_is_parsed(tmp_path):
    path = tmp_path / "stor.yaml"
    path.write_text("a: " + "x" * MAX_FILE_BYTES + "\n", encoding="utf-8")
    drejebog, problems = check_file(path)
    assert drejebog is None
    assert [str(p) for p in problems] == [
        f"{path}:1:1: filen er for stor: en drejebog må højst fylde 1.000.000 bytes (1 MB)"
    ]


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_file_that_never_ends_is_read_only_up_to_the_cap():
    drejebog, problems = check_file(Path("/dev/zero"))
    assert drejebog is None
    assert len(problems) == 1
    assert "for stor" in problems[0].message


def write_hostile_folder(folder: Path) -> dict[str, tuple[int, int]]:
    """One file per hostile input (the size cap aside), plus a good one; name -> line:column."""
    expected = {}
    for name, (text, line, column, _) in HOSTILE.items():
        if name == "too-big":
            continue
        (folder / f"{name}.yaml").write_text(text, encoding="utf-8")
        expected[name] = (line, column)
    (folder / "mini.yaml").write_text((FIXTURES / "mini.yaml").read_text(encoding="utf-8"))
    return expected


def test_check_on_a_folder_reports_every_hostile_file_and_goes_on(tmp_path):
    expected = write_hostile_folder(tmp_path)
    (tmp_path / "en_mappe.yaml").mkdir()  # a folder named like a drejebog
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    for name, (line, column) in expected.items():
        assert f"{tmp_path / name}.yaml:{line}:{column}: " in result.output, name
    assert f"{tmp_path / 'en_mappe.yaml'}:1:1: filen kan ikke læses" in result.output
    assert f"{tmp_path / 'mini.yaml'}: OK" in result.output
    for line in lines:
        assert re.match(rf"^{re.escape(str(tmp_path))}/[^:]+(:\d+:\d+:|: OK) \S", line), line
    assert "Traceback" not in result.output


def test_check_goes_on_past_a_file_whose_check_fails_unexpectedly(tmp_path, monkeypatch):
    from drejebog.engine import loader  # cli/main.py imports check_file when `check` runs

    (tmp_path / "a.yaml").write_text("x", encoding="utf-8")
    (tmp_path / "b.yaml").write_text((FIXTURES / "mini.yaml").read_text(encoding="utf-8"))
    real = loader.check_file

    def failing_for_a(path: Path):
        if path.name == "a.yaml":
            raise RecursionError("planted")
        return real(path)

    monkeypatch.setattr(loader, "check_file", failing_for_a)
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        f"{tmp_path / 'a.yaml'}:1:1: filen kunne ikke tjekkes (intern fejl: RecursionError)"
    )
    assert f"{tmp_path / 'b.yaml'}: OK" in result.output


@pytest.mark.parametrize("name", ["recursive-alias", "impossible-day", "flow-nesting-500"])
def test_simulate_reports_a_hostile_scenario_without_a_traceback(tmp_path, name):
    text, line, column, _ = HOSTILE[name]
    path = tmp_path / "scenarie.yaml"
    path.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["simulate", str(path)])
    assert result.exit_code == 1
    assert not isinstance(result.exception, RecursionError | ValueError)
    assert f"fejl: {path}:{line}:{column}: " in result.output


def test_a_shipped_drejebog_parses_with_no_problem_after_the_limits():
    for path in sorted(SHIPPED_DIR.glob("*.yaml")):
        drejebog, problems = parse_text(path.read_text(encoding="utf-8"), str(path))
        assert drejebog is not None
        assert problems == []


# the text of a version already in the store (aliases were legal once): expanded, capped
STORED_HOSTILE = {
    "recursive-alias": ("start: &a [*a]\n", 1, 12, "'*a' henviser til et anker, der ikke er sat"),
    "undefined-alias": ("drejebog: x\nstart: *b\n", 2, 8, "'*b' henviser til et anker"),
    # a 10, b 91, c 820, d 7,381, e 66,430 nodes: the first *e passes 100,000 in all
    "billion-laughs": (LAUGHS, 6, 8, "aliaserne udfolder sig til mere end 100.000 knuder"),
}


@pytest.mark.parametrize(
    ("text", "line", "column", "part"), STORED_HOSTILE.values(), ids=STORED_HOSTILE.keys()
)
def test_a_stored_text_s_aliases_are_capped_at_their_line_and_column(text, line, column, part):
    tree, problems = load_located(text, "gemt.yaml", aliases=True)
    assert tree is None
    (problem,) = problems
    assert (problem.file, problem.line, problem.column) == ("gemt.yaml", line, column)
    assert part in problem.message


def with_aliases(source: str) -> str:
    """mini.yaml with the reminder's recipient and a state's title written through aliases."""
    text = source.replace("ejer: sagsbehandler", "ejer: &ejer sagsbehandler", 1).replace(
        "{før: 3 dage, til: sagsbehandler,", "{før: 3 dage, til: *ejer,", 1
    )
    text = text.replace("titel: Visiteret", "titel: &visiteret Visiteret", 1)
    text = text.replace("titel: Afsluttet", "titel: *visiteret", 1)
    assert text.count("*ejer") == 1 and text.count("*visiteret") == 1
    return text


def test_a_stored_text_s_aliases_read_as_if_written_out_but_a_file_s_are_refused():
    source = (FIXTURES / "mini.yaml").read_text(encoding="utf-8")
    text = with_aliases(source)
    written_out = text.replace("&ejer ", "").replace("*ejer", "sagsbehandler")
    written_out = written_out.replace("&visiteret ", "").replace("*visiteret", "Visiteret")
    stored = load_text(text, "mini.yaml", stored=True)
    plain = load_text(written_out, "mini.yaml")
    assert stored.states["afsluttet"].title == "Visiteret"
    reminder = stored.states["rehab"].deadlines[0].reminders[0]
    assert reminder.roles == ("sagsbehandler",)
    assert replace(stored, content_hash="") == replace(plain, content_hash="")
    with pytest.raises(DrejebogInvalid, match=r"aliaset '\*ejer' er ikke tilladt"):
        load_text(text, "mini.yaml")
