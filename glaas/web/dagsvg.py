"""Lineage pictures: a DAG of jobs and artifacts laid out left to right by Graphviz ``dot``.

``dot`` is a separate program (Debian package ``graphviz``), kept running between pictures
(see dotworkers). It is fed from a worker thread, never on the event loop, and its SVG is
cached by the DOT source's content: the same graph is laid out once per process. The cache holds only a pure function of its key, so two server
processes can never disagree about it. Without ``dot`` on PATH, :func:`render_svg` answers
None and the page shows a plain list instead.
"""
from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import shutil
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from glaas.web import dotworkers

JOB, ARTIFACT = "job", "artifact"
# A picture with more nodes than this is cut (the page says so); dot gets slow past a few hundred.
MAX_NODES = 300
DOT_TIMEOUT_S = 20.0
CACHE_ENTRIES = 512
log = logging.getLogger("glaas.web")


@dataclass(frozen=True)
class DagNode:
    key: str            # unique within the picture, e.g. "a:<hash>" or "j:<uid>"
    kind: str           # JOB or ARTIFACT
    label: str          # first line shown in the box
    href: str           # the page a click opens
    detail: str = ""    # second, smaller line (a size, an exit status)
    tooltip: str = ""
    focus: bool = False  # the record whose page this is


@dataclass
class Dag:
    nodes: list[DagNode] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)  # (from key, to key)
    truncated: bool = False  # more nodes existed than were drawn

    def add_node(self, node: DagNode) -> bool:
        """Adds the node unless present or the picture is full; True when it is in the picture."""
        if any(n.key == node.key for n in self.nodes):
            return True
        if len(self.nodes) >= MAX_NODES:
            self.truncated = True
            return False
        self.nodes.append(node)
        return True

    def add_edge(self, src: str, dst: str) -> None:
        keys = {n.key for n in self.nodes}
        if src in keys and dst in keys and (src, dst) not in self.edges:
            self.edges.append((src, dst))


def _quote(text: str) -> str:
    """A DOT double-quoted string (escString): backslashes and quotes escaped, no newlines."""
    text = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + re.sub(r"[\r\n]+", " ", text) + '"'


def _html_label(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))


def _node_label(node: DagNode) -> str:
    """An HTML-like label: the name in the node's font, the detail smaller and grey below it."""
    main = _html_label(node.label)
    if node.focus:
        main = f"<B>{main}</B>"
    if not node.detail:
        return f"<{main}>"
    return f'<{main}<BR/><FONT POINT-SIZE="9" COLOR="#5b6472">{_html_label(node.detail)}</FONT>>'


_STYLE = {
    JOB: 'shape=box style="rounded,filled" fillcolor="#e8f0fe" color="#3b6fd4"',
    ARTIFACT: 'shape=note style=filled fillcolor="#f6f8fa" color="#8a94a3"',
}
_FOCUS = 'fillcolor="#fff4d6" color="#c98a00" penwidth=2'


def to_dot(dag: Dag) -> str:
    """The DOT source for a DAG: left to right, each node a link to its page."""
    lines = [
        "digraph lineage {",
        '  graph [rankdir=LR bgcolor="transparent" nodesep=0.25 ranksep=0.45 fontname="Helvetica"];',
        '  node [fontname="Helvetica" fontsize=11 margin="0.12,0.06" height=0.3];',
        '  edge [color="#8a94a3" arrowsize=0.7];',
    ]
    ids = {node.key: f"n{i}" for i, node in enumerate(dag.nodes)}
    for node in dag.nodes:
        attrs = [_STYLE[node.kind], f"label={_node_label(node)}", f"URL={_quote(node.href)}",
                 'target="_top"', f"tooltip={_quote(node.tooltip or node.label)}",
                 f"id={_quote(f'{node.kind}-{ids[node.key]}')}", f"class={_quote(node.kind)}"]
        if node.focus:
            attrs.append(_FOCUS)
        lines.append(f"  {ids[node.key]} [{' '.join(attrs)}];")
    for src, dst in dag.edges:
        lines.append(f"  {ids[src]} -> {ids[dst]};")
    lines.append("}")
    return "\n".join(lines) + "\n"


def dot_program() -> str | None:
    """The path of Graphviz's ``dot``, or None when it is not installed."""
    return shutil.which("dot")


class DotError(RuntimeError):
    """dot failed or took too long on a graph."""


class _SvgCache:
    """A bounded LRU map from the DOT source's SHA-256 to its SVG, safe across threads."""

    def __init__(self, entries: int) -> None:
        self.entries = entries
        self._items: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            svg = self._items.get(key)
            if svg is not None:
                self._items.move_to_end(key)
            return svg

    def put(self, key: str, svg: str) -> None:
        with self._lock:
            self._items[key] = svg
            self._items.move_to_end(key)
            while len(self._items) > self.entries:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


svg_cache = _SvgCache(CACHE_ENTRIES)

_PROLOGUE = re.compile(r"^.*?(?=<svg\b)", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def run_dot(source: str, program: str) -> str:
    """Lays the source out with ``dot -Tsvg`` (a pooled, long-lived process; blocking: call it
    in a worker thread). Returns the ``<svg>`` element alone (no XML prologue, doctype or
    comments), ready to be placed inside an HTML page."""
    try:
        svg = dotworkers.pool_for(program).render(source, DOT_TIMEOUT_S)
    except dotworkers.DotFailed as exc:
        raise DotError(str(exc)) from None
    svg = _PROLOGUE.sub("", svg, count=1)
    return _COMMENT.sub("", svg).strip()


def _render_source(source: str, key: str) -> str | None:
    program = dot_program()
    if program is None:
        return None
    svg = run_dot(source, program)
    svg_cache.put(key, svg)
    return svg


def render_svg_blocking(dag: Dag) -> str | None:
    """The DAG's SVG (cached by content), or None when ``dot`` is not installed."""
    source = to_dot(dag)
    key = hashlib.sha256(source.encode()).hexdigest()
    return svg_cache.get(key) or _render_source(source, key)


@dataclass(frozen=True)
class Picture:
    """A page's lineage picture: the SVG, or why there is none (the page then lists the nodes)."""

    svg: str | None
    problem: str = ""


NO_DOT = "The lineage picture needs Graphviz's dot on the server"


async def render_svg(dag: Dag) -> Picture:
    """The DAG's picture with dot run in a worker thread; a cache hit costs no thread hop.
    Never raises: without dot, or when dot fails, the Picture says why."""
    if not dag.nodes:
        return Picture(None)
    source = to_dot(dag)
    key = hashlib.sha256(source.encode()).hexdigest()
    svg = svg_cache.get(key)
    if svg is not None:
        return Picture(svg)
    try:
        svg = await asyncio.to_thread(_render_source, source, key)
    except DotError as exc:
        log.warning("lineage picture not drawn: %s", exc)
        return Picture(None, "The lineage picture could not be drawn this time")
    return Picture(svg) if svg is not None else Picture(None, NO_DOT)
