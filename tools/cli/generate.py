"""`pcnmo generate`: write a synthetic ICB's extracts into the inbox, one folder per month."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from pcnmo import settings
from synthetic import SyntheticConfig, generate


def register(commands: argparse._SubParsersAction) -> argparse.ArgumentParser:
    defaults = SyntheticConfig()
    parser = commands.add_parser(
        "generate",
        help="write a synthetic ICB into the inbox",
        description="Write a deterministic synthetic ICB into the inbox: clinical extracts and "
        "local logs for the subject PCN(s), public files for every practice.",
    )
    parser.add_argument(
        "--inbox", type=Path, help="inbox directory to write (default: the data directory's)"
    )
    parser.add_argument("--seed", type=int, default=defaults.seed, help="random seed: %(default)s")
    parser.add_argument(
        "--start-month", default=defaults.start_month, help="first month, YYYY-MM: %(default)s"
    )
    parser.add_argument(
        "--months", type=int, default=defaults.months, help="months to write: %(default)s"
    )
    parser.add_argument(
        "--pcns", type=int, default=defaults.pcns, help="PCNs in the ICB: %(default)s"
    )
    parser.add_argument(
        "--clinical-pcns",
        type=int,
        default=defaults.clinical_pcns,
        help="PCNs that deliver clinical extracts and logs: %(default)s",
    )
    parser.add_argument(
        "--patients",
        type=int,
        default=defaults.patients,
        help="list size of the subject (first) PCN: %(default)s",
    )
    parser.add_argument(
        "--practices",
        type=int,
        default=defaults.practices,
        help="practices in the subject PCN: %(default)s",
    )
    parser.set_defaults(handler=handle)
    return parser


def handle(args: argparse.Namespace, paths: settings.Paths) -> int:
    started = time.perf_counter()
    config = SyntheticConfig(
        seed=args.seed,
        start_month=args.start_month,
        months=args.months,
        pcns=args.pcns,
        clinical_pcns=args.clinical_pcns,
        patients=args.patients,
        practices=args.practices,
    )
    print(generate(args.inbox or paths.inbox, config).text())
    print(f"took {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return 0
