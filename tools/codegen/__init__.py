"""Files generated from the extract contracts and the seeds, kept in the repository so they can
be read without running anything: the extract specification (`docs/extracts.md`), the searches
a practice builds (`docs/practice-searches.md`), the dbt sources YAML of every source and the KPI
definitions (`docs/kpis.md`). `pcnmo docs` rewrites them; a test fails when one is stale."""

from __future__ import annotations

from pathlib import Path

from pcnmo.contracts import SOURCES
from tools.codegen.extract_docs import render_markdown
from tools.codegen.kpi_docs import render_kpi_docs
from tools.codegen.search_docs import render_search_markdown
from tools.codegen.sources_yaml import render_sources_yaml, sources_yaml_path

REPO_ROOT = Path(__file__).resolve().parents[2]


def generated_files(repo_root: Path = REPO_ROOT) -> dict[Path, str]:
    """Every generated file: its path and what it must hold."""
    files = {
        repo_root / "docs" / "extracts.md": render_markdown(),
        repo_root / "docs" / "practice-searches.md": render_search_markdown(
            repo_root / "seeds" / "snomed_codelists.csv"
        ),
    }
    for source in SOURCES.values():
        files[sources_yaml_path(repo_root, source)] = render_sources_yaml(source)
    seeds = repo_root / "seeds"
    files[repo_root / "docs" / "kpis.md"] = render_kpi_docs(
        seeds / "kpi_definitions.csv", seeds / "_seeds.yml"
    )
    return files


def write_generated_files(repo_root: Path = REPO_ROOT) -> list[Path]:
    """Rewrite every generated file; returns the paths written."""
    files = generated_files(repo_root)
    for path, text in files.items():
        # A new source's staging folder may not exist yet: its sources YAML is the first file.
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return list(files)
