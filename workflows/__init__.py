"""The drejebøger shipped with drejebog, and their example scenarios."""

from pathlib import Path

SHIPPED_DIR = Path(__file__).resolve().parent
SCENARIOS_DIR = SHIPPED_DIR / "scenarios"
