"""Reading a posted form, bounded: the body at most MAX_BODY bytes, each value at most
MAX_VALUE characters, at most MAX_FIELDS fields, UTF-8 only, no control characters. Anything
else is refused with a Danish message (WebError), never a traceback or a 500."""

from __future__ import annotations

import unicodedata
from urllib.parse import parse_qsl

from starlette.requests import Request

from drejebog.web.errors import WebError

MAX_BODY = 64 * 1024  # bytes
MAX_VALUE = 4000  # characters of one field (a reason is at most 2000, app/cases.py)
MAX_FIELDS = 100
FORM_TYPE = "application/x-www-form-urlencoded"
_ALLOWED_CONTROLS = {"\t", "\n", "\r"}


async def read_form(
    request: Request,
    max_body: int = MAX_BODY,
    max_value: int = MAX_VALUE,
    raw_fields: frozenset[str] = frozenset(),
) -> dict[str, str]:
    """The posted form. `raw_fields`: fields whose control characters are left for their
    reader to report (a drejebog's YAML: the loader names the line and column)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_TYPE:
        raise WebError(415, "formularen er ikke sendt som en almindelig webformular")
    length = request.headers.get("content-length", "")
    too_big = WebError(413, f"formularen er for stor; højst {max_body // 1024} kB er tilladt")
    if length and (not length.isdigit() or int(length) > max_body):
        raise too_big
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > max_body:
            raise too_big
    try:
        pairs = parse_qsl(
            bytes(body).decode("utf-8"),
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FIELDS,
        )
    except UnicodeDecodeError:
        raise WebError(400, "formularen indeholder tegn, der ikke er gyldig UTF-8") from None
    except ValueError:
        raise WebError(400, f"formularen har for mange felter; højst {MAX_FIELDS}") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        shown = name[:40]
        if name in form:
            raise WebError(400, f"feltet '{shown}' er sendt to gange")
        if len(value) > max_value:
            raise WebError(
                413, f"feltet '{shown}' er {len(value)} tegn langt; højst {max_value} er tilladt"
            )
        if name in raw_fields:
            form[name] = value
            continue
        bad = next(
            (
                c
                for c in name + value
                if unicodedata.category(c) in ("Cc", "Cs") and c not in _ALLOWED_CONTROLS
            ),
            None,
        )
        if bad is not None:
            raise WebError(400, f"feltet '{shown}' indeholder et ugyldigt tegn (U+{ord(bad):04X})")
        form[name] = value
    return form
