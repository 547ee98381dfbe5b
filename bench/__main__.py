"""`python -m bench all [--quick]`: every figure of issue 12 in one table (bench/all.py)."""

from __future__ import annotations

import sys

from bench import all as all_figures

if len(sys.argv) < 2 or sys.argv[1] != "all":
    sys.exit("brug: python -m bench all [--quick] [--workdir MAPPE] [--json FIL]")
all_figures.main(sys.argv[2:])
