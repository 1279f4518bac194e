"""`pcnmo national-epd`: write one national-size EPD month (for scale testing)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pcnmo import settings
from synthetic import SyntheticConfig, write_national_epd


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "national-epd",
        help="write one national-size synthetic EPD month",
        description="Write one synthetic EPD month the size of the national file, in the "
        "legacy layout (for scale testing; `pcnmo bench` writes its own).",
    )
    parser.add_argument("--out", type=Path, required=True, help="CSV file to write")
    parser.add_argument("--rows", type=int, default=17_000_000, help="%(default)s")
    parser.add_argument("--month", default="2025-09", help="YYYY-MM: %(default)s")
    parser.add_argument("--seed", type=int, default=SyntheticConfig().seed, help="%(default)s")
    parser.set_defaults(handler=handle)
    return parser


def handle(args: argparse.Namespace, paths: settings.Paths) -> int:
    started = time.perf_counter()
    rows = write_national_epd(args.out, args.rows, args.month, SyntheticConfig(seed=args.seed))
    print(f"wrote {rows:,} EPD rows to {args.out}")
    print(f"took {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return 0
