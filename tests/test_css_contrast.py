"""The contrast of every colour pair the web app's stylesheet (web/static/drejebog.css) sets,
computed as WCAG 2.1 defines it: text (`color`, an SVG text's `fill`) at least 4.5:1 against
the background it is drawn on (its rule's own, else the page's), a focus ring (`outline`) at
least 3:1 against the page (1.4.11). A colour added to the stylesheet is checked here at once;
the browser test (tests/web/test_accessibility.py) checks the rendered pages besides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

CSS = Path(__file__).resolve().parents[1] / "web" / "static" / "drejebog.css"
TEXT, NON_TEXT = 4.5, 3.0
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_HEX = re.compile(r"#([0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b")


def luminance(colour: str) -> float:
    digits = colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    channels = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    light, dark = sorted((luminance(one), luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def declarations(body: str) -> dict[str, str]:
    pairs = (part.split(":", 1) for part in body.split(";") if ":" in part)
    return {name.strip(): value.strip() for name, value in pairs}


def colour_pairs(css: str) -> list[tuple[str, str, str, float]]:
    """(selector, foreground, background, the ratio it needs) for each colour the CSS sets."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules = [(sel.strip(), declarations(body)) for sel, body in _RULE.findall(css)]
    page = next(d for sel, d in rules if sel == "body")
    page_background = _HEX.search(page.get("background", page.get("background-color", "")))
    assert page_background, "body har ingen baggrundsfarve"
    found = []
    for selector, values in rules:
        own = _HEX.search(values.get("background", values.get("background-color", "")))
        background = (own or page_background).group(0)
        for name in ("color", "fill"):
            if match := _HEX.search(values.get(name, "")):
                found.append((selector, match.group(0), background, TEXT))
        if match := _HEX.search(values.get("outline", "")):
            found.append((selector, match.group(0), page_background.group(0), NON_TEXT))
    return found


def test_the_ratio_is_wcags():
    assert contrast("#fff", "#000") == pytest.approx(21)
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)  # just too light
    assert contrast("#767676", "#fff") == pytest.approx(4.54, abs=0.01)  # just enough


def test_every_colour_pair_in_the_stylesheet_has_enough_contrast():
    pairs = colour_pairs(CSS.read_text(encoding="utf-8"))
    assert len(pairs) >= 7  # body, links, errors, ok, focus ring, the charts' two texts
    too_low = [
        f"{sel}: {fg} på {bg} er {contrast(fg, bg):.2f}:1, skal være ≥ {need}:1"
        for sel, fg, bg, need in pairs
        if contrast(fg, bg) < need
    ]
    assert too_low == []


def test_a_too_light_colour_is_found():
    css = "body { color: #111; background: #fff; }\n.svag { color: #999; }\n"
    [(selector, fg, bg, need), *_] = [p for p in colour_pairs(css) if p[0] == ".svag"]
    assert (selector, fg, bg, need) == (".svag", "#999", "#fff", TEXT)
    assert contrast(fg, bg) < need
