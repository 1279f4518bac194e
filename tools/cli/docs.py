"""`pcnmo docs`: regenerate the files kept in the repository from the extract contracts and
the KPI dictionary seed."""

from __future__ import annotations

import argparse

from pcnmo import settings
from tools.codegen import write_generated_files


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "docs",
        help="regenerate docs/extracts.md, docs/practice-searches.md, docs/kpis.md and the dbt "
        "sources YAML",
        description="Rewrite docs/extracts.md, docs/practice-searches.md and every "
        "dbt_pcnmo/models/staging/<source>/_<source>__sources.yml from the extract contracts in "
        "pcnmo/contracts/ (and the codelists in seeds/snomed_codelists.csv), and docs/kpis.md "
        "from seeds/kpi_definitions.csv.",
    )
    parser.set_defaults(handler=handle)
    return parser


def handle(args: argparse.Namespace, paths: settings.Paths) -> int:
    for path in write_generated_files():
        print(f"Wrote {path}")
    return 0
