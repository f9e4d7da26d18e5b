"""Lineage export to the standards: W3C PROV-JSON, OpenLineage run events, Graphviz dot.

``resolve_scope`` picks the jobs (an artifact's lineage or a session's current DAG); ``render``
builds the document from what of them may leave the machine (``public.public_scope``: secrets
redacted). Each format lives in its own module, imported only when asked for, so the ``prov``
and ``openlineage`` libraries cost nothing at daemon start. Blocking; run ``render`` in a
worker thread.
"""
from __future__ import annotations

import asyncio
import importlib
from dataclasses import dataclass

from roard.errors import InvalidArgument
from roard.lineage.export.public import public_scope
from roard.lineage.export.scope import ExportScope, resolve_scope
from roard.lineage.store import JobStore

#: format -> (module under roard.lineage.export, media type)
FORMATS: dict[str, tuple[str, str]] = {
    "prov-json": ("prov_json", "application/json"),
    "openlineage": ("openlineage_events", "application/x-ndjson"),
    "dot": ("dot", "text/vnd.graphviz"),
}

__all__ = ["FORMATS", "Document", "ExportScope", "check_format", "export", "media_type", "render",
           "resolve_scope"]


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InvalidArgument(f"unknown export format {fmt!r}; use one of: {', '.join(FORMATS)}")
    return fmt


def media_type(fmt: str) -> str:
    return FORMATS[check_format(fmt)][1]


def render(scope: ExportScope, fmt: str) -> str:
    module = importlib.import_module(f"roard.lineage.export.{FORMATS[check_format(fmt)][0]}")
    return module.build(public_scope(scope))


@dataclass
class Document:
    text: str
    media_type: str
    scope: ExportScope


async def export(store: JobStore, ref: str, cwd: str, fmt: str) -> Document:
    """``ref``'s lineage (see ``resolve_scope``) as a document in format ``fmt``."""
    check_format(fmt)
    scope = await resolve_scope(store, ref, cwd)
    return Document(await asyncio.to_thread(render, scope, fmt), media_type(fmt), scope)
