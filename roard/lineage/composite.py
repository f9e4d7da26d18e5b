"""Composite artifacts: a directory named by a Merkle hash over its files.

A directory node hashes ``roar-tree-v1\\n`` followed, for each entry sorted by the UTF-8 bytes
of its name, by ``f <name>\\0<file digest>\\n`` for a file or ``d <name>\\0<node hash>\\n`` for a
subdirectory (digests as 64 lowercase hex characters). Empty directories are not part of it, so
a subdirectory's node hash is the composite hash of that subdirectory on its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import blake3

from roard.lineage.model import FileEntry

_MAGIC = b"roar-tree-v1\n"


@dataclass
class Composite:
    """A directory moved or recorded as a whole; ``components`` have paths relative to it."""

    hash: str
    path: str            # repo-relative inside the repository, else absolute
    abs_path: str
    components: list[FileEntry] = field(default_factory=list)

    @property
    def size(self) -> int:
        return sum(c.size for c in self.components)


def merkle_hash(files: Iterable[tuple[str, str]]) -> str:
    """The composite hash of (relative POSIX path, BLAKE3 hex digest) pairs."""
    tree: dict[str, object] = {}
    for rel, digest in files:
        parts = [p for p in rel.split("/") if p not in ("", ".")]
        if not parts:
            raise ValueError(f"empty relative path in a composite: {rel!r}")
        node = tree
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ValueError(f"{rel!r} is both a file and a directory in a composite")
            node = child
        node[parts[-1]] = digest
    return _node_hash(tree)


def _node_hash(node: dict[str, object]) -> str:
    h = blake3.blake3(_MAGIC)
    for name in sorted(node, key=lambda n: n.encode("utf-8", "surrogateescape")):
        value = node[name]
        kind, digest = ("d", _node_hash(value)) if isinstance(value, dict) else ("f", str(value))
        h.update(f"{kind} {name}\0{digest}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def make_composite(path: str, abs_path: str, members: list[FileEntry]) -> Composite:
    """``members`` carry paths relative to the directory."""
    ordered = sorted(members, key=lambda m: m.path)
    return Composite(merkle_hash((m.path, m.hash) for m in ordered), path, abs_path, ordered)
