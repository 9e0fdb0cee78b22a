"""The house: every module imports only from the layers below its own, and no import cycles.

Imports are read from the source (function-level ones too; those under `if TYPE_CHECKING:` are
type hints, not dependencies). The order below is the README's picture of the layers.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "attribution"

# Lowest first. A unit is a first-level module or package of `attribution`.
LAYERS = [
    ["version", "registry", "files", "resources"],  # data files and plain helpers
    ["render"],  # views of the data model: record, HTML, text
    ["document", "labels", "ingest"],  # the data model, the label format, reading inputs
    ["parse"],  # parsers and the parse index
    ["encoder"],  # the base encoder both models share
    ["boilerplate", "attribute", "hedging", "labeling", "classify", "reliability", "claims"],  # the stages, in order
    ["pipeline"],
    ["corpora"],
    ["evaluate", "train"],
    ["output", "review"],
    ["cluster"],  # annotate on a Dask cluster
    ["cli", "__init__"],
]
RANK = {unit: rank for rank, unit in enumerate(unit for layer in LAYERS for unit in layer)}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imports_of(path: Path) -> set[str]:
    """The attribution modules a file imports at run time."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("attribution"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            if base.startswith("attribution"):
                for alias in node.names:  # `from attribution import resources` imports a submodule
                    candidate = f"{base}.{alias.name}"
                    found.add(candidate if (PACKAGE.parent / candidate.replace(".", "/")).exists()
                              or (PACKAGE.parent / f"{candidate.replace('.', '/')}.py").exists() else base)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    found.discard(module)
    return found


def _unit(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _graph() -> dict[str, set[str]]:
    return {_module_name(path): imports_of(path) for path in PACKAGE.rglob("*.py")}


def test_every_unit_has_a_layer() -> None:
    units = {_unit(module) for module in _graph()}
    assert units <= set(RANK), f"units without a layer: {sorted(units - set(RANK))}"


def test_units_import_only_downward() -> None:
    upward = sorted(f"{module} -> {target}" for module, targets in _graph().items() for target in targets
                    if _unit(target) != _unit(module) and RANK[_unit(target)] > RANK[_unit(module)])
    assert not upward, "imports from a lower layer to a higher one:\n" + "\n".join(upward)


def test_no_import_cycles_between_modules() -> None:
    graph = _graph()
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    cycles: list[list[str]] = []

    def walk(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(graph.get(module, ())):
            if state.get(target) == 1:
                cycles.append(path[path.index(target):] + [target] if target in path else [module, target])
            elif target not in state:
                walk(target, path + [target])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_the_checker_sees_function_level_imports_and_skips_type_hints(tmp_path: Path) -> None:
    source = PACKAGE / "render" / "record.py"
    assert "attribution.document" not in imports_of(source)  # a type hint only
    assert "attribution.render.record" in imports_of(PACKAGE / "document.py")
    assert "attribution.classify.labeler" in imports_of(PACKAGE / "pipeline.py")  # imported inside a function
