"""`drejebog demo`, the README's main job, runs from start to end on a fresh SQLite file."""

from __future__ import annotations

from click.testing import CliRunner

from cli.main import main


def test_demo_checks_draws_simulates_and_runs_a_case_in_sqlite(tmp_path):
    database = tmp_path / "demo.db"
    result = CliRunner().invoke(main, ["demo", "--database", str(database)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "ressourceforloeb.yaml: OK" in out and "jobrettet_samtale.yaml: OK" in out
    assert "stateDiagram-v2" in out
    assert "== Simulering: ressourceforloeb_anna.yaml ==" in out
    assert "sag 1 åbnet for Mette Madsen (610190-xxxx)" in out
    assert "overdragelse_holdt           overdragelse → ressourceforloeb  af karl" in out
    assert "tilstand 20. maj 2027: ressourceforloeb" in out
    assert "610190-0001" not in out
    assert database.exists()
