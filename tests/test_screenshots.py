"""The README's screenshots (docs/screenshots.py makes them): each image the README shows is
in docs/screenshots/, a PNG of 1280×800 and small; each PNG there is shown."""

from __future__ import annotations

import re
import struct
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MAX_BYTES = 150 * 1024
PAGES = {"login", "mit_arbejde", "sager", "sag", "leder", "maaltal"}


def test_the_readme_shows_each_screenshot_and_each_is_a_small_1280_by_800_png():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    shown = re.findall(r"!\[[^\]]+\]\((docs/screenshots/[a-z_]+\.png)\)", readme)
    assert {Path(path).stem for path in shown} == PAGES
    on_disk = {path.stem for path in (ROOT / "docs" / "screenshots").glob("*.png")}
    assert on_disk == PAGES
    for path in shown:
        data = (ROOT / path).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", path
        assert struct.unpack(">II", data[16:24]) == (1280, 800), path
        assert len(data) <= MAX_BYTES, f"{path}: {len(data)} bytes"
