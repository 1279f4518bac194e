"""Report assets: thin wrappers around `reports` (dashboard workbook, SNOMED activity extract,
ICB quarterly return, ICB PCN comparator) and the published warehouse copy.

Each output asset depends on the dbt marts its dbt exposure declares, so lineage runs from a
workbook back to the raw extracts.
Every asset opens the warehouse, so all run in the `duckdb` pool: the report assets read it
read-only and the published copy is built from a read-only attach.
"""

import datetime as dt
import json
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.defs.ingestion import checks as ingestion_checks
from dagster_project.defs.reports.check_records import latest_check_results
from dagster_project.defs.transform import checks as transform_checks
from dagster_project.defs.transform.dbt_models import pcnmo_dbt_models
from dagster_project.defs.transform.project import dbt_project
from dagster_project.partitions import financial_quarter_partitions, monthly_partitions
from dagster_project.step_errors import step_errors
from pcnmo import settings
from pcnmo.calendar import financial_quarter
from pcnmo.publish import publish_warehouse
from reports import paths as report_paths
from reports import warehouse as wh
from reports.activity_extract import build_activity_extract
from reports.dashboard import build_dashboard
from reports.icb_comparator import build_icb_comparator, month_period, quarter_period
from reports.icb_return import build_icb_return

DBT_KEYS = set(pcnmo_dbt_models.keys)


def exposure_deps(exposure: str) -> list[dg.AssetKey]:
    """Keys of the marts and seeds the dbt exposure `exposure` depends on
    (dbt_pcnmo/models/marts/_reports__exposures.yml). An exposure the manifest does not hold,
    or an input that is not a dbt asset, fails loading, so a renamed mart cannot silently cut
    an output's lineage."""
    manifest = json.loads(Path(dbt_project.manifest_path).read_text())
    declared = manifest["exposures"].get(f"exposure.pcnmo.{exposure}")
    if declared is None:
        raise ValueError(f"no dbt exposure named {exposure!r} in the manifest")
    keys = []
    for unique_id in declared["depends_on"]["nodes"]:
        node = manifest["nodes"][unique_id]
        key = dg.AssetKey([node["schema"], node["name"]])
        if key not in DBT_KEYS:
            raise ValueError(f"exposure {exposure!r} reads {unique_id}, which is not a dbt asset")
        keys.append(key)
    return sorted(keys, key=lambda k: k.path)


PUBLISHED_DEPS = sorted(
    (key for key in DBT_KEYS if key.path[0] in {"marts", "seeds"}), key=lambda k: k.path
)


def defined_check_keys() -> list[dg.AssetCheckKey]:
    """Every asset check the project defines: dbt tests on models and seeds, and the Python
    checks of defs/ingestion and defs/transform. (An asset's context only knows the repository
    under a code server, not in `execute_in_process`, so the check lists are read directly.)"""
    keys = set(pcnmo_dbt_models.check_keys)
    for check in (*ingestion_checks.CHECKS, *transform_checks.CHECKS):
        keys |= set(check.check_keys)
    return sorted(keys, key=lambda k: (k.asset_key.path, k.name))


def _file_table(files: list[Path]) -> dg.MetadataValue:
    lines = ["| file | bytes |", "|---|---|"]
    lines += [f"| {f} | {f.stat().st_size:,} |" for f in files]
    return dg.MetadataValue.md("\n".join(lines))


@dg.asset(
    key=["reports", "dashboard_workbook"],
    group_name="reports",
    partitions_def=monthly_partitions,
    deps=exposure_deps("dashboard_workbook"),
    pool="duckdb",
    kinds={"excel"},
)
def reports_dashboard_workbook(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource
) -> dg.MaterializeResult:
    """The monthly dashboard workbook of every PCN with clinical extracts (one xlsx per PCN per
    month: one-page dashboard, family trends, practices, SMR trajectory, DES evidence, data
    quality, definitions)."""
    month = dt.date.fromisoformat(context.partition_key)
    checks = latest_check_results(context.instance, defined_check_keys(), context.partition_key)
    outputs = settings.paths().outputs
    files = []
    with wh.connect_read_only(duckdb.database) as conn:
        for pcn_code in wh.report_pcns(conn):
            path = report_paths.dashboard_path(outputs, pcn_code, month)
            files.append(build_dashboard(conn, pcn_code, month, path, checks=checks))
    return dg.MaterializeResult(
        metadata={
            "files": _file_table(files),
            "pcns": len(files),
            "checks_reported": len(checks),
            "checks_failing": sum(not c["passed"] for c in checks),
        }
    )


@dg.asset(
    key=["reports", "snomed_activity_extract"],
    group_name="reports",
    partitions_def=monthly_partitions,
    deps=exposure_deps("snomed_activity_extract"),
    pool="duckdb",
    kinds={"csv"},
)
def reports_snomed_activity_extract(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource
) -> dg.MaterializeResult:
    """The monthly SNOMED-coded activity extract of every PCN with clinical extracts: per
    practice x activity x SNOMED concept, events and patients, small numbers suppressed."""
    month = dt.date.fromisoformat(context.partition_key)
    outputs = settings.paths().outputs
    files = []
    with wh.connect_read_only(duckdb.database) as conn:
        for pcn_code in wh.report_pcns(conn):
            path = report_paths.activity_extract_path(outputs, pcn_code, month)
            files.append(build_activity_extract(conn, pcn_code, month, path))
    return dg.MaterializeResult(metadata={"files": _file_table(files), "pcns": len(files)})


@dg.asset(
    key=["reports", "icb_quarterly_return"],
    group_name="reports",
    partitions_def=financial_quarter_partitions,
    deps=exposure_deps("icb_quarterly_return"),
    pool="duckdb",
    kinds={"excel", "csv"},
)
def reports_icb_quarterly_return(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource
) -> dg.MaterializeResult:
    """The quarterly ICB return of every PCN with clinical extracts, per financial quarter: an
    xlsx for people and a long CSV for machines, small numbers suppressed."""
    quarter_start = dt.date.fromisoformat(context.partition_key)
    _, quarter_end, label = financial_quarter(quarter_start)
    outputs = settings.paths().outputs
    files: list[Path] = []
    with wh.connect_read_only(duckdb.database) as conn:
        for pcn_code in wh.report_pcns(conn):
            xlsx_path, csv_path = report_paths.icb_return_paths(outputs, pcn_code, quarter_start)
            files += build_icb_return(conn, pcn_code, quarter_end, xlsx_path, csv_path)
    return dg.MaterializeResult(metadata={"files": _file_table(files), "quarter": label})


def _comparators(duckdb: DuckDBResource, period_of: dt.date, quarterly: bool) -> list[Path]:
    outputs = settings.paths().outputs
    period = quarter_period(period_of) if quarterly else month_period(period_of)
    files = []
    with wh.connect_read_only(duckdb.database) as conn:
        for icb_code in wh.report_icbs(conn):
            path = report_paths.comparator_path(outputs, icb_code, period.slug)
            files.append(build_icb_comparator(conn, icb_code, period, path))
    return files


@dg.asset(
    key=["reports", "icb_pcn_comparator_monthly"],
    group_name="reports",
    partitions_def=monthly_partitions,
    deps=exposure_deps("icb_pcn_comparator"),
    pool="duckdb",
    kinds={"excel"},
)
def reports_icb_pcn_comparator_monthly(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource
) -> dg.MaterializeResult:
    """The month's PCN comparator of every ICB holding a PCN with clinical extracts: every PCN
    of the ICB side by side on every KPI, small numbers suppressed."""
    files = _comparators(duckdb, dt.date.fromisoformat(context.partition_key), quarterly=False)
    return dg.MaterializeResult(metadata={"files": _file_table(files), "icbs": len(files)})


@dg.asset(
    key=["reports", "icb_pcn_comparator_quarterly"],
    group_name="reports",
    partitions_def=financial_quarter_partitions,
    deps=exposure_deps("icb_pcn_comparator"),
    pool="duckdb",
    kinds={"excel"},
)
def reports_icb_pcn_comparator_quarterly(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource
) -> dg.MaterializeResult:
    """The financial quarter's PCN comparator of every ICB holding a PCN with clinical
    extracts (a draft until the quarter's last month is in)."""
    files = _comparators(duckdb, dt.date.fromisoformat(context.partition_key), quarterly=True)
    return dg.MaterializeResult(metadata={"files": _file_table(files), "icbs": len(files)})


@dg.asset(
    key=["reports", "published_warehouse"],
    group_name="reports",
    deps=PUBLISHED_DEPS,
    pool="duckdb",
    kinds={"duckdb"},
)
def reports_published_warehouse(duckdb: DuckDBResource) -> dg.MaterializeResult:
    """The analysts' read-only copy of the marts and seeds (with their descriptions), rebuilt
    in a new DuckDB file and swapped in atomically at data_dir/published/pcnmo.duckdb. Runs
    in its own job after a successful build only."""
    target = settings.paths().published_warehouse
    with step_errors():
        tables = publish_warehouse(Path(duckdb.database), target)
    lines = ["| table | rows |", "|---|---|"]
    lines += [f"| {t.schema}.{t.table} | {t.rows:,} |" for t in tables]
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(target)),
            "tables": dg.MetadataValue.md("\n".join(lines)),
            "bytes": target.stat().st_size,
        }
    )
