"""`pcnmo ui`: the Dagster UI on this data directory (what `make ui` runs)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from pcnmo import settings
from tools.cli.environment import REPO_ROOT


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "ui",
        help="start the Dagster UI (lineage, checks, runs, schedule and sensors)",
        description="Start `dagster dev` on the project's workspace with the data directory's "
        "Dagster instance, quietly and offline.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="%(default)s")
    parser.add_argument("--port", type=int, default=3000, help="%(default)s")
    parser.set_defaults(handler=handle)
    return parser


def handle(args: argparse.Namespace, paths: settings.Paths) -> int:
    print(
        f"Analysts: query the published copy, {paths.published_warehouse} (open it read-only).\n"
        f"Never open the working warehouse, {paths.warehouse}: it is the pipeline's, and a "
        "process holding it makes every run wait for it, then fail.",
        flush=True,
    )
    # The dagster beside this interpreter, so an un-activated virtualenv still works; it
    # inherits the environment `pcnmo` prepared.
    dagster = str(Path(sys.executable).parent / "dagster")
    os.chdir(REPO_ROOT)
    workspace = str(REPO_ROOT / "workspace.yaml")
    os.execv(dagster, [dagster, "dev", "-w", workspace, "-h", args.host, "-p", str(args.port)])
