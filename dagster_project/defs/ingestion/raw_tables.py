"""One monthly-partitioned asset per raw table, each a thin wrapper around `ingestion.load`
(`ingestion.months` for a range of months), and the inbox asset that lists the files no table
reads.

Asset keys are `[source, table]`, exactly the dbt source names, so dagster-dbt links every
staging model to the asset that loads its raw table without a translator.

Over a range of months every month is loaded on its own (months side by side, one per core):
a rejected month keeps its last good rows and does not stop the other months. A step with a
rejected month records the months it did load and then fails, naming every rejected file and
what to fix, so nothing downstream is built from the run.
"""

import logging
import warnings
from collections.abc import Callable

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.partitions import monthly_partitions
from dagster_project.step_errors import DataProblem, step_errors
from ingestion.duckdb_io import ensure_schema
from ingestion.load import LoadResult, MonthRejected, record_unclaimed_files
from ingestion.months import load_months
from ingestion.nhs_number import MissingKeyError
from pcnmo import settings
from pcnmo.contracts import CONTRACTS, EPCN_MEMBERS, EPRACCUR, RAW_METADATA_COLUMNS, TableContract
from pcnmo.redaction import redact

INBOX_FILES = dg.AssetKey(["inbox", "unclaimed_files"])

# One record per month a raw table has loaded (`files`: how many files), for whoever shows
# progress (`pcnmo run`); table, month and a count only.
FILES_LOADED = logging.getLogger("pcnmo.ingestion.files")


def _files_loaded(result: LoadResult) -> None:
    files = len(result.files)
    FILES_LOADED.info(
        "%s %s: %d file(s)",
        result.table.qualified_name,
        f"{result.month:%Y-%m}",
        files,
        extra={"files": files},
    )


def _column_schema(table: TableContract) -> dg.TableSchema:
    columns = [
        dg.TableColumn(c.raw_name, c.duckdb_type, description=c.description) for c in table.columns
    ]
    columns += [dg.TableColumn(n, t, description=d) for n, t, d in RAW_METADATA_COLUMNS]
    return dg.TableSchema(columns=columns)


def _files_table(results: list[LoadResult]) -> dg.MetadataValue:
    lines = [
        "| month | file | layout | rows in | loaded | quarantined | out of scope "
        "| values blanked | notes |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        lines += [
            f"| {result.month:%Y-%m} | {f.file_name} | {f.dialect} | {f.rows_in} | {f.rows_loaded} "
            f"| {f.rows_quarantined} | {f.rows_out_of_scope} | {f.values_blanked} "
            f"| {f.message.replace('|', '/')} |"
            for f in result.files
        ]
        if result.missing_message:
            lines.append(f"| {result.month:%Y-%m} | (missing) | | | | | | | |")
    return dg.MetadataValue.md("\n".join(lines))


def _counts(results: list[LoadResult]) -> dict[str, int]:
    return {
        "rows_in": sum(r.rows_in for r in results),
        "rows_loaded": sum(r.rows_loaded for r in results),
        "rows_quarantined": sum(r.rows_quarantined for r in results),
        "rows_out_of_scope": sum(r.rows_out_of_scope for r in results),
        # Bad values of a column that blanks them (the EPD's SNOMED_CODE), rows kept.
        "values_blanked": sum(r.values_blanked for r in results),
    }


def _rejected(table: TableContract, rejections: list[MonthRejected], loaded: int) -> str:
    months = ", ".join(f"{r.month:%Y-%m}" for r in rejections)
    text = "\n\n".join(str(r) for r in rejections)
    return redact(
        f"{table.qualified_name}: {len(rejections)} month(s) rejected ({months}), each kept as "
        f"it was; {loaded} other month(s) loaded. Nothing downstream is built from this run.\n\n"
        f"{text}"
    )


def _upstream(table: TableContract) -> list[dg.AssetKey]:
    """National files are cut down to the practices of the configured PCNs, which come from
    the ePCN membership; clinical extracts and local logs are checked against the practices
    ODS knows. So those load after the ODS tables of the same month."""
    if table.scope_column:
        return [dg.AssetKey(list(EPCN_MEMBERS.asset_key))]
    if table.source in ("clinical", "local"):
        return [dg.AssetKey(list(t.asset_key)) for t in (EPCN_MEMBERS, EPRACCUR)]
    return []


def _monthly_asset(**kwargs) -> Callable:
    """`dg.asset` for a monthly table whose backfill of many months is one run. Dagster marks
    `backfill_policy` as beta and warns at every definition load, which printed 19 lines of
    warnings at the top of every `pcnmo run`; the policy is what we want either way."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=dg.BetaWarning, message=".*backfill_policy")
        return dg.asset(
            partitions_def=monthly_partitions,
            pool="duckdb",
            # A backfill of many months runs as one step that loads them all: per-month runs
            # would pay Dagster's per-step overhead dozens of times for a few seconds of loading.
            backfill_policy=dg.BackfillPolicy.single_run(),
            **kwargs,
        )


def build_raw_table_asset(table: TableContract) -> dg.AssetsDefinition:
    @_monthly_asset(
        key=list(table.asset_key),
        name=None,
        description=table.description,
        group_name="ingestion",
        deps=_upstream(table),
        kinds={"duckdb", "csv"},
        metadata={
            "dagster/table_name": table.qualified_name,
            "dagster/column_schema": _column_schema(table),
            "delivered_by": table.delivered_by,
            "layouts": ", ".join(d.label for d in table.dialects),
        },
    )
    def _raw_table(
        context: dg.AssetExecutionContext, duckdb: DuckDBResource
    ) -> dg.MaterializeResult:
        paths = settings.paths()
        with step_errors(), duckdb.get_connection() as conn:
            ensure_schema(conn)
            try:
                outcomes = load_months(
                    conn,
                    table,
                    context.partition_keys,
                    paths.inbox,
                    workers=settings.limits().threads,
                    sub_icb_scope=settings.sub_icb_scope(),
                    quarantine_dir=paths.quarantine,
                    on_loaded=_files_loaded,
                )
            except MissingKeyError as error:
                raise DataProblem(str(error)) from None
            results = [o for o in outcomes if isinstance(o, LoadResult)]
            rejections = [o for o in outcomes if isinstance(o, MonthRejected)]
            row_count = conn.execute(
                f"select count(*) from {table.qualified_name} where _month between ? and ?",
                [context.partition_keys[0], context.partition_keys[-1]],
            ).fetchall()[0][0]
        for result in results:
            if result.missing_message:
                context.log.warning(result.missing_message)
            for file in result.files:
                if file.values_blanked:
                    context.log.warning(f"{file.file_name}: {file.message}")
        if rejections:
            # The months that did load are materialised; the step fails for the rest.
            for result in results:
                context.log_event(
                    dg.AssetMaterialization(
                        asset_key=list(table.asset_key),
                        partition=f"{result.month:%Y-%m-%d}",
                        metadata={**_counts([result]), "files": _files_table([result])},
                    )
                )
            raise dg.Failure(
                description=_rejected(table, rejections, len(results)),
                metadata={"files": _files_table(results)},
                allow_retries=False,
            )
        months = [r.month for r in results]
        missing = [r.missing_message for r in results if r.missing_message]
        return dg.MaterializeResult(
            metadata={
                "months": ", ".join(f"{m:%Y-%m}" for m in months),
                "months_missing": len(missing),
                "dagster/row_count": row_count,
                **_counts(results),
                "files": _files_table(results),
            }
        )

    return _raw_table


raw_table_assets = [build_raw_table_asset(table) for table in CONTRACTS]


@_monthly_asset(
    key=INBOX_FILES,
    description="One row per file in the month's inbox folder that no table reads (and that "
    "looks like no table's file): listed by name in pipeline.ingestion_log (source 'inbox', "
    "status 'unclaimed') so a stray or misnamed delivery is never silently ignored.",
    group_name="ingestion",
    kinds={"duckdb"},
)
def inbox_unclaimed_files(
    context: dg.AssetExecutionContext, duckdb: DuckDBResource
) -> dg.MaterializeResult:
    inbox = settings.paths().inbox
    found: dict[str, list[str]] = {}
    with step_errors(), duckdb.get_connection() as conn:
        ensure_schema(conn)
        for month in context.partition_keys:
            found[month[:7]] = record_unclaimed_files(conn, month, inbox)
    for month, names in found.items():
        if names:
            context.log.warning(f"{month}: files no table reads: {', '.join(names)}")
    return dg.MaterializeResult(
        metadata={
            "unclaimed_files": sum(len(n) for n in found.values()),
            "files": dg.MetadataValue.md(
                "\n".join(f"- {m}: {n}" for m, names in found.items() for n in names) or "none"
            ),
        }
    )
