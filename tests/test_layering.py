"""The package's import graph, function-level imports included: no cycle, and the packages in the
order of the flow (docs/architecture.md), each importing only the layers below it."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import conformance

ROOT = Path(conformance.__file__).parent
ENTRY_POINTS = {"conformance.cli", "conformance.__main__", "conformance.commands"}
# The layers, lowest first: a module imports only its own layer and those before it. `conformance`
# is the package face (its version), which any layer may read.
LAYERS = (
    "conformance",
    "signing",
    "core",
    "contract",
    "profile",
    "transport",
    "generation",
    "checks",
    "reference",
    "gateway",
    "engine",
    "results",
    "preflight",
    "report",
    "observe",
    "pytest",
    "suite",
    "plugin",
    "commands",
    "cli",
    "__main__",
)
# What may sit directly in conformance/: the package face, the entry points and the plugin.
TOP_MODULES = {"__init__.py", "__main__.py", "cli.py", "plugin.py"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path, modules: set[str]) -> Iterator[str]:
    """Every conformance module the file imports, at any depth of the file, TYPE_CHECKING aside."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skipped = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
        for child in node.body
        for n in ast.walk(child)
    }
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            source = f"{base}.{node.module}" if node.level and node.module else node.module or base
            for alias in node.names:
                full = f"{source}.{alias.name}"
                yield full if full in modules else source


def graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in ROOT.rglob("*.py")}
    modules = set(paths)
    return {
        name: {m for m in imported(path, modules) if m in modules and m != name}
        for name, path in paths.items()
    }


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycle() -> None:
    assert cycles(graph()) == []


def test_nothing_imports_the_plugin_or_the_cli() -> None:
    edges = graph()
    importers = {
        name: sorted(m for m in targets if m in ("conformance.plugin", "conformance.cli"))
        for name, targets in edges.items()
        if not any(name == e or name.startswith(e + ".") for e in ENTRY_POINTS)
    }
    assert {k: v for k, v in importers.items() if v} == {}


def layer(module: str) -> str:
    """The layer of a module: its first name below `conformance`, or the package face."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def upward(edges: dict[str, set[str]]) -> list[str]:
    """Every import that reaches a layer above the importer's own."""
    rank = {name: i for i, name in enumerate(LAYERS)}
    return sorted(
        f"{a} -> {b}"
        for a, targets in edges.items()
        for b in targets
        if rank[layer(b)] > rank[layer(a)]
    )


def test_every_package_has_its_layer() -> None:
    assert {layer(m) for m in graph()} == set(LAYERS)


def test_each_layer_imports_only_those_below_it() -> None:
    assert upward(graph()) == []


def test_an_upward_import_is_found() -> None:
    edges = {"conformance.core.model": {"conformance.engine.recorder"}}
    assert upward(edges) == ["conformance.core.model -> conformance.engine.recorder"]
    assert upward({"conformance.engine.recorder": {"conformance.core.model"}}) == []


def test_only_the_face_and_the_entry_points_sit_at_the_top() -> None:
    assert {p.name for p in ROOT.glob("*.py")} == TOP_MODULES


def test_a_cycle_is_found() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_only_signing_imports_the_crypto_library() -> None:
    importers = set()
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom) and not node.level
                else []
            )
            if any(n.split(".")[0] == "cryptography" for n in names):
                importers.add(layer(module_name(path)))
    assert importers == {"signing"}


def test_the_public_import_paths_hold() -> None:
    """What docs/architecture.md declares public: the version, the plugin, the command line, the
    protocol's signatures and the reference implementations' variants."""
    import conformance.plugin
    from conformance.cli import main
    from conformance.reference.faults import all_faults, make_server, make_wallet
    from conformance.signing import RSA256Auth, signed_headers, verify_message

    assert conformance.__version__ and conformance.plugin.__name__ == "conformance.plugin"
    assert all(map(callable, (main, all_faults, make_server, make_wallet, signed_headers)))
    assert callable(verify_message) and isinstance(RSA256Auth, type)
