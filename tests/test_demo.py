"""`drejebog demo`, the README's main job, on a fresh SQLite file (fewer citizens for speed)."""

from __future__ import annotations

import re

from click.testing import CliRunner

from drejebog.cli.main import main


def test_demo_runs_the_jobcenter_through_the_daemon_path(tmp_path):
    database = tmp_path / "demo.db"
    result = CliRunner().invoke(main, ["demo", "--database", str(database), "--borgere", "24"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "ressourceforloeb.yaml: OK" in out and "jobrettet_samtale.yaml: OK" in out
    assert "stateDiagram-v2" in out
    assert "== Simulering: ressourceforloeb_anna.yaml ==" in out
    assert "24 sager åbnet" in out
    for kind in ("påmindelse", "eskalering", "mangler"):
        assert re.search(rf"^  {kind} +→ \w+ +\d+$", out, re.M), kind
    # what the drejebøger prescribe: every deadline met late was escalated to the leder
    # exactly once (the breach notice), and none met in time was
    rows = re.findall(r"^  (\w+) +(\d+) rettidigt +(\d+) for sent +(\d+) eskaleret", out, re.M)
    assert rows and any(int(late) for _, _, late, _ in rows)
    for rule, _, late, escalated in rows:
        assert late == escalated, rule
    assert "--- Eksempel: dagens overblik" in out
    assert not re.search(r"\d{6}-\d{4}", out)  # no CPR number, masked or not
    assert database.exists()
