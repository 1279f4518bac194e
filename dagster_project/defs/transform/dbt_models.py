"""The dbt models and their tests as one Dagster step.

- Before dbt starts, the step waits for another process's lock on the working warehouse (an
  analyst who opened the wrong file), as every writer does; dbt-duckdb's own connect retries
  (profiles.yml) cover the moment between.
- A failing dbt test carries its failing rows (or, for a uniqueness test, the repeated keys):
  once dbt has finished and let go of the file, the test's compiled query is run again,
  read-only, for its first rows, which go into the check's metadata and description (values
  with NHS numbers removed).
- Every test has a description in the UI: its own, else one made from what it tests.
- If the step fails while dbt runs, dbt is stopped with it: a dbt left running would hold the
  warehouse, and every later step would wait for it.
"""

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets

from dagster_project.defs.transform.project import dbt_project
from dagster_project.run_tags import FULL_REFRESH_TAG, REBUILD_FROM_TAG
from dagster_project.step_errors import LOCK_RETRIES, lock_retry_seconds, step_errors
from ingestion.duckdb_io import connect
from pcnmo import settings
from pcnmo.redaction import redact
from pcnmo.warehouse_lock import is_lock_conflict

FAILING_ROWS_SHOWN = 5


# The first month to compute again reaches dbt in the environment, not as a var: dbt parses
# the whole project again whenever its vars change (about 4 s), but after a changed
# environment variable only the models that read it (`months_to_rebuild`).
REBUILD_FROM_ENV = "PCNMO_REBUILD_FROM"


def dbt_build_args(tags: Mapping[str, str]) -> tuple[list[str], dict[str, str]]:
    """`dbt build` for a run, and the environment it needs: every month of the incremental
    models on a full refresh, the months from `rebuild_from` on after an ingestion, every
    month when no tag says which."""
    args = ["build", "--exclude-resource-type", "unit_test"]
    if tags.get(FULL_REFRESH_TAG) == "true":
        return [*args, "--full-refresh"], {REBUILD_FROM_ENV: ""}
    return args, {REBUILD_FROM_ENV: tags.get(REBUILD_FROM_TAG, "")}


@contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    """`values` set in this process's environment (which dagster-dbt hands to dbt), then put
    back as they were."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def describe_test(test: Mapping[str, Any]) -> str:
    """What a dbt test checks, in words, when it has no description of its own."""
    if test.get("description"):
        return test["description"]
    metadata = test.get("test_metadata") or {}
    kwargs = metadata.get("kwargs") or {}
    what = metadata.get("name") or test.get("name", "singular test")
    column = kwargs.get("column_name") or ", ".join(kwargs.get("combination_of_columns") or [])
    severity = (test.get("config") or {}).get("severity", "error").lower()
    on = f" on {column}" if column else ""
    effect = "a failure stops the build" if severity == "error" else "a failure warns"
    return f"dbt test {what}{on} ({effect}): {test.get('name', '')}"


class PcnmoDbtTranslator(DagsterDbtTranslator):
    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        return spec._replace(description=describe_test(manifest["nodes"][unique_id]))


def _markdown(columns: list[str], rows: list[tuple]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]
    return redact("\n".join(lines))


def _failing_rows(warehouse: Path, compiled_sql: str) -> tuple[list[str], list[tuple]]:
    with connect(warehouse, read_only=True) as conn:
        cursor = conn.execute(
            f"select * from ({compiled_sql.strip().rstrip(';')}) limit {FAILING_ROWS_SHOWN}"
        )
        return [d[0] for d in cursor.description], cursor.fetchall()


def with_failing_rows(
    result: dg.AssetCheckResult, run_results: Mapping[str, Any], warehouse: Path
) -> dg.AssetCheckResult:
    """The failed test's result, with its first failing rows in the metadata and description."""
    unique_id = result.metadata.get("unique_id")
    unique_id = getattr(unique_id, "value", unique_id)
    compiled = next(
        (r.get("compiled_code") for r in run_results["results"] if r["unique_id"] == unique_id),
        None,
    )
    if not compiled:
        return result
    try:
        columns, rows = _failing_rows(warehouse, compiled)
    except duckdb.Error as error:
        detail = redact(f"the failing rows could not be read again ({error})")
        return result._replace(description=detail)
    count = result.metadata.get("dagster_dbt/failed_row_count")
    count = getattr(count, "value", count)
    shown = "; ".join(
        ", ".join(f"{c}={v}" for c, v in zip(columns, row, strict=True)) for row in rows
    )
    return result._replace(
        description=redact(f"{count} failing row(s); first: {shown}"),
        metadata={**result.metadata, "failing_rows": dg.MetadataValue.md(_markdown(columns, rows))},
    )


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    pool="duckdb",
    dagster_dbt_translator=PcnmoDbtTranslator(),
)
def pcnmo_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource) -> Iterator[Any]:
    """All seeds, staging, intermediate and mart models of dbt_pcnmo, with their dbt tests."""
    warehouse = settings.paths().warehouse
    with step_errors():
        connect(warehouse, on_wait=context.log.warning).close()
    args, environment = dbt_build_args(context.run.tags)
    with _environment(environment):
        invocation = dbt.cli(args, context=context, raise_on_error=False)
    failed: list[dg.AssetCheckResult] = []
    try:
        for event in invocation.stream():
            if isinstance(event, dg.AssetCheckResult) and not event.passed:
                failed.append(event)  # given its failing rows once dbt lets go of the file
            else:
                yield event
    except BaseException:
        # Never leave dbt running with the warehouse open: every later step would wait for it.
        invocation.process.kill()
        invocation.process.wait()
        raise
    try:
        run_results = invocation.get_artifact("run_results.json")
    except FileNotFoundError:  # dbt stopped before running anything
        run_results = {"results": []}
    for result in failed:
        yield with_failing_rows(result, run_results, warehouse)
    if invocation.is_successful():
        return
    errors = [
        f"{r['unique_id']}: {r.get('message') or r['status']}"
        for r in run_results["results"]
        if r["status"] in ("error", "fail")
    ]
    if not errors or any(is_lock_conflict(Exception(e)) for e in errors):
        # dbt could not open the warehouse (another process took the lock just after the wait
        # above): run the step again rather than lose the build.
        raise dg.RetryRequested(max_retries=LOCK_RETRIES, seconds_to_wait=lock_retry_seconds())
    raise dg.Failure(
        description=redact(
            "dbt build failed: "
            + "; ".join(errors)
            + ". Nothing after the build (published copy, reports) is written from this run."
        ),
        allow_retries=False,
    )
