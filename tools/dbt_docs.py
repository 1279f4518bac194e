"""`make docs`: the dbt documentation site for analysts, built offline into the data directory.

    python -m tools.dbt_docs [--out DIR]

`dbt docs generate --static` writes, into `$PCNMO_DATA_DIR/dbt_docs/` by default:

- `static_index.html`: the whole site in one file (manifest and catalog inside), opened
  straight from disk in a browser, with no server and no network;
- `index.html` with `manifest.json` and `catalog.json` beside it, for any static file server
  (`python -m http.server`, or an intranet's web server).

The site loads nothing from the network, and its built-in usage tracking stays off: it
switches on only when the manifest records `send_anonymous_usage_stats: true`, which
`dbt_project.yml` and the quiet environment of `pcnmo.settings` rule out.

The catalog (column types, and the descriptions stored in the tables) comes from the analysts'
published copy, opened read-only through a throwaway profile: the working warehouse is locked
while a run writes to it, and the published copy holds exactly what analysts can query (the
marts and seeds). Models that are not published (staging, intermediate) are documented from
their YAML alone. Before the first successful build there is no published copy, and the site
has an empty catalog.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

from pcnmo import settings

DBT_PROJECT_DIR = Path(__file__).resolve().parents[1] / "dbt_pcnmo"
PROFILE = "pcnmo"  # dbt_project.yml's `profile:`


def read_only_profile(database: Path | None) -> dict:
    """The project's profile, pointed read-only at `database` (in memory when there is none)."""
    output: dict = {"type": "duckdb", "threads": 1}
    if database is None:
        output["path"] = ":memory:"
    else:
        output["path"] = str(database)
        output["config_options"] = {"access_mode": "READ_ONLY"}
    return {PROFILE: {"target": "published", "outputs": {"published": output}}}


def dbt_docs_command(profiles_dir: Path, target_path: Path, log_path: Path, *, empty: bool):
    command = [
        settings.dbt_executable(),
        "docs",
        "generate",
        "--static",
        "--project-dir",
        str(DBT_PROJECT_DIR),
        "--profiles-dir",
        str(profiles_dir),
        "--target-path",
        str(target_path),
        "--log-path",
        str(log_path),
    ]
    return [*command, "--empty-catalog"] if empty else command


def build_site(out: Path, published: Path) -> int:
    """Generate the site into `out`; dbt's exit code."""
    database = published if published.exists() else None
    if database is None:
        print(f"No published copy at {published} yet: building the site with an empty catalog.")
    environment = dict(os.environ)
    for name, value in settings.tool_environment(settings.paths()).items():
        environment.setdefault(name, value)
    environment["PATH"] = settings.path_with_dbt()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="pcnmo-dbt-docs-") as scratch:
        profiles_dir = Path(scratch)
        (profiles_dir / "profiles.yml").write_text(
            yaml.safe_dump(read_only_profile(database)), encoding="utf-8"
        )
        command = dbt_docs_command(profiles_dir, out, profiles_dir, empty=database is None)
        return subprocess.run(command, env=environment, check=False).returncode


def main(argv: list[str] | None = None) -> int:
    paths = settings.paths()
    parser = argparse.ArgumentParser(
        prog="python -m tools.dbt_docs", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--out", type=Path, default=paths.data_dir / "dbt_docs", help="default: %(default)s"
    )
    args = parser.parse_args(argv)
    code = build_site(args.out, paths.published_warehouse)
    if code:
        print(f"dbt docs generate failed (exit {code}).", file=sys.stderr)
        return code
    site = args.out.resolve()
    print(f"\nThe dbt documentation site is in {site}:")
    print(f"  open {site / 'static_index.html'} in a browser (one file, works offline),")
    print("  or serve the folder and open http://127.0.0.1:8080/:")
    print(f"  .venv/bin/python -m http.server 8080 --bind 127.0.0.1 --directory {site}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
