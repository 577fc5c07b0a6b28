"""The layers read one way, product modules stay small, test support stays out of the product (docs/architecture.md).

Read from the source with `ast`, so a rule broken by a new import or a long module fails here, not in review.
"""

import ast
from pathlib import Path

import pytest

from tests.support import BASE_DIR

# Lowest first: a module may import its own layer and those below it, never one above.
LAYERS = ("chatbackend", "accounts", "presence", "rooms", "messaging")
# The ground's modules that wire the apps together.
GROUND_WIRING = {f"chatbackend/{name}.py" for name in ("settings", "settings_test", "urls", "asgi")}
MAX_LINES = 300


def product_modules() -> list[Path]:
    """Every Python module of the product packages: not tests, not migrations."""
    modules = []
    for package in LAYERS:
        for path in sorted((BASE_DIR / package).rglob("*.py")):
            parts = path.relative_to(BASE_DIR).parts
            if "tests" not in parts and "migrations" not in parts:
                modules.append(path)
    return modules


def relative(path: Path) -> str:
    return path.relative_to(BASE_DIR).as_posix()


def imported_modules(path: Path) -> set[str]:
    """Absolute module names the file imports, at any depth (imports inside functions count too)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def is_rest_view(path: Path) -> bool:
    """REST views compose across apps (Zulip's views over actions): `<app>/api.py`."""
    return path.name == "api.py"


def test_the_layers_are_found() -> None:
    assert len(product_modules()) > 40
    assert all((BASE_DIR / package / "__init__.py").exists() for package in LAYERS)


@pytest.mark.parametrize("path", product_modules(), ids=relative)
def test_no_module_imports_a_layer_above_its_own(path: Path) -> None:
    own = LAYERS.index(path.relative_to(BASE_DIR).parts[0])
    if relative(path) in GROUND_WIRING or is_rest_view(path):
        return
    above = {name for name in imported_modules(path) if name.split(".")[0] in LAYERS[own + 1 :]}
    assert not above, f"{relative(path)} ({LAYERS[own]}) imports from a higher layer: {sorted(above)}"


@pytest.mark.parametrize("path", product_modules(), ids=relative)
def test_no_product_module_is_over_300_lines(path: Path) -> None:
    if path.name.startswith("settings"):
        return
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{relative(path)} has {lines} lines: split it by what it owns"


@pytest.mark.parametrize("path", product_modules(), ids=relative)
def test_no_test_support_in_product_packages(path: Path) -> None:
    assert not path.name.startswith(("test", "conftest")), f"{relative(path)} belongs under tests/"
    support = {name for name in imported_modules(path) if name.split(".")[0] in ("tests", "pytest")}
    assert not support, f"{relative(path)} imports test support: {sorted(support)}"
