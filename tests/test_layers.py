"""The layers point down only: errors → config → db → models → services → bootstrap → demo → tui/cli.

Every import in the package (at the top of a module or inside a function) is read from the source,
so a late `from officeconsole.services import ...` in the database layer fails here as surely as a
top-level one. Services are plain Python: Textual and Typer stay out of them.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "officeconsole"
LAYERS = ("errors", "config", "error_log", "db", "models", "services", "bootstrap", "demo", "tui", "cli", "__main__")
RANK = {"errors": 0, "config": 1, "error_log": 1, "db": 2, "models": 3, "services": 4, "bootstrap": 5, "demo": 6, "tui": 7,
        "cli": 7, "__main__": 8}
UI_LIBRARIES = ("textual", "typer", "click")


def _layer(module: str) -> str:
    return module.split(".")[1] if module.count(".") else "__init__"


def _imports(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        yield path, ".".join(parts)


def test_every_module_belongs_to_a_layer():
    layers = {_layer(name) for _, name in _modules()}
    assert layers <= {*LAYERS, "__init__"}, f"place these in the layer table: {layers - {*LAYERS, '__init__'}}"


@pytest.mark.parametrize("layer", [name for name in LAYERS if name not in ("tui", "cli", "__main__")])
def test_a_layer_imports_nothing_above_it(layer):
    wrong = []
    for path, name in _modules():
        if _layer(name) != layer:
            continue
        for line, imported in _imports(path):
            if imported.startswith("officeconsole.") and RANK.get(_layer(imported), 0) > RANK[layer]:
                wrong.append(f"{path.relative_to(PACKAGE.parent)}:{line} imports {imported}")
    assert not wrong, "\n".join(wrong)


def test_services_and_below_never_import_the_terminal_libraries():
    wrong = [f"{path.relative_to(PACKAGE.parent)}:{line} imports {imported}"
             for path, name in _modules() if RANK.get(_layer(name), 0) <= RANK["services"]
             for line, imported in _imports(path) if imported.split(".")[0] in UI_LIBRARIES]
    assert not wrong, "\n".join(wrong)


def test_the_screens_never_import_the_commands():
    """The commands may open the console (`officeconsole`, `officeconsole demo`); never the reverse."""
    wrong = [f"{path.relative_to(PACKAGE.parent)}:{line} imports {imported}"
             for path, name in _modules() if _layer(name) == "tui"
             for line, imported in _imports(path)
             if imported.startswith("officeconsole.") and _layer(imported) == "cli"]
    assert not wrong, "\n".join(wrong)


def test_every_service_module_sits_in_an_area():
    """services/ holds area packages only (named in its docstring), so a rule is found by its area."""
    services = PACKAGE / "services"
    loose = sorted(p.name for p in services.glob("*.py") if p.name != "__init__.py")
    assert not loose, f"move these into an area package of officeconsole/services: {loose}"
    areas = sorted(p.name for p in services.iterdir() if (p / "__init__.py").exists())
    described = (services / "__init__.py").read_text(encoding="utf-8")
    assert [a for a in areas if f"\n{a} " not in described] == [], "name each area in services/__init__.py"
