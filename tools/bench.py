"""`make bench`: wall time, peak memory and throughput of the three scale tiers.

- pcn: the whole pipeline (`ingest_month` over 12 months, then `build_warehouse`) on the
  default synthetic PCN (50,000 patients, 6 practices) inside its 8-PCN ICB;
- icb: the same on a 30-PCN ICB (about 1.5M registered patients);
- national: ingesting one national-size EPD month (17M rows, real legacy layout), cut down
  to the synthetic ICB's practices.

Each tier runs in a child process, so its peak memory (maximum resident set, from `wait4`) is
its own. Every figure is printed beside the time DuckDB takes for a bare scan of the same input
files (`count(*)` over `read_csv` of every CSV, in its own process), as a ratio. Target for
the national month: at most 2x the bare scan, under 4 GB peak memory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

MONTHS = 12
NATIONAL_MONTH = "2025-09"
TIERS = ("pcn", "icb", "national")


@dataclass(frozen=True)
class Measurement:
    seconds: float
    peak_mb: float
    report: dict


def _run_child(args: list[str], env: dict[str, str]) -> Measurement:
    """Run `python -m tools.bench ...` and measure it (and its children) alone."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.bench", *args],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"benchmark step {args} failed:\n{output[-3000:]}")
    report = json.loads(output.strip().splitlines()[-1])
    return Measurement(seconds, usage.ru_maxrss / 1024, report)


def _csv_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.csv") if p.is_file())


# ---------------------------------------------------------------------------------------------
# Child-process work
# ---------------------------------------------------------------------------------------------


def _bare_scan(folder: str) -> dict:
    import duckdb

    files = _csv_files(Path(folder))
    rows = 0
    started = time.perf_counter()
    with duckdb.connect() as conn:
        for path in files:
            # Headerless epraccur and the rest alike: every field read as text, nothing kept.
            header = "false" if path.name.lower().startswith("epraccur") else "true"
            rows += conn.execute(
                f"select count(*) from read_csv('{path}', all_varchar = true, header = {header})"
            ).fetchall()[0][0]
    return {
        "seconds": time.perf_counter() - started,
        "files": len(files),
        "rows": rows,
        "megabytes": sum(p.stat().st_size for p in files) / 1e6,
    }


def _pipeline(data_dir: str) -> dict:
    os.environ["PCNMO_DATA_DIR"] = data_dir
    from pcnmo.settings import inbox_months
    from tools.cli.environment import prepare_dbt_manifest, prepare_environment

    paths = prepare_environment()
    prepare_dbt_manifest()
    import dagster as dg

    from dagster_project.definitions import defs

    definitions = defs()
    months = inbox_months(paths.inbox)
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    timings = {}
    started = time.perf_counter()
    ingest = definitions.resolve_job_def("ingest_month").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(),
        run_config=quiet,
        tags={
            "dagster/asset_partition_range_start": f"{months[0]}-01",
            "dagster/asset_partition_range_end": f"{months[-1]}-01",
        },
    )
    timings["ingest_seconds"] = time.perf_counter() - started
    started = time.perf_counter()
    build = definitions.resolve_job_def("build_warehouse").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), run_config=quiet
    )
    timings["build_seconds"] = time.perf_counter() - started
    import duckdb

    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        rows_in, rows_loaded = conn.execute(
            "select sum(rows_in), sum(rows_loaded) from pipeline.ingestion_log"
        ).fetchall()[0]
    return {
        **timings,
        "ok": ingest.success and build.success,
        "rows_in": rows_in,
        "rows_loaded": rows_loaded,
        "months": len(months),
    }


def _national(data_dir: str, epd_file: str) -> dict:
    """Load the ICB's ePCN membership (the scope), then time the national EPD month alone."""
    os.environ["PCNMO_DATA_DIR"] = data_dir
    from ingestion.duckdb_io import connect, ensure_schema
    from ingestion.load import load_month
    from pcnmo import settings
    from pcnmo.contracts import EPCN_MEMBERS, EPD

    paths = settings.paths()
    with connect(paths.warehouse) as conn:
        ensure_schema(conn)
        load_month(conn, EPCN_MEMBERS, NATIONAL_MONTH, paths.inbox)
        started = time.perf_counter()
        result = load_month(conn, EPD, NATIONAL_MONTH, paths.inbox)
        seconds = time.perf_counter() - started
    (file_result,) = result.files
    assert Path(epd_file).name == file_result.file_name
    return {
        "seconds": seconds,
        "rows_in": file_result.rows_in,
        "rows_loaded": file_result.rows_loaded,
        "rows_quarantined": file_result.rows_quarantined,
        "rows_out_of_scope": file_result.rows_out_of_scope,
    }


# ---------------------------------------------------------------------------------------------
# The benchmark
# ---------------------------------------------------------------------------------------------


def _generate(inbox: Path, **overrides: int) -> float:
    from synthetic import SyntheticConfig, generate

    started = time.perf_counter()
    generate(inbox, SyntheticConfig(months=MONTHS, **overrides))
    return time.perf_counter() - started


def run_benchmark(tiers: list[str], national_rows: int, workdir: Path) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    env.setdefault("PCNMO_PSEUDONYMISATION_KEY", "benchmark-key-" + "0" * 40)
    results = []
    for tier in tiers:
        data_dir = workdir / tier / "data"
        shutil.rmtree(data_dir.parent, ignore_errors=True)
        inbox = data_dir / "inbox"
        if tier == "national":
            from synthetic import SyntheticConfig, write_national_epd

            _generate(inbox, pcns=8)
            epd = inbox / NATIONAL_MONTH / f"EPD_{NATIONAL_MONTH.replace('-', '')}.csv"
            for stale in (inbox / NATIONAL_MONTH).glob("EPD*.csv"):
                stale.unlink()
            started = time.perf_counter()
            write_national_epd(
                epd, rows=national_rows, month=NATIONAL_MONTH, config=SyntheticConfig(months=MONTHS)
            )
            generated = time.perf_counter() - started
            scan_dir = workdir / tier / "scan"
            scan_dir.mkdir(parents=True, exist_ok=True)
            os.link(epd, scan_dir / epd.name)
            bare = _run_child(["_bare_scan", str(scan_dir)], env)
            work = _run_child(["_national", str(data_dir), str(epd)], env)
            seconds = work.report["seconds"]
            rows = work.report["rows_in"]
            label = f"national EPD month ({rows:,} rows, {bare.report['megabytes']:,.0f} MB)"
        else:
            overrides = {"pcns": 8} if tier == "pcn" else {"pcns": 30}
            generated = _generate(inbox, **overrides)
            bare = _run_child(["_bare_scan", str(inbox)], env)
            work = _run_child(["_pipeline", str(data_dir)], env)
            if not work.report["ok"]:
                raise RuntimeError(f"the {tier} pipeline run failed")
            seconds = work.report["ingest_seconds"] + work.report["build_seconds"]
            rows = work.report["rows_in"]
            label = (
                f"{tier.upper()} tier, {MONTHS} months ({bare.report['files']} CSV files, "
                f"{bare.report['megabytes']:,.0f} MB)"
            )
        results.append(
            {
                "tier": tier,
                "label": label,
                "generate_seconds": generated,
                "seconds": seconds,
                "process_seconds": work.seconds,
                "peak_mb": work.peak_mb,
                "rows": rows,
                "rows_per_second": rows / seconds if seconds else 0.0,
                "bare_scan_seconds": bare.report["seconds"],
                "bare_scan_peak_mb": bare.peak_mb,
                "ratio": seconds / bare.report["seconds"],
                "detail": work.report,
            }
        )
        _print([results[-1]])
    return results


def _print(results: list[dict]) -> None:
    for r in results:
        print(f"\n{r['label']}")
        print(f"  timed work          {r['seconds']:8.1f} s   ({r['rows_per_second']:,.0f} rows/s)")
        if "ingest_seconds" in r["detail"]:
            print(
                f"    of which ingest   {r['detail']['ingest_seconds']:8.1f} s, dbt build "
                f"{r['detail']['build_seconds']:.1f} s"
            )
        print(f"  whole process       {r['process_seconds']:8.1f} s   (imports, dbt parse)")
        print(f"  peak memory         {r['peak_mb']:8.0f} MB")
        print(
            f"  bare DuckDB scan    {r['bare_scan_seconds']:8.1f} s   "
            f"(peak {r['bare_scan_peak_mb']:.0f} MB)"
        )
        print(f"  ratio to bare scan  {r['ratio']:8.2f} x")
        print(f"  (generating the input took {r['generate_seconds']:.1f} s, not counted)")
        if r["tier"] == "national":
            d = r["detail"]
            print(
                f"  rows in {d['rows_in']:,} = loaded {d['rows_loaded']:,} + quarantined "
                f"{d['rows_quarantined']:,} + out of scope {d['rows_out_of_scope']:,}"
            )
            verdict = "meets" if r["ratio"] <= 2 and r["peak_mb"] < 4096 else "MISSES"
            print(f"  {verdict} the target (<= 2x bare scan, < 4 GB)")


def bench(tiers: list[str], national_rows: int, workdir: Path | None, keep: bool) -> int:
    """Run the tiers, print each as it finishes; keep the data (and a JSON summary) if asked."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="pcnmo-bench-"))
    print(f"Benchmark on {os.cpu_count()} cores; working in {workdir}")
    try:
        results = run_benchmark(tiers, national_rows, workdir)
        if keep:
            out = workdir.parent / "pcnmo-bench-results.json"
            out.write_text(json.dumps(results, indent=2, default=str))
    finally:
        if not keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


def main(argv: list[str]) -> int:
    """Child-process work: `python -m tools.bench _<work> ARGS...` prints its report as JSON."""
    work = {"_bare_scan": _bare_scan, "_pipeline": _pipeline, "_national": _national}
    print(json.dumps(work[argv[0]](*argv[1:]), default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
