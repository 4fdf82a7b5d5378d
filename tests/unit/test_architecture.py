"""The import direction of DESIGN.md: a module imports only from layers below it."""

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "impactbond"

# Layer of each module (lower number = lower layer); a module may import its own layer or below.
LAYERS = {
    "errors": 0,
    "_version": 0,
    "money": 1,
    "calendar": 1,
    "status": 1,
    "core": 2,
    "domain": 3,
    "register": 3,
    "settle": 4,
    "finance": 4,
    "simulate": 4,
    "explain": 4,
    "io": 5,
    "report": 5,
    "render": 5,
    "plot": 5,
    "price_report": 5,
    "scale": 5,
    "ledger": 5,
    "cli": 6,
    "examples": 6,
    "testing": 6,
}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "impactbond" or len(parts) < 2:
        return None
    return LAYERS.get(parts[1])


def _modules() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py") if p.name != "__init__.py" or p.parent != SRC)


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_downwards(path: Path) -> None:
    rel = path.relative_to(SRC).with_suffix("")
    own = LAYERS[rel.parts[0]]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    # A notebook display hook (`_repr_html_`) may reach the presentation layer lazily.
    hooks = [
        f for f in ast.walk(tree) if isinstance(f, ast.FunctionDef) and f.name == "_repr_html_"
    ]
    exempt = {id(n) for f in hooks for n in ast.walk(f)}
    for node in ast.walk(tree):
        if id(node) in exempt:
            continue
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            layer = _layer(name)
            assert layer is None or layer <= own, (
                f"{rel} (layer {own}) imports {name} (layer {layer})"
            )


def test_core_is_pure_numpy() -> None:
    allowed = {
        "numpy",
        "enum",
        "math",
        "typing",
        "collections",
        "__future__",
        "dataclasses",
        "impactbond",
    }
    for path in (SRC / "core").glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.level > 0:
                continue  # relative: inside core
            if isinstance(node, ast.ImportFrom) and node.module:
                root = node.module.split(".")[0]
            elif isinstance(node, ast.Import):
                root = node.names[0].name.split(".")[0]
            else:
                continue
            assert root in allowed, f"core/{path.name} imports {root}"
            if root == "impactbond":
                assert isinstance(node, ast.ImportFrom) and node.module.startswith(
                    "impactbond.core"
                )
