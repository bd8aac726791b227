"""The register merge's code shape: no import cycle between its modules, the child process
imports without Django, and nothing in the app reads the clock (``now`` is passed in)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent
PACKAGE = "motcua.registers"
MODULES = sorted(p.stem for p in APP.glob("*.py") if p.stem != "__init__")


def _imported(path: Path, modules: set[str]) -> set[str]:
    """The sibling modules ``path`` imports anywhere: at module level, in a function, or under
    ``TYPE_CHECKING`` (a function-level import makes a cycle all the same)."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level == 1:  # from .x import y / from . import x
                if node.module:
                    out.add(node.module.split(".")[0])
                else:
                    out.update(a.name for a in node.names)
            elif node.level == 0 and node.module:
                if node.module == PACKAGE:
                    out.update(a.name for a in node.names)
                elif node.module.startswith(PACKAGE + "."):
                    out.add(node.module.removeprefix(PACKAGE + ".").split(".")[0])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(PACKAGE + "."):
                    out.add(alias.name.removeprefix(PACKAGE + ".").split(".")[0])
    return out & modules


def import_graph(folder: Path = APP) -> dict[str, set[str]]:
    """Module → the sibling modules it imports, over ``folder/*.py``."""
    paths = [p for p in sorted(folder.glob("*.py")) if p.stem != "__init__"]
    modules = {p.stem for p in paths}
    return {p.stem: _imported(p, modules) for p in paths}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path (first node repeated at the end), or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_find_cycle_sees_a_cycle_through_a_function_level_import(tmp_path):
    (tmp_path / "jobs.py").write_text("def enqueue():\n    from .tasks import task\n")
    (tmp_path / "tasks.py").write_text("from motcua.registers.jobs import run\n")
    (tmp_path / "views.py").write_text("from . import jobs\n")
    graph = import_graph(tmp_path)
    assert graph == {"jobs": {"tasks"}, "tasks": {"jobs"}, "views": {"jobs"}}
    assert find_cycle(graph) == ["jobs", "tasks", "jobs"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_between_the_register_modules():
    graph = import_graph()
    assert graph["services"] >= {"selectors"}  # the graph sees the app's imports
    assert find_cycle(graph) is None, f"import cycle: {' → '.join(find_cycle(graph) or [])}"
    # The dependencies go one way: the task → the worker; the orchestration (linkage) → the model,
    # training, clustering and the engines → engine_base. An engine knows nothing of the model or
    # the steps (issue 12 §2), the model nothing of how it is run.
    assert "tasks" not in graph["worker"] and "services" not in graph["worker"]
    for engine in ("engine_duckdb", "engine_spark"):
        assert graph[engine] <= {"engine_base"}, graph[engine]
    assert graph["model"] == set() and graph["clustering"] == set()
    assert graph["training"] <= {"engine_base"}


def _import_fresh(module: str, *, django: bool = True) -> subprocess.CompletedProcess[str]:
    setup = "import django; django.setup(); " if django else ""
    code = f"{setup}import importlib; importlib.import_module('{PACKAGE}.{module}')"
    env = os.environ | {"DJANGO_SETTINGS_MODULE": "motcua.config.settings.test"}
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def test_each_register_module_imports_alone_in_a_fresh_interpreter():
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = dict(zip(MODULES, pool.map(_import_fresh, MODULES), strict=True))
    failed = {m: r.stderr.strip().splitlines()[-1:] for m, r in done.items() if r.returncode != 0}
    assert not failed


@pytest.mark.parametrize("module", ["runner", "pipeline", "storage", "review"])
def test_the_child_process_modules_import_without_django_set_up(module):
    """``python -m motcua.registers.runner`` runs without Django: neither it nor what it imports
    may touch the models."""
    result = _import_fresh(module, django=False)
    assert result.returncode == 0, result.stderr


CLOCK_READS = {("timezone", "now"), ("datetime", "now"), ("datetime", "utcnow"), ("date", "today")}


def _clock_reads(path: Path) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", "")
            if (name, node.func.attr) in CLOCK_READS:
                out.append(f"{path}:{node.lineno}")
    return out


def test_the_register_merge_never_reads_the_clock_itself():
    """``now`` is passed in (``motcua.core.clock`` at the interface); no ``timezone.now()``,
    ``datetime.now()``, ``date.today()`` in the app."""
    found = [hit for p in sorted(APP.rglob("*.py")) if "tests" not in p.parts for hit in _clock_reads(p)]
    assert found == []


def test_clock_reads_are_seen(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import datetime as dt\nfrom django.utils import timezone\n"
        "x = dt.datetime.now(dt.UTC)\ny = dt.date.today()\nz = timezone.now()\nw = clock.now()\n"
    )
    assert len(_clock_reads(sample)) == 3
