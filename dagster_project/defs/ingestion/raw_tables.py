"""One monthly-partitioned asset per raw table, each a thin wrapper around `ingestion.loader`.

Asset keys are `[source, table]`, exactly the dbt source names, so dagster-dbt links every
staging model to the asset that loads its raw table without a translator.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from dagster_project.partitions import monthly_partitions
from ingestion import settings
from ingestion.contracts import CONTRACTS, EPCN_MEMBERS, RAW_METADATA_COLUMNS, TableContract
from ingestion.duckdb_io import ensure_schema
from ingestion.loader import LoadResult, MonthRejected, load_month
from ingestion.nhs_number import MissingKeyError


def _column_schema(table: TableContract) -> dg.TableSchema:
    columns = [
        dg.TableColumn(c.raw_name, c.duckdb_type, description=c.description) for c in table.columns
    ]
    columns += [dg.TableColumn(n, t, description=d) for n, t, d in RAW_METADATA_COLUMNS]
    return dg.TableSchema(columns=columns)


def _files_table(result: LoadResult) -> dg.MetadataValue:
    lines = [
        "| file | layout | rows in | loaded | quarantined | out of scope |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {f.file_name} | {f.dialect} | {f.rows_in} | {f.rows_loaded} | {f.rows_quarantined} "
        f"| {f.rows_out_of_scope} |"
        for f in result.files
    ]
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
        with duckdb.get_connection() as conn:
            ensure_schema(conn)
            try:
                result = load_month(
                    conn,
                    table,
                    context.partition_key,
                    paths.inbox,
                    sub_icb_scope=settings.sub_icb_scope(),
                    quarantine_dir=paths.quarantine,
                )
            except (MonthRejected, MissingKeyError) as error:
                raise dg.Failure(description=str(error)) from error
            month_rows = conn.execute(
                f"select count(*) from {table.qualified_name} where _month = ?",
                [result.month],
            ).fetchall()[0][0]
        if result.missing_message:
            context.log.warning(result.missing_message)
        return dg.MaterializeResult(
            metadata={
                "status": "missing" if result.missing_message else "loaded",
                "message": result.missing_message,
                "dagster/row_count": month_rows,
                "rows_in": result.rows_in,
                "rows_loaded": result.rows_loaded,
                "rows_quarantined": result.rows_quarantined,
                "rows_out_of_scope": result.rows_out_of_scope,
                "files": _files_table(result),
            }
        )

    return _raw_table


raw_table_assets = [build_raw_table_asset(table) for table in CONTRACTS]
