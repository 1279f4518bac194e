"""Files generated from the extract contracts and kept in the repository, so they can be read
without running anything: the extract specification (`docs/extracts.md`) and the dbt sources
YAML of every source. `pcnmo docs` rewrites them; a test fails when one is stale."""

from __future__ import annotations

from pathlib import Path

from pcnmo.contracts import SOURCES
from tools.codegen.extract_docs import render_markdown
from tools.codegen.sources_yaml import render_sources_yaml, sources_yaml_path

REPO_ROOT = Path(__file__).resolve().parents[2]


def generated_files(repo_root: Path = REPO_ROOT) -> dict[Path, str]:
    """Every generated file: its path and what it must hold."""
    files = {repo_root / "docs" / "extracts.md": render_markdown()}
    for source in SOURCES.values():
        files[sources_yaml_path(repo_root, source)] = render_sources_yaml(source)
    return files


def write_generated_files(repo_root: Path = REPO_ROOT) -> list[Path]:
    """Rewrite every generated file; returns the paths written."""
    files = generated_files(repo_root)
    for path, text in files.items():
        path.write_text(text, encoding="utf-8")
    return list(files)
