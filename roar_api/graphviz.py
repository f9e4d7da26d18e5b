"""Graphviz (dot) text for a directed graph: the one writer behind `roarctl dag --format dot`
(jobs) and `roarctl export --format dot` (jobs and artifacts). No dependencies."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

HEADER = ("rankdir=LR;", 'node [shape=box, fontname="monospace"];')


@dataclass
class DotNode:
    id: str
    label: str
    attrs: dict[str, str] = field(default_factory=dict)


def quote(text: str) -> str:
    """A dot ID string: backslashes, quotes and newlines escaped."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _node_line(node: DotNode) -> str:
    attrs = {"label": node.label, **node.attrs}
    body = ", ".join(f"{key}={quote(value)}" for key, value in attrs.items())
    return f"  {quote(node.id)} [{body}];"


def digraph(nodes: Iterable[DotNode], edges: Iterable[tuple[str, str]], name: str = "roar") -> str:
    """``digraph NAME { ... }`` with the nodes in order, then the edges (by node id)."""
    lines = [f"digraph {name} {{", *(f"  {h}" for h in HEADER)]
    lines += [_node_line(n) for n in nodes]
    lines += [f"  {quote(a)} -> {quote(b)};" for a, b in edges]
    lines.append("}")
    return "\n".join(lines)
