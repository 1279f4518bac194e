"""`pcnmo bench`: time the scale tiers (PCN demo, whole ICB, a new month, national EPD) against
their targets."""

from __future__ import annotations

import argparse
from pathlib import Path

from pcnmo import settings
from tools.bench import DEFAULT_TIERS, TIERS, bench


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "bench",
        help="benchmark the scale tiers against their targets",
        description="Wall time and peak memory of each scale tier, each step in its own "
        "process, and the ratio of each to its target (the design's scale section).",
    )
    parser.add_argument(
        "--tiers",
        default=",".join(DEFAULT_TIERS),
        help=f"comma-separated, from {', '.join(TIERS)}: %(default)s",
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
