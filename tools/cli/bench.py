"""`pcnmo bench`: time the PCN, ICB and national-EPD tiers against a bare DuckDB scan."""

from __future__ import annotations

import argparse
from pathlib import Path

from pcnmo import settings
from tools.bench import TIERS, bench


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "bench",
        help="benchmark the PCN, ICB and national-EPD tiers",
        description="Wall time, peak memory and throughput of each scale tier, each in its own "
        "process, beside the time DuckDB takes for a bare scan of the same input.",
    )
    parser.add_argument(
        "--tiers", default=",".join(TIERS), help="comma-separated, from: %(default)s"
    )
    parser.add_argument(
        "--national-rows",
        type=int,
        default=17_000_000,
        help="rows of the national EPD month: %(default)s",
    )
    parser.add_argument("--workdir", type=Path, help="where to write (default: a temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the generated data")
    parser.set_defaults(handler=handle)
    return parser


def handle(args: argparse.Namespace, paths: settings.Paths) -> int:
    return bench(args.tiers.split(","), args.national_rows, args.workdir, args.keep)
