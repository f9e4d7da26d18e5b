"""Lineage export to the standards: W3C PROV-JSON, OpenLineage run events, Graphviz dot.

``resolve_scope`` picks the jobs (an artifact's lineage or a session's current DAG); ``render``
builds the document. Each format lives in its own module, imported only when asked for, so the
``prov`` and ``openlineage`` libraries cost nothing at daemon start. Blocking; run ``render``
in a worker thread.
"""
from __future__ import annotations

import importlib

from roard.errors import InvalidArgument
from roard.lineage.export.scope import ExportScope, resolve_scope

#: format -> (module under roard.lineage.export, media type)
FORMATS: dict[str, tuple[str, str]] = {
    "prov-json": ("prov_json", "application/json"),
    "openlineage": ("openlineage_events", "application/x-ndjson"),
    "dot": ("dot", "text/vnd.graphviz"),
}

__all__ = ["FORMATS", "ExportScope", "check_format", "media_type", "render", "resolve_scope"]


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InvalidArgument(f"unknown export format {fmt!r}; use one of: {', '.join(FORMATS)}")
    return fmt


def media_type(fmt: str) -> str:
    return FORMATS[check_format(fmt)][1]


def render(scope: ExportScope, fmt: str) -> str:
    module = importlib.import_module(f"roard.lineage.export.{FORMATS[check_format(fmt)][0]}")
    return module.build(scope)
