"""`pcnmo`: the commands the data team runs (and `make demo` runs for a new user).

    pcnmo init-key                 create the local pseudonymisation key (once)
    pcnmo generate [options]       write a synthetic ICB's extracts into the inbox
    pcnmo run [--month YYYY-MM] [--full-refresh]
                                   ingest month(s), rebuild the warehouse (the patient-month
                                   models from the first month ingested, or all of them),
                                   publish it and write the last month's reports, through
                                   Dagster
    pcnmo status                   what the warehouse holds, what was quarantined or missing
    pcnmo docs                     regenerate docs/extracts.md and the dbt sources YAML from
                                   the extract contracts, and docs/kpis.md from the KPI seed
    pcnmo ui [--port N]            the Dagster UI on this data directory
    pcnmo bench [options]          time the scale tiers (PCN demo, whole ICB, a new month,
                                   national EPD) against their targets
    pcnmo national-epd --out FILE  write one national-size synthetic EPD month

One parser: each command is a module here that declares its own options, so every option is
in `pcnmo <command> --help` and a mistake is reported with that command's usage.
"""

from __future__ import annotations

import argparse

from tools.cli import bench, docs, generate, init_key, national_epd, run, status, ui
from tools.cli.environment import prepare_environment

COMMANDS = (init_key, generate, run, status, docs, ui, bench, national_epd)


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The `pcnmo` parser and each command's own, by name."""
    parser = argparse.ArgumentParser(
        prog="pcnmo",
        description=__doc__.split("\n\n")[0],
        epilog="`pcnmo <command> --help` lists a command's options.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="command")
    subparsers = {}
    for command in COMMANDS:
        subparser = command.register(commands)
        subparsers[subparser.prog.split()[-1]] = subparser
    return parser, subparsers


def main(argv: list[str] | None = None) -> int:
    parser, subparsers = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # argparse reports a stray option through the top-level parser: name the command's.
        subparsers[args.command].error(f"unrecognised arguments: {' '.join(unknown)}")
    paths = prepare_environment()
    return args.handler(args, paths)
