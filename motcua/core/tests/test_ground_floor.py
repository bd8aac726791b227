"""The ground floor does not import the floors above (issue 7 §5).

`motcua/core/` is what every app stands on: it may import Django and the standard library,
never `motcua.org`, `motcua.dossiers`… Test factories live in `motcua/testing.py`, the API
token check in `motcua/org/api_auth.py`, the account screens in `motcua/org/account_views.py`.
Core's own tests (`core/tests/`) drive the whole system and are not part of the floor.
"""

from __future__ import annotations

import ast
from pathlib import Path

MOTCUA = Path(__file__).resolve().parents[2]
CORE = MOTCUA / "core"
# Every app of the project but core: each folder of motcua/ with an apps.py.
APPS = sorted(p.parent.name for p in MOTCUA.glob("*/apps.py") if p.parent.name != "core")


def upstairs_imports(source: str, *, package: str = "motcua.core") -> list[str]:
    """The motcua apps (other than core) that a module of `package` imports, with their line."""
    found: list[str] = []

    def check(name: str, line: int) -> None:
        parts = name.split(".")
        if len(parts) >= 2 and parts[0] == "motcua" and parts[1] in APPS:
            found.append(f"line {line}: {name}")

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                check(alias.name, node.lineno)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                # `from ..org import x` in motcua/core/views.py is motcua.org.x
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join([*base, node.module] if node.module else base)
            else:
                module = node.module or ""
            if module == "motcua":  # `from motcua import org`
                for alias in node.names:
                    check(f"{module}.{alias.name}", node.lineno)
            else:
                check(module, node.lineno)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            in {"import_module", "__import__"}
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            check(node.args[0].value, node.lineno)
    return found


def core_modules() -> list[Path]:
    return sorted(p for p in CORE.rglob("*.py") if "tests" not in p.relative_to(CORE).parts)


def test_the_check_sees_every_form_of_import() -> None:
    assert {"org", "dossiers", "geo", "catalog", "registers"} <= set(APPS)
    assert "core" not in APPS
    for source in [
        "from motcua.org.models import User",
        "import motcua.dossiers.models",
        "from motcua import catalog",
        "def f():\n    from motcua.geo.models import Commune",
        "from ..org import services",
        "from .. import registers",
        "import importlib\nimportlib.import_module('motcua.org.models')",
    ]:
        assert upstairs_imports(source), source
    for source in [
        "from motcua.core import clock",
        "from . import checks",
        "from .text import fold",
        "import django.utils.timezone",
        "from motcua.config import settings",
    ]:
        assert not upstairs_imports(source), source


def test_core_imports_no_other_app() -> None:
    modules = core_modules()
    assert len(modules) > 10, "the walk found core's modules"
    offences = {
        str(path.relative_to(MOTCUA.parent)): hits
        for path in modules
        if (hits := upstairs_imports(path.read_text(encoding="utf-8"), package=_package(path)))
    }
    assert offences == {}, f"core imports the floors above: {offences}"


def _package(path: Path) -> str:
    """The dotted package a module lives in (for relative imports)."""
    return ".".join(path.parent.relative_to(MOTCUA.parent).parts)
