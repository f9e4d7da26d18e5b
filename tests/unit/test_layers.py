"""The package layering of ARCHITECTURE.md ("Layers"), checked over the import graph.

Every import statement (module level or inside a function, absolute or relative) of every module
under roard/, roarctl/ and roar_api/ is read with ``ast``; nothing is imported. A dependency
counts when it names a module of this repository or one of the forbidden libraries.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: roard's layers, lowest first. A module may import its own level and the levels below it.
#: Inside a level marked independent, a group may not import another group of that level.
LAYERS: list[tuple[str, bool, list[str]]] = [
    ("base", False, ["roard.errors", "roard.events", "roard.records"]),   # (and ``roard`` itself, empty)
    # Facts about the machine and files, and where things live: they may use each other.
    ("facts", False, ["roard.capture", "roard.hashing", "roard.tracing", "roard.config",
                      "roard.workspace.layout"]),
    ("records", False, ["roard.lineage"]),
    ("workspaces", False, ["roard.workspace"]),
    ("services: finalize", False, ["roard.finalize"]),
    ("services", True, ["roard.runs", "roard.transfers", "roard.registration", "roard.watch"]),
    ("services: reproduce", False, ["roard.reproduce"]),
    ("root", False, ["roard.daemon"]),
    ("handlers", False, ["roard.handlers"]),
    ("transport", False, ["roard.server", "roard.listener", "roard.main", "roard.__main__"]),
]
#: Libraries the domain (every level below handlers) never imports.
TRANSPORT_ONLY = ("grpc", "grpc_health", "grpc_reflection", "click", "roar_api.v1")


@dataclass(frozen=True)
class Import:
    source: str      # the importing module
    target: str      # the imported module (or module.name for ``from m import name``)
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path) -> list[Import]:
    source = module_name(path)
    package = source if path.name == "__init__.py" else source.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [Import(source, alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            found.append(Import(source, base, node.lineno))
            found += [Import(source, f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return found


def all_imports(package: str) -> list[Import]:
    return [imp for path in sorted((ROOT / package).rglob("*.py")) for imp in imports_of(path)]


def within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def place(module: str) -> tuple[int, str] | None:
    """(level index, group) of a roard module: its longest matching group."""
    if module == "roard":
        return (0, "roard")
    best: tuple[int, str] | None = None
    for index, (_, _, groups) in enumerate(LAYERS):
        for group in groups:
            if within(module, group) and (best is None or len(group) > len(best[1])):
                best = (index, group)
    return best


def layer_violations(imports: list[Import]) -> list[str]:
    problems = []
    for imp in imports:
        if not within(imp.target, "roard"):
            continue
        src, dst = place(imp.source), place(imp.target)
        if src is None or dst is None or src[1] == dst[1]:
            continue
        (s_level, s_group), (d_level, d_group) = src, dst
        name, independent, _ = LAYERS[s_level]
        if d_level > s_level:
            problems.append(f"{imp.source}:{imp.line} imports {imp.target}: {LAYERS[d_level][0]} is above "
                            f"{name}")
        elif d_level == s_level and independent:
            problems.append(f"{imp.source}:{imp.line} imports {imp.target}: {s_group} and {d_group} are "
                            f"independent {name}")
    return problems


def test_every_roard_module_has_a_layer() -> None:
    modules = [module_name(p) for p in sorted((ROOT / "roard").rglob("*.py"))]
    assert [m for m in modules if place(m) is None] == []


def test_roard_layers_point_down() -> None:
    assert layer_violations(all_imports("roard")) == []


def test_domain_never_imports_transport() -> None:
    handlers = next(i for i, layer in enumerate(LAYERS) if layer[0] == "handlers")
    bad = [f"{imp.source}:{imp.line} imports {imp.target}" for imp in all_imports("roard")
           if (place(imp.source) or (handlers, ""))[0] < handlers
           and any(within(imp.target, lib) for lib in TRANSPORT_ONLY)]
    assert bad == []


@pytest.mark.parametrize("package, forbidden", [
    ("roarctl", ("roard", "glaas")),
    ("roar_api", ("roard", "roarctl", "glaas")),
])
def test_client_and_shared_code_stay_apart(package: str, forbidden: tuple[str, ...]) -> None:
    bad = [f"{imp.source}:{imp.line} imports {imp.target}" for imp in all_imports(package)
           if any(within(imp.target, f) for f in forbidden)]
    assert bad == []


def test_the_checker_sees_a_violation() -> None:
    """The rules are live: an upward and a sideways import are reported, a downward one is not."""
    imports = [Import("roard.lineage.graph", "roard.workspace.registry", 1),
               Import("roard.runs.manager", "roard.transfers.fetch", 2),
               Import("roard.reproduce.plan", "roard.lineage.graph", 3)]
    problems = layer_violations(imports)
    assert len(problems) == 2
    assert "roard.workspace.registry" in problems[0] and "independent" in problems[1]
