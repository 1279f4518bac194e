"""`pcnmo init-key`: create the local pseudonymisation key (once)."""

from __future__ import annotations

import argparse

from ingestion.nhs_number import create_key_file
from pcnmo import settings


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "init-key",
        help="create the local pseudonymisation key file",
        description="Create the pseudonymisation key file under the data directory, unless one "
        "exists (replacing it would break patient linkage across months).",
    )
    parser.set_defaults(handler=handle)
    return parser


def handle(args: argparse.Namespace, paths: settings.Paths) -> int:
    print(f"Pseudonymisation key: {create_key_file(paths.key_file)}")
    return 0
