"""One monthly-partitioned asset per raw table, each a thin wrapper around `ingestion.loader`.

Asset keys are `[source, table]`, exactly the dbt source names, so dagster-dbt links every
staging model to the asset that loads its raw table without a translator.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.partitions import monthly_partitions
from ingestion.duckdb_io import ensure_schema
from ingestion.load import LoadResult, MonthRejected, load_month
from ingestion.nhs_number import MissingKeyError
from pcnmo import settings
from pcnmo.contracts import CONTRACTS, EPCN_MEMBERS, RAW_METADATA_COLUMNS, TableContract


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


def build_raw_table_asset(table: TableContract) -> dg.AssetsDefinition:
    # National files are cut down to the practices of the configured PCNs, which come from the
    # ePCN membership: load that first.
    deps = [dg.AssetKey(list(EPCN_MEMBERS.asset_key))] if table.scope_column else []

    @dg.asset(
        key=list(table.asset_key),
        name=None,
        description=table.description,
        group_name="ingestion",
        partitions_def=monthly_partitions,
        pool="duckdb",
        # A backfill of many months runs as one step that loops over them: per-month runs
        # would pay Dagster's per-step overhead dozens of times for a few seconds of loading.
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=deps,
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
        results: list[LoadResult] = []
        with duckdb.get_connection() as conn:
            ensure_schema(conn)
            for month in context.partition_keys:
                try:
                    results.append(
                        load_month(
                            conn,
                            table,
                            month,
                            paths.inbox,
                            sub_icb_scope=settings.sub_icb_scope(),
                            quarantine_dir=paths.quarantine,
                        )
                    )
                except (MonthRejected, MissingKeyError) as error:
                    raise dg.Failure(description=str(error)) from error
            months = [r.month for r in results]
            row_count = conn.execute(
                f"select count(*) from {table.qualified_name} where _month between ? and ?",
                [min(months), max(months)],
            ).fetchall()[0][0]
        missing = [r.missing_message for r in results if r.missing_message]
        for message in missing:
            context.log.warning(message)
        for result in results:
            for file in result.files:
                if file.values_blanked:
                    context.log.warning(f"{file.file_name}: {file.message}")
        return dg.MaterializeResult(
            metadata={
                "months": ", ".join(f"{m:%Y-%m}" for m in months),
                "months_missing": len(missing),
                "dagster/row_count": row_count,
                "rows_in": sum(r.rows_in for r in results),
                "rows_loaded": sum(r.rows_loaded for r in results),
                "rows_quarantined": sum(r.rows_quarantined for r in results),
                "rows_out_of_scope": sum(r.rows_out_of_scope for r in results),
                # Bad values of a column that blanks them (the EPD's SNOMED_CODE), rows kept.
                "values_blanked": sum(r.values_blanked for r in results),
                "files": _files_table(results),
            }
        )

    return _raw_table


raw_table_assets = [build_raw_table_asset(table) for table in CONTRACTS]
