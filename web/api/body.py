"""Reading a JSON body, bounded: at most MAX_BODY bytes (checked while it streams in, before it
is parsed), nesting at most MAX_DEPTH deep (counted before parsing, so a bomb of brackets never
reaches the parser's recursion), UTF-8 only, no NaN or Infinity, no control character or lone
surrogate in any text, a JSON object at the top. Anything else is an ApiError with a Danish
message naming the problem."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from starlette.requests import Request

from drejebog.web.api.errors import ApiError

MAX_BODY = 64 * 1024  # bytes
MAX_DEPTH = 8  # an event's data is one level below the body; nothing of ours goes deeper
MAX_STRING = 4000  # characters of one text (a reason is at most 2000, app/cases.py)
JSON_TYPE = "application/json"
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


def nesting_depth(text: str) -> int:
    """How deep the brackets nest, outside strings (one linear pass, no recursion)."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def _refuse_constant(name: str) -> object:
    raise ApiError(400, f"JSON-værdien {name} er ikke tilladt; send et tal")


def _check_texts(value: object, where: str) -> None:
    if isinstance(value, str):
        if len(value) > MAX_STRING:
            raise ApiError(
                413, f"feltet '{where}' er {len(value)} tegn langt; højst {MAX_STRING} er tilladt"
            )
        bad = next(
            (
                c
                for c in value
                if unicodedata.category(c) in ("Cc", "Cs") and c not in _ALLOWED_CONTROLS
            ),
            None,
        )
        if bad is not None:
            raise ApiError(400, f"feltet '{where}' indeholder et ugyldigt tegn (U+{ord(bad):04X})")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_texts(key, where)
            _check_texts(item, f"{where}.{key}"[:80] if where else str(key)[:40])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_texts(item, f"{where}[{index}]"[:80])


async def read_json(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != JSON_TYPE:
        raise ApiError(415, f"send kroppen som JSON (Content-Type: {JSON_TYPE})")
    too_big = ApiError(413, f"kroppen er for stor; højst {MAX_BODY // 1024} kB er tilladt")
    length = request.headers.get("content-length", "")
    if length and (not length.isdigit() or int(length) > MAX_BODY):
        raise too_big
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise too_big
    try:
        text = bytes(body).decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "kroppen er ikke gyldig UTF-8") from None
    if nesting_depth(text) > MAX_DEPTH:
        raise ApiError(400, f"JSON-kroppen er indlejret for dybt; højst {MAX_DEPTH} niveauer")
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ApiError(
            400, f"kroppen er ikke gyldig JSON (linje {exc.lineno}, kolonne {exc.colno})"
        ) from None
    if not isinstance(data, dict):
        raise ApiError(400, "kroppen skal være et JSON-objekt ({...})")
    _check_texts(data, "")
    return data
