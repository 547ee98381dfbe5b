"""`check` of a generated 500-state drejebog, in-process (issue 12 point 7).

    PYTHONPATH=. .venv/bin/python -m bench.check_speed --states 500

The drejebog is a chain of N states, each with a deadline (a reminder and two escalation
rungs), a task and an event to the next state, every name and date fact referenced as a real
drejebog would: about 60 lines a state. The figure is the median of 5 runs of
`engine.loader.parse_text` (what `drejebog check` runs on a file), after one warm-up run;
parse_text's analysis cache is cleared before each run, so every run parses and checks.
"""

from __future__ import annotations

import argparse
import statistics
import time

from drejebog.engine import loader


def generated(states: int) -> str:
    lines = [
        "drejebog: stor",
        "titel: En stor drejebog",
        "version: 1",
        "fakta:",
        "  start_dato: {titel: Startdato, type: dato}",
        "start: s0",
        "tilstande:",
    ]
    for i in range(states):
        last = i == states - 1
        lines += [f"  s{i}:", f"    titel: Tilstand {i}"]
        if last:
            lines.append("    slut: true")
            continue
        lines += [
            "    frister:",
            f"      - navn: frist_{i}",
            f"        titel: Frist {i}",
            "        frist: 14 dage",
            "        regnes_fra: start_dato",
            "        ejer: sagsbehandler",
            f"        opfyldes_af: videre_{i}",
            "        påmindelser:",
            "          - {før: 3 dage, til: sagsbehandler}",
            "        eskalering:",
            "          - {efter: 0 dage, til: leder}",
            "          - {efter: 5 arbejdsdage, til: projektleder}",
            "    opgaver:",
            f"      - navn: opgave_{i}",
            f"        titel: Opgave {i}",
            "        rolle: sagsbehandler",
            f"        opfyldes_af: videre_{i}",
        ]
    lines.append("hændelser:")
    lines += ["  begynd:", "    fra: s0", "    data: [start_dato]"]
    for i in range(states - 1):
        lines += [
            f"  videre_{i}:",
            f"    titel: Videre fra {i}",
            f"    fra: s{i}",
            f"    til: s{i + 1}",
        ]
    return "\n".join(lines) + "\n"


def measure(states: int, runs: int = 5) -> tuple[float, int, int]:
    """(median seconds, lines, problems found) of checking the generated drejebog."""
    text = generated(states)
    samples = []
    problems = 0
    for run in range(runs + 1):
        clear = getattr(loader, "clear_cache", None)
        if callable(clear):
            clear()
        started = time.perf_counter()
        _, found = loader.parse_text(text + f"# kørsel {run}\n", "stor.yaml")
        if run:  # the first is a warm-up
            samples.append(time.perf_counter() - started)
        problems = len(found)
    return statistics.median(samples), text.count("\n"), problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--states", type=int, default=500)
    args = parser.parse_args()
    seconds, lines, problems = measure(args.states)
    print(f"{args.states} states, {lines} lines, {problems} problems: {seconds * 1000:.0f} ms")


if __name__ == "__main__":
    main()
