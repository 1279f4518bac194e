"""The house itself: packages that depend one way only, modules that do nothing when imported,
and a README whose layout section is the tree."""

from __future__ import annotations

import ast
import fnmatch
import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

# What each top-level package may import of the project: the shared core at the bottom, the
# libraries on it, Dagster's thin wrappers over the libraries, and the tools over everything.
ALLOWED_IMPORTS: dict[str, set[str]] = {
    "pcnmo": set(),
    "ingestion": {"pcnmo"},
    "quality": {"pcnmo"},
    "synthetic": {"pcnmo"},
    "reports": {"pcnmo"},
    "dagster_project": {"pcnmo", "ingestion", "quality", "reports"},
    "tools": {"pcnmo", "ingestion", "quality", "synthetic", "reports", "dagster_project"},
}
PACKAGES = tuple(ALLOWED_IMPORTS)
LIBRARIES = ("pcnmo", "ingestion", "quality", "synthetic", "reports")


def _modules() -> dict[str, Path]:
    """Every project module by dotted name (a package by its __init__)."""
    modules = {}
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            parts = path.relative_to(REPO_ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules[".".join(parts)] = path
    return modules


MODULES = _modules()


def _imports(node: ast.AST, module: str, *, module_level: bool) -> Iterator[str]:
    """Project modules imported by the statements under `node` (only those run at import time
    when `module_level`: not inside a function or class body)."""
    for child in ast.iter_child_nodes(node):
        if module_level and isinstance(
            child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
        ):
            continue
        if isinstance(child, ast.Import):
            for alias in child.names:
                if alias.name in MODULES:
                    yield alias.name
        elif isinstance(child, ast.ImportFrom):
            base = child.module or ""
            if child.level:  # relative: resolve against this module's package
                anchor = module.split(".")
                is_package = MODULES[module].name == "__init__.py"
                anchor = anchor[: len(anchor) - child.level + (1 if is_package else 0)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in child.names:
                if f"{base}.{alias.name}" in MODULES:
                    yield f"{base}.{alias.name}"
                elif base in MODULES:
                    yield base
        yield from _imports(child, module, module_level=module_level)


@cache
def _graph(*, module_level: bool) -> dict[str, set[str]]:
    graph = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        graph[module] = set(_imports(tree, module, module_level=module_level)) - {module}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_sees_every_module():
    assert {"pcnmo.contracts", "ingestion.load", "tools.cli", "dagster_project.definitions"} <= set(
        MODULES
    )
    graph = _graph(module_level=True)
    assert "pcnmo.contracts.base" in graph["pcnmo.contracts.clinical"]
    assert "ingestion.staging" in graph["ingestion.validation_sql"]


def test_no_module_imports_another_in_a_circle():
    assert _cycles(_graph(module_level=True)) == []


def test_the_cycle_finder_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_packages_depend_one_way_only():
    """Every import, lazy ones in functions included, goes down the layers."""
    wrong = sorted(
        f"{module} imports {target}"
        for module, targets in _graph(module_level=False).items()
        for target in targets
        if (source := module.split(".")[0]) != (package := target.split(".")[0])
        and package not in ALLOWED_IMPORTS[source]
    )
    assert wrong == []
    packages = {p: set() for p in PACKAGES}
    for module, targets in _graph(module_level=False).items():
        packages[module.split(".")[0]] |= {t.split(".")[0] for t in targets}
    assert _cycles({p: t - {p} for p, t in packages.items()}) == []


def test_libraries_know_nothing_of_dagster():
    dagster_imports = []
    for module, path in MODULES.items():
        if module.split(".")[0] not in LIBRARIES:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            dagster_imports += [
                f"{module}: {n}" for n in names if n.split(".")[0].startswith("dagster")
            ]
    assert dagster_imports == []


_IMPORT_EVERYTHING = """
import importlib, json, os, sys
before = dict(os.environ)
for name in sys.argv[1:]:
    importlib.import_module(name)
after = dict(os.environ)
print(json.dumps({k: [before.get(k), after.get(k)] for k in sorted(set(before) | set(after))
                  if before.get(k) != after.get(k)}))
"""


def _tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _untracked_or_changed() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout


def test_importing_every_module_writes_nothing_to_disk_or_the_environment(
    tmp_path: Path, dbt_manifest: Path
):
    """A read-only data directory that does not exist yet, an empty working directory and none
    of the tool settings: importing the whole project creates nothing and sets nothing."""
    read_only = tmp_path / "read-only"
    read_only.mkdir()
    workdir = read_only / "cwd"
    workdir.mkdir()
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PCNMO_", "DAGSTER_", "DBT_", "GX_", "DO_NOT_TRACK"))
    }
    environment["PCNMO_DATA_DIR"] = str(read_only / "data")
    environment["PYTHONPATH"] = str(REPO_ROOT)
    environment["PYTHONDONTWRITEBYTECODE"] = "1"
    read_only.chmod(stat.S_IRUSR | stat.S_IXUSR)
    workdir.chmod(stat.S_IRUSR | stat.S_IXUSR)
    repo_before = _untracked_or_changed()
    try:
        result = subprocess.run(
            [sys.executable, "-c", _IMPORT_EVERYTHING, *sorted(MODULES)],
            cwd=workdir,
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        created = _tree(read_only)
    finally:
        for folder in (workdir, read_only):
            folder.chmod(stat.S_IRWXU)
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {}
    assert created == ["cwd"]
    assert _untracked_or_changed() == repo_before


def _ignored(name: str) -> bool:
    patterns = [
        line.strip().strip("/")
        for line in (REPO_ROOT / ".gitignore").read_text().splitlines()
        if line.strip().endswith("/") and "/" not in line.strip().strip("/")
    ]
    return any(fnmatch.fnmatch(name, pattern) for pattern in patterns)


def _layout_section() -> set[str]:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([^`/]+)/` \|", section, flags=re.MULTILINE))


def test_the_readme_layout_lists_every_top_level_folder_and_only_those():
    folders = {
        p.name
        for p in REPO_ROOT.iterdir()
        if p.is_dir() and not p.name.startswith(".") and not _ignored(p.name)
    }
    assert _layout_section() == folders


@pytest.mark.parametrize("package", PACKAGES)
def test_every_package_is_a_folder_the_readme_lists(package: str):
    assert (REPO_ROOT / package / "__init__.py").is_file()
    assert package in _layout_section()
