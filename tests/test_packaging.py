"""Installed, the project claims one import name, `drejebog`, and runs from anywhere."""

from __future__ import annotations

import subprocess
import sys
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = ("engine", "app", "store", "notifications", "cli", "workflows")


def test_the_distribution_claims_only_drejebog() -> None:
    top_level = metadata.distribution("drejebog").read_text("top_level.txt") or ""
    assert top_level.split() == ["drejebog"]


def test_each_part_is_reached_under_drejebog_from_its_folder_at_the_root() -> None:
    for part in PARTS:
        link = ROOT / "drejebog" / part
        assert link.is_symlink() and link.resolve() == ROOT / part, part


def test_python_m_drejebog_runs_outside_the_repository(tmp_path: Path) -> None:
    """From another folder, so the repository's root is not on the path: the installed
    name alone must carry the command, its templates and its shipped drejebøger."""
    result = subprocess.run(
        [sys.executable, "-m", "drejebog", "check", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "Brug: python -m drejebog check" in result.stdout


def test_the_old_top_level_names_are_not_importable_from_elsewhere(tmp_path: Path) -> None:
    script = (
        "import importlib.util as u; print([n for n in ('engine','store','cli') if u.find_spec(n)])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout.strip() == "[]"
