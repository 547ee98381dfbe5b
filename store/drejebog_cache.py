"""Stored drejebog versions are parsed once per process, keyed by content hash (bounded).

A stored text is parsed as stored (`load_text(..., stored=True)`): a version loaded when YAML
aliases were still allowed keeps loading, its aliases expanded within the cap of
engine/yamlnodes.py, while a file given to `check` or `load` has them refused."""

from __future__ import annotations

from collections import OrderedDict

from drejebog.engine.loader import load_text
from drejebog.engine.model import Drejebog

_MAX_VERSIONS = 256


class DrejebogCache:
    def __init__(self) -> None:
        self._by_hash: OrderedDict[str, Drejebog] = OrderedDict()
        # (database, version key) -> drejebog: stored versions never change, so no query
        self._by_key: dict[tuple[str, int], Drejebog] = {}

    def by_key(self, database: object, version_key: int) -> Drejebog | None:
        return self._by_key.get((str(database), version_key))

    def remember_key(self, database: object, version_key: int, drejebog: Drejebog) -> None:
        if len(self._by_key) >= _MAX_VERSIONS:
            self._by_key.clear()
        self._by_key[(str(database), version_key)] = drejebog

    def get(self, content_hash: str, source_name: str, source_text: str) -> Drejebog:
        drejebog = self._by_hash.get(content_hash)
        if drejebog is None:
            drejebog = load_text(source_text, source_name, stored=True)
            self._by_hash[content_hash] = drejebog
            if len(self._by_hash) > _MAX_VERSIONS:
                self._by_hash.popitem(last=False)
        else:
            self._by_hash.move_to_end(content_hash)
        return drejebog
