"""Load and check drejebøger: the one entry point the CLI, the store and the tests use."""

from __future__ import annotations

import errno
import hashlib
from dataclasses import replace
from pathlib import Path

from drejebog.engine.errors import DrejebogInvalid, Problem
from drejebog.engine.model import Drejebog
from drejebog.engine.parser import DrejebogParser
from drejebog.engine.validator import graph_problems
from drejebog.engine.yamlnodes import MAX_FILE_BYTES, load_located, size_problem

YAML_SUFFIXES = (".yaml", ".yml")


def parse_text(
    text: str, filename: str, stored: bool = False
) -> tuple[Drejebog | None, list[Problem]]:
    """Parse and check a drejebog's text; the drejebog is None when it cannot be built.
    `stored`: the text of a version already in the store, where YAML aliases (legal when it
    was loaded) are expanded within a cap instead of refused (engine/yamlnodes.py)."""
    tree, problems = load_located(text, filename, aliases=stored)
    if tree is None:
        return None, problems
    parser = DrejebogParser(filename)
    drejebog = parser.parse(tree)
    problems = problems + parser.problems
    if drejebog is None:
        return None, problems
    problems += graph_problems(drejebog, filename)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return replace(drejebog, source=filename, content_hash=digest), sorted(problems)


def load_text(text: str, filename: str = "<tekst>", stored: bool = False) -> Drejebog:
    drejebog, problems = parse_text(text, filename, stored)
    if problems or drejebog is None:
        raise DrejebogInvalid(problems or [Problem(filename, 1, 1, "drejebogen er tom")])
    return drejebog


# why the OS could not read a file, in Danish (its own strerror is English)
_OS_REASONS = {
    errno.ENOENT: "den findes ikke",
    errno.EACCES: "adgang nægtet",
    errno.EPERM: "adgang nægtet",
    errno.EISDIR: "det er en mappe",
    errno.ENOTDIR: "en del af stien er ikke en mappe",
    errno.ENAMETOOLONG: "stien er for lang",
    errno.ELOOP: "stien har for mange symbolske links",
    errno.EIO: "disken svarer ikke (I/O)",
}


def os_problem(exc: OSError) -> str:
    """Why a file could not be read, in Danish; an errno without a text here by its name."""
    reason = _OS_REASONS.get(exc.errno or 0) or errno.errorcode.get(exc.errno or 0, "ukendt")
    return f"filen kan ikke læses: {reason}"


def decode(data: bytes, filename: str) -> str:
    """UTF-8 bytes as text with universal newlines (as a file opened in text mode reads:
    CRLF and CR become LF); a byte that is not UTF-8 is DrejebogInvalid at its line:column."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = _newlines(data[: exc.start].decode("utf-8"))  # all text before the byte
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        byte = data[exc.start]
        raise DrejebogInvalid(
            [
                Problem(
                    filename,
                    line,
                    column,
                    f"filen er ikke UTF-8-tekst: byten 0x{byte:02X} kan ikke læses her "
                    "(gem filen som UTF-8)",
                )
            ]
        ) from exc
    return _newlines(text)


def _newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_text(path: Path) -> str:
    """The file's text; DrejebogInvalid when it is unreadable, not UTF-8 or over the size cap.

    At most `MAX_FILE_BYTES` + 1 bytes are read, so a huge file (or a device that never
    ends) costs no more than the cap, and is refused by its size.
    """
    try:
        if path.is_file() and path.stat().st_size > MAX_FILE_BYTES:
            raise DrejebogInvalid([size_problem(str(path))])
        with path.open("rb") as stream:
            data = stream.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise DrejebogInvalid([Problem(str(path), 1, 1, os_problem(exc))]) from exc
    if len(data) > MAX_FILE_BYTES:
        raise DrejebogInvalid([size_problem(str(path))])
    return decode(data, str(path))


def load_file(path: str | Path) -> Drejebog:
    """The drejebog in `path`; raises DrejebogInvalid carrying every problem."""
    path = Path(path)
    return load_text(read_text(path), str(path))


def drejebog_files(paths: list[str | Path]) -> list[Path]:
    """Files named directly, plus every *.yaml directly inside a named folder (sorted)."""
    files: list[Path] = []
    for entry in map(Path, paths):
        if entry.is_dir():
            files.extend(sorted(p for p in entry.iterdir() if p.suffix in YAML_SUFFIXES))
        else:
            files.append(entry)
    return files


def check_file(path: Path) -> tuple[Drejebog | None, list[Problem]]:
    try:
        text = read_text(path)
    except DrejebogInvalid as exc:
        return None, exc.problems
    return parse_text(text, str(path))
