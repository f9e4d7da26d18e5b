"""Graphviz dot of the lineage: jobs (boxes, by uid) and artifacts (notes, by hash); an edge
from each input to the job that read it and from each job to what it wrote. The exported
artifact, if any, is highlighted."""
from __future__ import annotations

from roar_api.graphviz import DotNode, digraph
from roard.lineage.export.scope import ExportScope, artifacts, command_line
from roard.lineage.model import FileEntry

_MAX_COMMAND = 60


def _short(text: str) -> str:
    return text if len(text) <= _MAX_COMMAND else text[:_MAX_COMMAND - 3] + "..."


def build(scope: ExportScope) -> str:
    nodes = [DotNode(job.uid, f"{job.ref}\n{_short(command_line(job))}") for job in scope.jobs]
    for art in artifacts(scope.jobs).values():
        attrs = {"shape": "note"}
        if art.hash == scope.focus:
            attrs.update(style="filled", fillcolor="#c0e0ff")
        nodes.append(DotNode(art.hash, f"{', '.join(art.paths)}\n{art.hash[:12]}", attrs))
    edges: list[tuple[str, str]] = []
    for job in scope.jobs:
        edges += [(h, job.uid) for h in _hashes(job.inputs)]
        edges += [(job.uid, h) for h in _hashes(job.outputs)]
    return digraph(nodes, edges) + "\n"


def _hashes(entries: list[FileEntry]) -> list[str]:
    return list(dict.fromkeys(e.hash for e in entries if e.hash))
