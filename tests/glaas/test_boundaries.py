"""glaas never imports roard or roarctl, and roard never imports glaas (16.md, DESIGN.md)."""
from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def imported(package: str) -> list[tuple[str, int, str]]:
    found = []
    for path in sorted((REPO / package).rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                found += [(str(path.relative_to(REPO)), node.lineno, a.name) for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((str(path.relative_to(REPO)), node.lineno, node.module))
    return found


def offending(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [f"{src}:{line} imports {name}" for src, line, name in imported(package)
            if name.split(".")[0] in forbidden]


def test_glaas_does_not_import_the_client_side():
    assert imported("glaas")  # the scan sees glaas's imports at all
    assert offending("glaas", ("roard", "roarctl")) == []


def test_roard_does_not_import_glaas():
    assert offending("roard", ("glaas",)) == []
