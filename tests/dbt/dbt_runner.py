"""Run the dbt CLI on dbt_pcnmo from tests: in a subprocess, against a given DuckDB file.

Every invocation writes its artifacts and logs to a directory of the caller's choosing (a
pytest tmp dir), so tests never clobber `dbt_pcnmo/target/` (which `dagster dev` and other
test sessions read) and can run in parallel workers.
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pcnmo import settings

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_pcnmo"
SEEDS_DIR = REPO_ROOT / "seeds"


@dataclass(frozen=True)
class DbtInvocation:
    args: tuple[str, ...]
    returncode: int
    output: str
    target_path: Path

    def artifact(self, name: str) -> dict[str, Any]:
        return json.loads((self.target_path / name).read_text())


def run_dbt(
    *args: str,
    duckdb_path: Path,
    work_dir: Path,
    target_path: Path | None = None,
    rebuild_from: str = "",
) -> DbtInvocation:
    """Run `dbt <args>` on dbt_pcnmo against `duckdb_path`; artifacts go under `work_dir`
    (or `target_path`), the log under `work_dir`. `rebuild_from` is passed as the pipeline
    passes it (the environment variable PCNMO_REBUILD_FROM)."""
    target_path = target_path or work_dir / "target"
    command = [
        settings.dbt_executable(),
        *args,
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(DBT_PROJECT_DIR),
        "--target-path",
        str(target_path),
        "--log-path",
        str(work_dir / "logs"),
    ]
    env = {
        **os.environ,
        "PCNMO_DUCKDB_PATH": str(duckdb_path),
        "DBT_USE_COLORS": "false",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "PCNMO_REBUILD_FROM": rebuild_from,
    }
    # The warehouse's practice scope follows this setting (macro sub_icb_scope): a value left
    # in the shell that runs the tests must not cut the hand-written practices.
    env.pop("PCNMO_SUB_ICB_CODES", None)
    # DuckDB spills beside its file (the profile's default), not into the session's temp
    # folder: the profile, and so dbt's partial parse, then depends on the file's path alone.
    env.pop(settings.TEMP_DIR_ENV, None)
    completed = subprocess.run(
        command, cwd=DBT_PROJECT_DIR, env=env, capture_output=True, text=True, check=False
    )
    return DbtInvocation(
        args=tuple(args),
        returncode=completed.returncode,
        output=completed.stdout + completed.stderr,
        target_path=target_path,
    )


def build_selection(*selectors: str, duckdb_path: Path, work_dir: Path) -> DbtInvocation:
    """`dbt build --select <selectors>`, running only tests whose parents are all selected: a
    relationships test from a mart outside the selection (fct_kpi_values -> dim_periods,
    kpi_definitions) must not run against a partial build."""
    return run_dbt(
        "build",
        "--select",
        *selectors,
        "--indirect-selection",
        "cautious",
        duckdb_path=duckdb_path,
        work_dir=work_dir,
    )


def failed_nodes(invocation: DbtInvocation) -> list[str]:
    results = invocation.artifact("run_results.json")["results"]
    return [r["unique_id"] for r in results if r["status"] not in ("success", "pass")]
