"""Versioned JSON for the typed records a job carries (git state, runtime, transfer): each is a
dataclass written as a JSON object with its schema version under ``"v"``. Reading accepts what
older roards wrote (no ``"v"``: version 0, the same field names) and refuses a newer version
rather than misread it."""
from __future__ import annotations

import dataclasses
from typing import Any, Mapping

from roard.errors import FailedPrecondition

VERSION_KEY = "v"


def dump(record: Any, version: int) -> dict[str, Any]:
    return {**dataclasses.asdict(record), VERSION_KEY: version}


def known_fields(cls: type, data: Mapping[str, Any] | None, version: int) -> dict[str, Any]:
    """The fields of ``cls`` present in ``data`` (unknown keys dropped), after checking that
    ``data`` is not from a newer schema than ``version``."""
    data = data or {}
    found = int(data.get(VERSION_KEY, 0))
    if found > version:
        raise FailedPrecondition(f"a {cls.__name__} record is schema version {found}, newer than this roard "
                                 f"understands ({version}); upgrade roar")
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in data.items() if k in names}


class DictView:
    """Read access by key (``record.get("commit")``), answering with the JSON form, for code
    written when these records were plain dicts. A bridge while that code moves to attributes;
    domain code reads attributes. Deliberately not a ``Mapping``: walkers that rebuild mappings
    must keep treating these as dataclasses."""

    def to_json(self) -> dict[str, Any]:
        raise NotImplementedError

    def _view(self) -> dict[str, Any]:
        view = self.to_json()
        view.pop(VERSION_KEY, None)
        return view

    def get(self, key: str, default: Any = None) -> Any:
        return self._view().get(key, default)

    def __getitem__(self, key: str) -> Any:
        return self._view()[key]

    def __contains__(self, key: object) -> bool:
        return key in self._view()

    def keys(self) -> Any:
        return self._view().keys()

    def items(self) -> Any:
        return self._view().items()
