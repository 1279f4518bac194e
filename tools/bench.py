"""`make bench`: time and peak memory of the scale tiers of the design, each against its target.

- pcn: the demo (`make demo`'s synthetic PCN, 18 months, in its 8-PCN ICB): generate, ingest
  every month and build the warehouse. Target: 2 minutes.
- icb-wide: a whole ICB, 30 PCNs all sending clinical extracts and logs (about 1.6M
  registered patients), 12 months: ingest and build. Target: 25 minutes, 6 GB.
- icb-wide-month: the same ICB with 24 months loaded and built; then one new month is
  ingested and the warehouse built again (the patient-month models compute only the new
  month). Target: at most 30% of a full rebuild (`--full-refresh`) of the same warehouse.
- national: one national-size EPD month (17M rows, real legacy layout) ingested and cut to the
  ICB's practices. Target: at most 1.5 times a bare DuckDB scan of the same file, 2 GB.
- icb and pcn-month (not run by default): the ICB with clinical data for one PCN, and the
  month tier on the demo PCN.

Each measured step runs in a child process; its peak memory is the largest resident memory
the child and its own children (the dbt process) held together, sampled twice a second.
Inputs are generated first and not timed, except the pcn tier's (the demo generates its own).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

NATIONAL_MONTH = "2025-09"
DEFAULT_TIERS = ("pcn", "icb-wide", "icb-wide-month", "national")
TIERS = (*DEFAULT_TIERS, "icb", "pcn-month")


@dataclass(frozen=True)
class Tier:
    label: str
    config: dict[str, int]  # SyntheticConfig overrides
    # Targets: wall seconds, peak GB, ratio to the bare scan, ratio to a full rebuild.
    seconds: float | None = None
    peak_gb: float | None = None
    bare_ratio: float | None = None
    rebuild_ratio: float | None = None
    generation_timed: bool = False


ICB_WIDE = {"pcns": 30, "clinical_pcns": 30, "months": 12}
TIER_SPECS = {
    "pcn": Tier(
        "PCN demo (8 PCNs, subject PCN 50,000 patients), 18 months",
        {},
        seconds=120,
        generation_timed=True,
    ),
    "icb": Tier("ICB, 30 PCNs, clinical data for one, 12 months", {"pcns": 30, "months": 12}),
    "icb-wide": Tier(
        "whole ICB, 30 PCNs all with clinical data, 12 months", ICB_WIDE, seconds=25 * 60, peak_gb=6
    ),
    "icb-wide-month": Tier(
        "whole ICB, one new month with 24 loaded", {**ICB_WIDE, "months": 25}, rebuild_ratio=0.30
    ),
    "pcn-month": Tier("PCN demo, one new month with 24 loaded", {"months": 25}, rebuild_ratio=0.30),
    "national": Tier(
        "national EPD month, cut to the ICB's practices", {"pcns": 8}, bare_ratio=1.5, peak_gb=2
    ),
}


@dataclass
class Measurement:
    seconds: float
    peak_mb: float
    report: dict = field(default_factory=dict)


def _tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants (Linux /proc), in MB."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, frontier = 0, [root]
    while frontier:
        pid = frontier.pop()
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
        frontier += children.get(pid, [])
    return total / 1024


def _run_child(args: list[str], env: dict[str, str]) -> Measurement:
    """Run `python -m tools.bench ARGS` and measure it (and its children) alone."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "tools.bench", *args], env=env, stdout=subprocess.PIPE, text=True
    )
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.5):
            peak[0] = max(peak[0], _tree_rss_mb(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    if Path("/proc").is_dir():
        sampler.start()
    output = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    done.set()
    seconds = time.perf_counter() - started
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"benchmark step {args} failed:\n{output[-3000:]}")
    report = json.loads(output.strip().splitlines()[-1])
    # Where /proc is missing, the largest single process (the child, or dbt) is all there is.
    return Measurement(seconds, max(peak[0], usage.ru_maxrss / 1024), report)


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


def _pipeline(data_dir: str, first: str, last: str, build: str) -> dict:
    """Ingest months `first`..`last`, then build: `build` is `incremental` (from `first`),
    `full` (--full-refresh) or `none`; `first` = `none` builds only."""
    os.environ["PCNMO_DATA_DIR"] = data_dir
    from tools.cli.environment import prepare_dbt_manifest, prepare_environment

    paths = prepare_environment()
    prepare_dbt_manifest()
    import dagster as dg

    from dagster_project.definitions import defs
    from dagster_project.run_tags import FULL_REFRESH_TAG, REBUILD_FROM_TAG

    definitions = defs()
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    timings: dict = {"ok": True}
    if first != "none":
        started = time.perf_counter()
        ingest = definitions.resolve_job_def("ingest_month").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(),
            run_config=quiet,
            tags={
                "dagster/asset_partition_range_start": f"{first}-01",
                "dagster/asset_partition_range_end": f"{last}-01",
            },
        )
        timings["ingest_seconds"] = time.perf_counter() - started
        timings["ok"] &= ingest.success
    if build != "none":
        tags = {FULL_REFRESH_TAG: "true"} if build == "full" else {REBUILD_FROM_TAG: f"{first}-01"}
        started = time.perf_counter()
        built = definitions.resolve_job_def("build_warehouse").execute_in_process(
            instance=dg.DagsterInstance.ephemeral(), run_config=quiet, tags=tags
        )
        timings["build_seconds"] = time.perf_counter() - started
        timings["ok"] &= built.success
    import duckdb

    with duckdb.connect(str(paths.warehouse), read_only=True) as conn:
        timings["rows_in"] = conn.execute(
            "select coalesce(sum(rows_in), 0) from pipeline.ingestion_log "
            "where month between ? and ?",
            [f"{first}-01" if first != "none" else "1900-01-01", f"{last}-01"],
        ).fetchall()[0][0]
    return timings


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


def _generate(inbox: Path, overrides: dict[str, int]) -> tuple[float, list[str]]:
    from synthetic import SyntheticConfig, generate

    started = time.perf_counter()
    summary = generate(inbox, SyntheticConfig(**overrides))
    return time.perf_counter() - started, summary.months


def _tier(name: str, workdir: Path, env: dict[str, str], national_rows: int) -> dict:
    spec = TIER_SPECS[name]
    data_dir = workdir / name / "data"
    shutil.rmtree(data_dir.parent, ignore_errors=True)
    inbox = data_dir / "inbox"
    result: dict = {"tier": name, "label": spec.label, "detail": {}}
    if name == "national":
        from synthetic import SyntheticConfig, write_national_epd

        _generate(inbox, {**spec.config, "months": 1, "start_month": NATIONAL_MONTH})
        epd = inbox / NATIONAL_MONTH / f"EPD_{NATIONAL_MONTH.replace('-', '')}.csv"
        for stale in (inbox / NATIONAL_MONTH).glob("EPD*.csv"):
            stale.unlink()
        write_national_epd(epd, rows=national_rows, month=NATIONAL_MONTH, config=SyntheticConfig())
        scan_dir = workdir / name / "scan"
        scan_dir.mkdir(parents=True, exist_ok=True)
        os.link(epd, scan_dir / epd.name)
        bare = _run_child(["_bare_scan", str(scan_dir)], env)
        work = _run_child(["_national", str(data_dir), str(epd)], env)
        d = work.report
        result.update(
            seconds=d["seconds"],
            peak_mb=work.peak_mb,
            bare_seconds=bare.report["seconds"],
            detail=d,
            input=f"{d['rows_in']:,} rows, {bare.report['megabytes']:,.0f} MB",
        )
        return result
    generated, months = _generate(inbox, spec.config)
    if spec.rebuild_ratio is not None:
        *loaded, new = months
        setup = _run_child(["_pipeline", str(data_dir), loaded[0], loaded[-1], "full"], env)
        if not setup.report["ok"]:
            raise RuntimeError(f"loading the {name} tier's first {len(loaded)} months failed")
        month = _run_child(["_pipeline", str(data_dir), new, new, "incremental"], env)
        full = _run_child(["_pipeline", str(data_dir), "none", new, "full"], env)
        if not (month.report["ok"] and full.report["ok"]):
            raise RuntimeError(f"the {name} tier's runs failed")
        result.update(
            seconds=month.report["ingest_seconds"] + month.report["build_seconds"],
            peak_mb=max(month.peak_mb, full.peak_mb),
            rebuild_seconds=full.report["build_seconds"],
            detail={"new_month": month.report, "full_rebuild": full.report},
            input=f"{len(loaded)} months loaded, then {new}",
        )
        return result
    work = _run_child(["_pipeline", str(data_dir), months[0], months[-1], "incremental"], env)
    if not work.report["ok"]:
        raise RuntimeError(f"the {name} pipeline run failed")
    files = _csv_files(inbox)
    seconds = work.report["ingest_seconds"] + work.report["build_seconds"]
    result.update(
        seconds=seconds + (generated if spec.generation_timed else 0.0),
        peak_mb=work.peak_mb,
        detail={**work.report, "generate_seconds": generated},
        input=f"{len(files):,} CSV files, {sum(p.stat().st_size for p in files) / 1e6:,.0f} MB, "
        f"{work.report['rows_in']:,} rows",
    )
    return result


def verdicts(name: str, result: dict) -> list[str]:
    """Each target of the tier: measured, target, ratio (<= 1 meets it)."""
    spec = TIER_SPECS[name]
    lines = []

    def line(what: str, measured: float, target: float, unit: str) -> None:
        ratio = measured / target
        verdict = "meets" if ratio <= 1 else "MISSES"
        lines.append(
            f"  {what:<22} {measured:9.2f} {unit:<4} target {target:7.2f} {unit:<4} "
            f"ratio {ratio:5.2f}  {verdict}"
        )

    if spec.seconds is not None:
        line("time", result["seconds"] / 60, spec.seconds / 60, "min")
    if spec.peak_gb is not None:
        line("peak memory", result["peak_mb"] / 1024, spec.peak_gb, "GB")
    if spec.bare_ratio is not None:
        line("x bare scan", result["seconds"] / result["bare_seconds"], spec.bare_ratio, "x")
    if spec.rebuild_ratio is not None:
        line(
            "x full rebuild", result["seconds"] / result["rebuild_seconds"], spec.rebuild_ratio, ""
        )
    return lines


def _print(result: dict) -> None:
    d = result["detail"]
    print(f"\n{result['tier']}: {result['label']} ({result['input']})")
    print(f"  timed work          {result['seconds']:8.1f} s")
    if "ingest_seconds" in d:
        generated = f", generate {d['generate_seconds']:.1f} s" if "generate_seconds" in d else ""
        print(
            f"    ingest {d['ingest_seconds']:.1f} s, build {d['build_seconds']:.1f} s{generated}"
        )
    if "new_month" in d:
        m = d["new_month"]
        print(
            f"    new month: ingest {m['ingest_seconds']:.1f} s, build {m['build_seconds']:.1f} s"
        )
        print(f"    full rebuild (--full-refresh) {result['rebuild_seconds']:.1f} s")
    if "bare_seconds" in result:
        print(f"  bare DuckDB scan    {result['bare_seconds']:8.1f} s")
        print(
            f"  rows in {d['rows_in']:,} = loaded {d['rows_loaded']:,} + quarantined "
            f"{d['rows_quarantined']:,} + out of scope {d['rows_out_of_scope']:,}"
        )
    print(f"  peak memory         {result['peak_mb']:8.0f} MB")
    for line in verdicts(result["tier"], result):
        print(line)


def child_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment of a measured step: this one's, without the paths the `pcnmo` command
    derived from its own data directory (the warehouse, the Dagster instance, the temp folder):
    each step works in its tier's data directory, never in the caller's."""
    from pcnmo import settings

    derived = (settings.DUCKDB_PATH_ENV, settings.DAGSTER_HOME_ENV, settings.TEMP_DIR_ENV)
    env = {k: v for k, v in environ.items() if k not in derived}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    env.setdefault("PCNMO_PSEUDONYMISATION_KEY", "benchmark-key-" + "0" * 40)
    return env


def bench(tiers: list[str], national_rows: int, workdir: Path | None, keep: bool) -> int:
    """Run the tiers, print each as it finishes; keep the data (and a JSON summary) if asked."""
    unknown = [t for t in tiers if t not in TIER_SPECS]
    if unknown:
        print(f"Unknown tier(s) {', '.join(unknown)}: choose from {', '.join(TIERS)}")
        return 2
    workdir = workdir or Path(tempfile.mkdtemp(prefix="pcnmo-bench-"))
    env = child_environment(os.environ)
    print(f"Benchmark on {os.cpu_count()} cores; working in {workdir}")
    results = []
    try:
        for name in tiers:
            results.append(_tier(name, workdir, env, national_rows))
            _print(results[-1])
        if keep:
            out = workdir / "pcnmo-bench-results.json"
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
