"""`python -m ingestion.synthetic generate --inbox DIR` and `... national-epd --out FILE`."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ingestion.synthetic.config import SyntheticConfig
from ingestion.synthetic.generator import generate
from ingestion.synthetic.national_epd import write_national_epd


def _parser() -> argparse.ArgumentParser:
    defaults = SyntheticConfig()
    parser = argparse.ArgumentParser(
        prog="python -m ingestion.synthetic", description="Deterministic synthetic data for pcnmo."
    )
    commands = parser.add_subparsers(dest="command", required=True)

    gen = commands.add_parser("generate", help="write a synthetic inbox (one folder per month)")
    gen.add_argument("--inbox", type=Path, required=True, help="inbox directory to write")
    gen.add_argument("--seed", type=int, default=defaults.seed)
    gen.add_argument("--start-month", default=defaults.start_month, help="first month, YYYY-MM")
    gen.add_argument("--months", type=int, default=defaults.months)
    gen.add_argument("--pcns", type=int, default=defaults.pcns, help="PCNs in the ICB")
    gen.add_argument(
        "--clinical-pcns",
        type=int,
        default=defaults.clinical_pcns,
        help="PCNs that deliver clinical extracts and logs",
    )
    gen.add_argument(
        "--patients", type=int, default=defaults.patients, help="subject PCN list size"
    )
    gen.add_argument(
        "--practices", type=int, default=defaults.practices, help="practices in the subject PCN"
    )

    national = commands.add_parser("national-epd", help="write one national-size EPD month")
    national.add_argument("--out", type=Path, required=True, help="CSV file to write")
    national.add_argument("--rows", type=int, default=17_000_000)
    national.add_argument("--month", default="2025-09", help="YYYY-MM")
    national.add_argument("--seed", type=int, default=defaults.seed)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    started = time.perf_counter()
    if args.command == "generate":
        config = SyntheticConfig(
            seed=args.seed,
            start_month=args.start_month,
            months=args.months,
            pcns=args.pcns,
            clinical_pcns=args.clinical_pcns,
            patients=args.patients,
            practices=args.practices,
        )
        print(generate(args.inbox, config).text())
    else:
        rows = write_national_epd(args.out, args.rows, args.month, SyntheticConfig(seed=args.seed))
        print(f"wrote {rows:,} EPD rows to {args.out}")
    print(f"took {time.perf_counter() - started:.1f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
